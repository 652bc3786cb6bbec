"""The Azure Functions app: registers every Blueprint. Nothing else belongs here."""

import azure.functions as func

from functions import (
    health_http,
    jobs_http,
    openapi_http,
    parse_queue,
    project_jobs_http,
    reports_http,
    sweeper_timer,
    webhook_queue,
)

app = func.FunctionApp()
app.register_functions(reports_http.bp)
app.register_functions(jobs_http.bp)
app.register_functions(project_jobs_http.bp)
app.register_functions(parse_queue.bp)
app.register_functions(webhook_queue.bp)
app.register_functions(sweeper_timer.bp)
app.register_functions(health_http.bp)
app.register_functions(openapi_http.bp)
