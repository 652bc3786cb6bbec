"""What the OpenAPI document says of each route: parameters, request body, answers, headers.

:data:`OPERATIONS` lists every HTTP route the app registers (a unit test checks it
against ``function_app``), each answer with its body model from :mod:`lib.api.models`,
the error codes it can carry and its headers; :data:`WEBHOOKS` lists what the service
POSTs to receivers. :mod:`lib.api.openapi` turns both into the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel

from lib.api.job_lifecycle import JobCancelled, JobDeleted, JobListBody
from lib.api.models import (
    ErrorBody,
    FhirBundle,
    HealthBody,
    JobStatusBody,
    RedeliveryAccepted,
    UploadAccepted,
    WebhookFullBody,
    WebhookThinBody,
)
from lib.domain.listing import DEFAULT_LIMIT, LISTED, MAX_LIMIT

JSON: Final = "application/json"
FHIR_JSON: Final = "application/fhir+json"

_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


@dataclass(frozen=True)
class Param:
    """A path, query or header parameter."""

    name: str
    where: str  # "path", "query" or "header"
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True)
class Reply:
    """One documented answer of an operation: its status, body model and headers.

    ``codes`` are the error codes the envelope can carry with this status; they go
    into the description, where clients (and people) read them. ``headers`` are
    always sent with this answer, ``optional_headers`` sometimes (see :data:`HEADERS`).
    """

    status: int
    description: str
    model: type[BaseModel] | None = ErrorBody
    codes: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    optional_headers: tuple[str, ...] = ()
    media_type: str = JSON
    links: tuple[str, ...] = ()  # operation ids taking this body's ``job_id`` as their ``job_id``


@dataclass(frozen=True)
class Operation:
    """One route and method of the app."""

    method: str
    path: str  # as registered, without the ``/api`` prefix: e.g. ``/v1/job/status/{job_id}``
    operation_id: str  # the name of the function that serves it
    summary: str
    description: str
    tag: str
    replies: tuple[Reply, ...]
    params: tuple[Param, ...] = ()
    request_body: dict[str, Any] | None = None
    secured: bool = True


#: Response headers: what each means and its form.
HEADERS: Final[dict[str, dict[str, Any]]] = {
    "Location": {"description": "The path of the job's status document", "schema": {"type": "string"}},
    "Retry-After": {
        "description": "Seconds to wait before trying again (on a 202: before the first poll of `Location`)",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "RateLimit-Policy": {
        "description": (
            "The tenant's quotas (IETF draft-ietf-httpapi-ratelimit-headers): uploads per window and jobs in "
            'flight, e.g. `"uploads";q=600;w=60, "jobs-in-flight";q=1000`. On answers to a valid key'
        ),
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'What is left of each quota, e.g. `"uploads";r=599;t=42`. On answers to a valid key',
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`no-store` on every answer that can carry patient data (every JSON answer of the API)",
        "schema": {"type": "string"},
    },
    "X-Content-Type-Options": {"description": "`nosniff`", "schema": {"type": "string", "enum": ["nosniff"]}},
}

#: On every answer the app itself makes.
EVERY_ANSWER: Final = ("Cache-Control", "X-Content-Type-Options")
#: On answers to a request whose key checked out (left out when the quota state cannot be read).
KEYED: Final = ("RateLimit-Policy", "RateLimit")

TENANT = Param(
    "tenant_id", "path", "The tenant's id", {"type": "string", "pattern": _ID_PATTERN}, required=True
)
PROJECT = Param(
    "project_id", "path", "The project's id", {"type": "string", "pattern": _ID_PATTERN}, required=True
)
JOB = Param(
    "job_id",
    "path",
    "The job's id, as the upload answered it (a MongoDB ObjectId: 24 hexadecimal digits)",
    {"type": "string", "pattern": "^[0-9a-f]{24}$"},
    required=True,
)
#: A list filter's time: an empty value means no bound.
_TIME_OR_EMPTY: Final[dict[str, Any]] = {
    "type": "string",
    "anyOf": [{"format": "date-time"}, {"maxLength": 0}],
}
_STATUS_WORD = "(" + "|".join(sorted(status.value for status in LISTED)) + ")"

_AUTH_401 = Reply(401, "No key, or a wrong or revoked one", codes=("missing_api_key", "invalid_api_key"))
_UNAVAILABLE = Reply(
    503,
    "MongoDB or Storage is down or throttling; nothing was changed, retry after `Retry-After`",
    codes=("dependency_unavailable", "dependency_throttled"),
    headers=("Retry-After",),
)
_INTERNAL = Reply(
    500,
    "An unexpected error, or settings the service cannot run with; never a stack trace",
    codes=("internal_error", "configuration_error"),
)
_JOB_404 = Reply(
    404, "No such job for the key's tenant (another tenant's job answers the same)", codes=("job_not_found",)
)
_JOB_410 = Reply(
    410,
    "The job was deleted, or its project's retention purged it (`error.expired_at` says when)",
    codes=("job_deleted", "result_expired"),
)
_PROJECT_404 = Reply(
    404,
    "Unknown project, or a tenant the key does not belong to",
    codes=("tenant_not_found", "project_not_found"),
)

_UPLOAD_FORM: Final[dict[str, Any]] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "array",
                        "minItems": 1,
                        "description": "The report's PDF files, one part each, in order",
                        "items": {
                            "type": "string",
                            "format": "binary",
                            "contentMediaType": "application/pdf",
                        },
                    },
                    "webhook_url": {
                        "type": "string",
                        "maxLength": 2048,
                        "description": "Where to POST the job's webhook (used when the query has none)",
                    },
                },
            },
            "encoding": {"file": {"contentType": "application/pdf"}},
        }
    },
}

OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        method="post",
        path="/v1/tenants/{tenant_id}/projects/{project_id}/reports",
        operation_id="upload_report",
        summary="Upload a report for parsing",
        description=(
            "Stores the report's PDFs and queues the job. 202 means the job exists and the work has not "
            "been done: poll `Location` or wait for the webhook. A refused request writes nothing. "
            "With `Idempotency-Key`, a repeat within 24 hours answers the first 202 again."
        ),
        tag="reports",
        params=(
            TENANT,
            PROJECT,
            Param(
                "webhook_url",
                "query",
                "Where to POST the job's webhook: an absolute https URL (also accepted as a form field)",
                {"type": "string", "maxLength": 2048},
            ),
            Param(
                "Idempotency-Key",
                "header",
                "Makes a retry safe (IETF draft semantics, scoped to the tenant, kept 24 hours): the same "
                "upload again answers the first job's 202 with `Idempotent-Replayed: true`. 1-255 printable "
                "ASCII characters, bare or as a quoted string",
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
                },
            ),
        ),
        request_body=_UPLOAD_FORM,
        replies=(
            Reply(
                202,
                "The job is recorded and queued",
                UploadAccepted,
                headers=("Location", "Retry-After"),
                optional_headers=("Idempotent-Replayed",),
                links=("get_job_status", "get_job_fhir", "cancel_job_http", "delete_job_http"),
            ),
            Reply(
                400,
                "Bad input, or a body that is not a sane upload form",
                codes=(
                    "missing_file",
                    "empty_file",
                    "too_many_files",
                    "pdf_encrypted",
                    "pdf_unreadable",
                    "invalid_webhook_url",
                    "unsafe_webhook_url",
                    "webhook_host_unresolvable",
                    "too_many_parts",
                    "form_field_too_large",
                    "malformed_multipart",
                    "idempotency_key_invalid",
                ),
            ),
            _AUTH_401,
            _PROJECT_404,
            Reply(
                409,
                "A request with this Idempotency-Key is still being written; retry after `Retry-After`",
                codes=("idempotency_in_progress",),
                headers=("Retry-After",),
            ),
            Reply(
                413,
                "Over `MAX_FILE_MB` per file, `MAX_UPLOAD_MB` in all, or `MAX_PAGES` pages. A body over "
                "the host's `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` is refused by the host with an empty body",
                codes=("file_too_large", "upload_too_large", "too_many_pages"),
            ),
            Reply(415, "A file without the `%PDF-` header", codes=("not_a_pdf",)),
            Reply(
                422,
                "The Idempotency-Key was used before for a different upload (project, files or webhook_url)",
                codes=("idempotency_key_reused",),
            ),
            Reply(
                429,
                "The tenant is over its uploads per minute or its jobs in flight; retry after `Retry-After`",
                codes=("rate_limited",),
                headers=("Retry-After",),
            ),
            _UNAVAILABLE,
            _INTERNAL,
        ),
    ),
    Operation(
        method="get",
        path="/v1/tenants/{tenant_id}/projects/{project_id}/jobs",
        operation_id="list_project_jobs",
        summary="A project's jobs, newest first, a page at a time",
        description=(
            "Each item is the job's status document without `parsed_data`. Pass `next_cursor` as `cursor` "
            "(with the same filters) for the next page; jobs uploaded meanwhile never shift a page."
        ),
        tag="jobs",
        params=(
            TENANT,
            PROJECT,
            Param(
                "status",
                "query",
                "Only jobs in this status, or in one of several, comma-separated (empty: every status)",
                {"type": "string", "pattern": f"^({_STATUS_WORD}(,{_STATUS_WORD})*)?$"},
            ),
            Param(
                "created_after",
                "query",
                "Only jobs created at or after this time (ISO 8601 with an offset or `Z`; empty: no bound). "
                "Must be earlier than `created_before`",
                _TIME_OR_EMPTY,
            ),
            Param(
                "created_before",
                "query",
                "Only jobs created before this time (ISO 8601 with an offset or `Z`; empty: no bound)",
                _TIME_OR_EMPTY,
            ),
            Param(
                "limit",
                "query",
                f"Jobs per page ({DEFAULT_LIMIT} by default)",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            ),
            Param("cursor", "query", "The `next_cursor` of the previous page", {"type": "string"}),
        ),
        replies=(
            Reply(200, "One page of jobs", JobListBody),
            Reply(
                400,
                "A malformed filter, limit or cursor (or a cursor of other filters), or an unknown parameter",
                codes=("invalid_query", "invalid_cursor"),
            ),
            _AUTH_401,
            _PROJECT_404,
            _UNAVAILABLE,
            _INTERNAL,
        ),
    ),
    Operation(
        method="get",
        path="/v1/job/status/{job_id}",
        operation_id="get_job_status",
        summary="A job's status document",
        description="`parsed_data` when completed, `error` when failed, `webhook` once the job has ended.",
        tag="jobs",
        params=(JOB,),
        replies=(
            Reply(200, "The job's status document", JobStatusBody),
            _AUTH_401,
            _JOB_404,
            _JOB_410,
            _UNAVAILABLE,
            _INTERNAL,
        ),
    ),
    Operation(
        method="get",
        path="/v1/job/{job_id}/fhir",
        operation_id="get_job_fhir",
        summary="A completed job's report as a FHIR R4 Bundle",
        description="A `collection` Bundle (FHIR R4 4.0.1). The same key and tenant rules as the status.",
        tag="jobs",
        params=(JOB,),
        replies=(
            Reply(200, "The report as a FHIR Bundle", FhirBundle, media_type=FHIR_JSON),
            _AUTH_401,
            _JOB_404,
            Reply(409, "The job has not completed", codes=("job_not_completed",)),
            _JOB_410,
            _UNAVAILABLE,
            _INTERNAL,
        ),
    ),
    Operation(
        method="post",
        path="/v1/job/{job_id}/webhook/redeliver",
        operation_id="redeliver_job_webhook",
        summary="Send an ended job's webhook again",
        description="Queues a fresh delivery with a new `webhook-id`.",
        tag="jobs",
        params=(JOB,),
        replies=(
            Reply(202, "The new delivery is queued", RedeliveryAccepted),
            _AUTH_401,
            _JOB_404,
            Reply(
                409,
                "The job has not ended, or has no webhook_url",
                codes=("job_not_finished", "no_webhook_url"),
            ),
            _JOB_410,
            _UNAVAILABLE,
            _INTERNAL,
        ),
    ),
    Operation(
        method="post",
        path="/v1/job/{job_id}/cancel",
        operation_id="cancel_job_http",
        summary="Cancel a pending or processing job",
        description=(
            "The job becomes `cancelled`; a parse already running finishes but its result is discarded. "
            "The webhook `job.cancelled` goes out when the job has a webhook_url."
        ),
        tag="jobs",
        params=(JOB,),
        replies=(
            Reply(202, "The job is cancelled", JobCancelled),
            _AUTH_401,
            _JOB_404,
            Reply(
                409,
                "The job has already ended, or kept changing while being cancelled (try again)",
                codes=("job_finished", "job_busy"),
            ),
            _JOB_410,
            _UNAVAILABLE,
            _INTERNAL,
        ),
    ),
    Operation(
        method="delete",
        path="/v1/job/{job_id}",
        operation_id="delete_job_http",
        summary="Delete a job and purge its report",
        description=(
            "Removes the job's files, its parsed report, every patient-bearing field of the job and any "
            "webhook body; a tombstone (ids, timestamps, `deleted_at`) stays and the status answers 410 "
            "`job_deleted`. Deleting a deleted or expired job answers 202 again."
        ),
        tag="jobs",
        params=(JOB,),
        replies=(
            Reply(202, "The job is deleted", JobDeleted),
            _AUTH_401,
            _JOB_404,
            _UNAVAILABLE,
            _INTERNAL,
        ),
    ),
    Operation(
        method="get",
        path="/health",
        operation_id="health",
        summary="Whether the service can serve requests",
        description=(
            "200 when the database and storage both answered a ping, 503 otherwise. No key; the "
            "answer is cached for a moment, so calling it often costs the dependencies nothing more."
        ),
        tag="operations",
        secured=False,
        replies=(
            Reply(200, "The database and storage answered", HealthBody),
            Reply(503, "The database or storage did not answer", HealthBody),
        ),
    ),
    Operation(
        method="get",
        path="/openapi.json",
        operation_id="openapi_json",
        summary="This document",
        description="The OpenAPI 3.1 description of the API. No key.",
        tag="operations",
        secured=False,
        replies=(Reply(200, "The OpenAPI document", None),),
    ),
)

# The webhooks the service sends (OpenAPI 3.1 ``webhooks``): one per event.
WEBHOOKS: Final[dict[str, tuple[str, type[BaseModel]]]] = {
    "job_ended": (
        "A job has ended (`event` is `job.completed`, `job.failed` or `job.cancelled`): the status "
        "document plus `event`, signed with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`)",
        WebhookFullBody,
    ),
    "job_ended_thin": (
        "The same for a project with thin webhooks: ids, status, timestamps and error; no patient data",
        WebhookThinBody,
    ),
}
