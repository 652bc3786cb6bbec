"""HTTP: a job's status."""

from __future__ import annotations

import azure.functions as func

from functions.http_support import API_KEY_HEADER, answer, json_response
from lib.bootstrap import context
from lib.services.status import job_status

bp = func.Blueprint()


@bp.route(route="v1/job/status/{job_id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def get_job_status(req: func.HttpRequest) -> func.HttpResponse:
    """The job's status document, or 404 when the key's tenant has no such job."""
    return answer(
        lambda: json_response(
            job_status(context(), api_key=req.headers.get(API_KEY_HEADER), job_id=req.route_params["job_id"])
        )
    )
