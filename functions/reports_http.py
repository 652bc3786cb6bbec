"""HTTP: upload a report (multipart ``file`` parts, optional ``webhook_url``)."""

from __future__ import annotations

import azure.functions as func

from functions.http_support import API_KEY_HEADER, answer, json_response
from lib.adapters.multipart_form import read_upload_form
from lib.bootstrap import context
from lib.domain.uploads import UploadForm, UploadLimits
from lib.services.submit import status_path, submit_report

bp = func.Blueprint()


@bp.route(
    route="v1/tenants/{tenant_id}/projects/{project_id}/reports",
    methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,  # our own X-API-Key scheme, checked per tenant
)
def upload_report(req: func.HttpRequest) -> func.HttpResponse:
    """Accept a report for parsing: 202 with the job id, or a JSON error."""

    def handle() -> func.HttpResponse:
        submission = submit_report(
            context(),
            tenant_id=req.route_params["tenant_id"],
            project_id=req.route_params["project_id"],
            api_key=req.headers.get(API_KEY_HEADER),
            read_form=lambda limits: _read_form(req, limits),
            webhook_url=req.params.get("webhook_url"),
        )
        body = {
            "success": True,
            "job_id": submission.job_id,
            "report_id": submission.report_id,
            "status": "pending",
            "message": "Report upload successful. Parsing will begin shortly.",
            "files_uploaded": submission.files_uploaded,
            "total_size_mb": submission.total_size_mb,
            "webhook_url": submission.webhook_url,
        }
        return json_response(body, 202, {"Location": status_path(submission.job_id)})

    return answer(handle)


def _read_form(req: func.HttpRequest, limits: UploadLimits) -> UploadForm:
    # Never req.files / req.form: azure-functions parses those with no part or size limit.
    return read_upload_form(req.get_body(), req.headers.get("Content-Type"), limits)
