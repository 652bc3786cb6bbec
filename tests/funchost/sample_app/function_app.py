"""Sample app for the local host's tests: assembles the sample blueprints, nothing else."""

import azure.functions as func
import sample_http
import sample_queues
import sample_timers

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(sample_http.bp)
app.register_functions(sample_queues.bp)
app.register_functions(sample_timers.bp)
