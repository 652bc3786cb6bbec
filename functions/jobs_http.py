"""HTTP: a job's status, its report as FHIR, a fresh delivery of its webhook, cancel and delete."""

from __future__ import annotations

import azure.functions as func

from functions.http_support import API_KEY_HEADER, FHIR_JSON, answer, json_response
from lib.bootstrap import context
from lib.services.cancel import cancel_job
from lib.services.delete import delete_job
from lib.services.fhir_export import job_fhir
from lib.services.notify import redeliver
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


@bp.route(route="v1/job/{job_id}/fhir", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def get_job_fhir(req: func.HttpRequest) -> func.HttpResponse:
    """The completed job's report as a FHIR R4 Bundle (``application/fhir+json``): 404, or 409 until completed."""
    return answer(
        lambda: json_response(
            job_fhir(context(), api_key=req.headers.get(API_KEY_HEADER), job_id=req.route_params["job_id"]),
            mimetype=FHIR_JSON,
        )
    )


@bp.route(route="v1/job/{job_id}/webhook/redeliver", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def redeliver_job_webhook(req: func.HttpRequest) -> func.HttpResponse:
    """Queue a new delivery (new webhook-id) of an ended job's webhook: 202, or 404/409/410."""
    return answer(
        lambda: json_response(
            redeliver(context(), api_key=req.headers.get(API_KEY_HEADER), job_id=req.route_params["job_id"]),
            202,
        )
    )


@bp.route(route="v1/job/{job_id}/cancel", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def cancel_job_http(req: func.HttpRequest) -> func.HttpResponse:
    """Cancel a pending or processing job: 202, or 404, 409 ``job_finished``, 410."""
    return answer(
        lambda: json_response(
            cancel_job(context(), api_key=req.headers.get(API_KEY_HEADER), job_id=req.route_params["job_id"]),
            202,
        )
    )


@bp.route(route="v1/job/{job_id}", methods=["DELETE"], auth_level=func.AuthLevel.ANONYMOUS)
def delete_job_http(req: func.HttpRequest) -> func.HttpResponse:
    """Delete a job and purge its files and report: 202 (again for a deleted job), or 404."""
    return answer(
        lambda: json_response(
            delete_job(context(), api_key=req.headers.get(API_KEY_HEADER), job_id=req.route_params["job_id"]),
            202,
        )
    )
