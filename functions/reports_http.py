"""HTTP: upload a report (multipart ``file`` parts, optional ``webhook_url``)."""

from __future__ import annotations

import azure.functions as func

from functions.http_support import API_KEY_HEADER, answer, error_response, json_response
from lib.adapters.multipart_form import read_upload_form
from lib.api.models import UploadAccepted, dump
from lib.bootstrap import context
from lib.domain.errors import IdempotencyInProgress
from lib.domain.idempotency import KEY_HEADER, REPLAYED_HEADER
from lib.domain.jobs import JobStatus
from lib.domain.uploads import UploadForm, UploadLimits
from lib.services.submit import status_path, submit_report

bp = func.Blueprint()


@bp.route(
    route="v1/tenants/{tenant_id}/projects/{project_id}/reports",
    methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,  # our own X-API-Key scheme, checked per tenant
)
def upload_report(req: func.HttpRequest) -> func.HttpResponse:
    """Accept a report for parsing: 202 with the job id, or a JSON error.

    ``Idempotency-Key`` (optional; 1-255 printable ASCII characters, bare or as a
    quoted string, else 400 ``idempotency_key_invalid``) makes a retry safe: the
    same upload again with the same key within 24 hours answers the first 202
    again, same body, with ``Idempotent-Replayed: true``; the key with different
    files, project or webhook URL is 422 ``idempotency_key_reused``; a repeat while
    the first is still being written is 409 ``idempotency_in_progress`` with
    ``Retry-After``. Keys are per tenant; only accepted uploads are remembered.
    """

    def handle() -> func.HttpResponse:
        try:
            submission = submit_report(
                context(),
                tenant_id=req.route_params["tenant_id"],
                project_id=req.route_params["project_id"],
                api_key=req.headers.get(API_KEY_HEADER),
                read_form=lambda limits: _read_form(req, limits),
                webhook_url=req.params.get("webhook_url"),
                idempotency_key=req.headers.get(KEY_HEADER),
            )
        except IdempotencyInProgress as exc:
            retry_after = {"Retry-After": str(exc.retry_after_seconds)}
            return error_response(exc.http_status, exc.code, exc.message, retry_after)
        body = UploadAccepted(
            success=True,
            job_id=submission.job_id,
            report_id=submission.report_id,
            status=JobStatus.PENDING,
            message="Report upload successful. Parsing will begin shortly.",
            files_uploaded=submission.files_uploaded,
            total_size_mb=submission.total_size_mb,
            webhook_url=submission.webhook_url,
        )
        # Retry-After: when polling the Location first makes sense (UPLOAD_RETRY_AFTER_SECONDS).
        wait = str(context().settings.upload_retry_after_seconds)
        headers = {"Location": status_path(submission.job_id), "Retry-After": wait}
        if submission.replayed:
            headers[REPLAYED_HEADER] = "true"
        return json_response(dump(body), 202, headers)

    return answer(handle)


def _read_form(req: func.HttpRequest, limits: UploadLimits) -> UploadForm:
    # Never req.files / req.form: azure-functions parses those with no part or size limit.
    return read_upload_form(req.get_body(), req.headers.get("Content-Type"), limits)
