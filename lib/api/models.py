"""The answer bodies of the HTTP API and of the webhooks, as pydantic models.

The presenter and the HTTP functions build their answers through these models, and
:mod:`lib.api.openapi` derives the OpenAPI document from the same classes, so the
document cannot drift from what the service sends.

Fields that a body carries only in some states (``error``, ``next_attempt_at``,
``model``, ``parsed_data``, ``webhook``) have a default and are left unset when
they do not apply; :func:`dump` leaves them out unless given. Every other field
is always present (``null`` when it has no value): it has no default, or a default
other than ``None`` (see :class:`ApiBody`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticUndefined

from lib.domain.jobs import JobStatus
from lib.domain.report_schema import ParsedReport
from lib.domain.webhooks import WebhookState


def iso_timestamp(moment: datetime) -> str:
    """A UTC timestamp as the API writes it: ISO 8601 with milliseconds and ``Z``."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    PlainSerializer(iso_timestamp, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-01-31T09:30:00.000Z"]}),
]


class ApiBody(BaseModel):
    """Base of the answer bodies: frozen, no unknown fields.

    A field with a default other than ``None`` (``success: Literal[True] = True``) counts
    as set even when not passed, so :func:`dump` always writes it; a field defaulting
    to ``None`` appears only when it was passed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        """Mark the fields with a real default as set (see the class docstring)."""
        always = [
            name
            for name, info in type(self).model_fields.items()
            if info.default not in (None, PydanticUndefined)
        ]
        self.__pydantic_fields_set__.update(always)


_Body = ApiBody


def dump(body: BaseModel) -> dict[str, Any]:
    """The JSON-ready dict of an answer body, without the fields left unset."""
    return body.model_dump(mode="json", exclude_unset=True)


class ErrorDetail(_Body):
    """What went wrong: a stable snake_case ``code`` and a sentence for people."""

    code: str = Field(description="Stable, machine-readable error code (see the error table)")
    message: str = Field(description="Human-readable explanation; never contains patient data")
    expired_at: Timestamp | None = Field(
        default=None, description="Present with `result_expired`: when the project's retention purged the job"
    )


class ErrorBody(_Body):
    """The envelope of every error answer."""

    success: Literal[False]
    error: ErrorDetail


class UploadAccepted(_Body):
    """The 202 answer to an accepted upload; poll ``Location`` or wait for the webhook."""

    success: Literal[True]
    job_id: str
    report_id: str
    status: Literal[JobStatus.PENDING]
    message: str
    files_uploaded: int = Field(ge=1)
    total_size_mb: float = Field(ge=0)
    webhook_url: str | None


class JobErrorBody(_Body):
    """Why a failed job failed."""

    code: str = Field(description="Stable error code, e.g. `parse_failed`, `pdf_too_complex`")
    message: str


class WebhookAttemptBody(_Body):
    """The most recent POST of the job's webhook to the receiver."""

    at: Timestamp
    outcome: str = Field(description="`delivered`, `retry`, `gone` or `refused`")
    status_code: int | None = Field(description="The receiver's HTTP status, when it answered")
    error: str | None = Field(description="A short sentence when the POST did not get an answer")
    duration_ms: int


class WebhookStatusBody(_Body):
    """How the delivery of the job's webhook is going; ``null`` until the job has ended."""

    state: WebhookState
    webhook_id: str = Field(description="The Standard Webhooks `webhook-id`, the same on every retry")
    event: str = Field(description="`job.completed`, `job.failed` or `job.cancelled`")
    attempts: int
    last_attempt: WebhookAttemptBody | None
    next_attempt_at: Timestamp | None = Field(description="When the next attempt is due, while pending")
    delivered_at: Timestamp | None


class ThinJobBody(_Body):
    """Ids, status, timestamps and error: what a thin webhook carries (no patient data)."""

    job_id: str
    report_id: str
    status: JobStatus
    message: str
    attempts: int = Field(ge=0, description="Parse attempts started so far")
    created_at: Timestamp
    completed_at: Timestamp | None
    failed_at: Timestamp | None
    cancelled_at: Timestamp | None = Field(
        default=None, description="Present when the client cancelled the job"
    )
    error: JobErrorBody | None = Field(default=None, description="Present only when the job failed")


class _JobDetail(ThinJobBody):
    """The status document's fields shared with the full webhook body."""

    max_attempts: int
    files_uploaded: int
    total_size_mb: float
    webhook_url: str | None
    updated_at: Timestamp
    next_attempt_at: Timestamp | None = Field(
        default=None, description="Present while a retry of a pending job is scheduled"
    )
    model: str | None = Field(default=None, description="Present when completed: what parsed the report")
    parsed_data: ParsedReport | None = Field(default=None, description="Present when completed")


class JobStatusBody(_JobDetail):
    """The status document of a job."""

    webhook: WebhookStatusBody | None = Field(
        default=None,
        description="The webhook's delivery; `null` until the job has ended or without a webhook_url",
    )


class FhirBundle(BaseModel):
    """A FHIR R4 ``Bundle`` resource (``application/fhir+json``), as specified by HL7."""

    model_config = ConfigDict(extra="allow", frozen=True)

    resourceType: Literal["Bundle"]


class RedeliveryAccepted(_Body):
    """The 202 answer to a webhook redelivery: the new delivery's id."""

    success: Literal[True]
    job_id: str
    webhook_id: str
    state: WebhookState


class WebhookThinBody(ThinJobBody):
    """The body POSTed to ``webhook_url`` by a project with thin webhooks."""

    event: str = Field(description="`job.completed`, `job.failed` or `job.cancelled`")


class WebhookFullBody(_JobDetail):
    """The body POSTed to ``webhook_url``: the status document (without ``webhook``) plus ``event``.

    ``fhir`` is present when the project asked for FHIR in webhooks and the job completed.
    """

    event: str = Field(description="`job.completed`, `job.failed` or `job.cancelled`")
    fhir: FhirBundle | None = None


class HealthBody(_Body):
    """The health answer: whether the database and storage both answered."""

    status: Literal["ok", "unavailable"]
