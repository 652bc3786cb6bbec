"""HTTP: list a project's jobs, newest first, a page at a time."""

from __future__ import annotations

import azure.functions as func

from functions.http_support import API_KEY_HEADER, answer, json_response
from lib.bootstrap import context
from lib.services.listing import list_jobs

bp = func.Blueprint()


@bp.route(
    route="v1/tenants/{tenant_id}/projects/{project_id}/jobs",
    methods=["GET"],
    auth_level=func.AuthLevel.ANONYMOUS,  # our own X-API-Key scheme, checked per tenant
)
def list_project_jobs(req: func.HttpRequest) -> func.HttpResponse:
    """``{"jobs": [...], "next_cursor": ...}`` (``status``, ``created_after``, ``created_before``,
    ``limit``, ``cursor`` in the query), or 400 ``invalid_query``/``invalid_cursor``, 401, 404."""
    return answer(
        lambda: json_response(
            list_jobs(
                context(),
                api_key=req.headers.get(API_KEY_HEADER),
                tenant_id=req.route_params["tenant_id"],
                project_id=req.route_params["project_id"],
                params=dict(req.params),
            )
        )
    )
