"""The error tree of the application, split by what the caller must do.

::

    ServiceError
    ├── RequestRejected          the client's request is wrong: answer with ``http_status``
    │   ├── InvalidRequest           400
    │   ├── AuthenticationFailed     401
    │   ├── NotFound                 404
    │   ├── Conflict                 409
    │   │   └── IdempotencyInProgress    the key's first request is still being written
    │   ├── IdempotencyKeyReused     422
    │   ├── Gone                     410 (a deleted or expired job)
    │   ├── PayloadTooLarge          413
    │   ├── UnsupportedMediaType     415
    │   └── RateLimited              429
    ├── TransientError           try again later; nothing is known to be wrong with the job
    │   ├── DependencyUnavailable    MongoDB or Storage did not answer (503 for a client)
    │   │   └── DependencyThrottled  the dependency said "slow down" (Cosmos DB 16500)
    │   └── TransientParseError      the parser may succeed on another attempt
    ├── PermanentParseError      the job can never succeed: fail it
    │   └── PdfTooComplex            the report needs more time, memory or content than a parse may use
    ├── LeaseLost                a worker tried to finish a job it no longer owns
    └── ConfigurationError       the settings are missing or malformed

Messages never contain patient data: no file names, no report text, no parsed
fields. Context lives in attributes; the vendor exception is the ``__cause__``.
"""

from __future__ import annotations

from datetime import datetime


class ServiceError(Exception):
    """Base of every error this application raises on purpose.

    ``code`` is a stable, machine-readable identifier (snake_case) that clients
    and the job's history see; ``message`` is a sentence for people.
    """

    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class RequestRejected(ServiceError):
    """The request cannot be served as sent; nothing was written."""

    http_status: int = 400


class InvalidRequest(RequestRejected):
    """Raised for malformed input: a missing or empty file, a bad webhook URL."""

    http_status = 400
    code = "invalid_request"


class AuthenticationFailed(RequestRejected):
    """Raised when the ``X-API-Key`` header is missing or matches no active key."""

    http_status = 401
    code = "unauthorized"


class NotFound(RequestRejected):
    """Raised for an unknown tenant, project or job, and for one the key may not see."""

    http_status = 404
    code = "not_found"


class Conflict(RequestRejected):
    """Raised when the job is not in a state that allows the request (a redelivery too early)."""

    http_status = 409
    code = "conflict"


class IdempotencyInProgress(Conflict):
    """Raised when an upload repeats an ``Idempotency-Key`` whose first request is still being written.

    ``retry_after_seconds`` is when a repeat may get the first answer (or take the
    key over, if the first request's worker died).
    """

    code = "idempotency_in_progress"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("a request with this Idempotency-Key is still in progress; retry after a moment")
        self.retry_after_seconds = retry_after_seconds


class IdempotencyKeyReused(RequestRejected):
    """Raised when an ``Idempotency-Key`` comes back with different content (project, files, webhook URL)."""

    http_status = 422
    code = "idempotency_key_reused"


class Gone(RequestRejected):
    """Raised for a job whose data is gone for good: its client deleted it (``job_deleted``), or
    its project's retention ended (``result_expired``; ``expired_at`` says when)."""

    http_status = 410
    code = "gone"

    def __init__(self, message: str, *, code: str | None = None, expired_at: datetime | None = None) -> None:
        super().__init__(message, code=code)
        self.expired_at = expired_at


class PayloadTooLarge(RequestRejected):
    """Raised when a file or the whole upload exceeds its configured limit."""

    http_status = 413
    code = "payload_too_large"


class UnsupportedMediaType(RequestRejected):
    """Raised when an uploaded file is not a PDF (checked by its ``%PDF-`` header)."""

    http_status = 415
    code = "unsupported_media_type"


class RateLimited(RequestRejected):
    """Raised when a tenant is over one of its quotas (uploads per minute, jobs in flight).

    ``policy`` names the quota ("uploads", "jobs-in-flight"); ``retry_after_seconds``
    is when trying again can succeed (the ``Retry-After`` header).
    """

    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, policy: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.policy = policy
        self.retry_after_seconds = retry_after_seconds


class TransientError(ServiceError):
    """A failure that may go away by itself; the operation can be retried later."""

    code = "transient_error"


class DependencyUnavailable(TransientError):
    """Raised by an adapter when MongoDB or Azure Storage cannot be reached or times out.

    ``dependency`` names the service ("mongodb", "blob", "queue").
    """

    code = "dependency_unavailable"

    def __init__(self, dependency: str, message: str | None = None) -> None:
        super().__init__(message or f"{dependency} is unavailable")
        self.dependency = dependency


class DependencyThrottled(DependencyUnavailable):
    """Raised when a dependency keeps throttling (Cosmos DB error 16500) after our retries.

    ``retry_after_seconds`` is the dependency's own hint, when it gave one.
    """

    code = "dependency_throttled"

    def __init__(self, dependency: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(dependency, f"{dependency} is throttling requests")
        self.retry_after_seconds = retry_after_seconds


class TransientParseError(TransientError):
    """Raised by a parser when another attempt may succeed.

    Examples: Gemini rate limit (429), server errors (5xx), time-outs, transport
    errors, and answers that are truncated or do not match the schema.
    """

    code = "parse_transient_error"


class PermanentParseError(ServiceError):
    """Raised by a parser when the job can never succeed.

    Examples: an encrypted or corrupt PDF, a request Gemini refuses (400/403),
    a safety block.
    """

    code = "parse_failed"


class PdfTooComplex(PermanentParseError):
    """Raised when a report needs more than one parse may use: CPU or wall time, memory,
    or decoded content per page (``PARSE_*`` settings). ``resource`` names which."""

    code = "pdf_too_complex"

    def __init__(self, resource: str) -> None:
        super().__init__(
            f"the report needs more {resource} to parse than one report may use; "
            "split it or remove embedded content"
        )
        self.resource = resource


class LeaseLost(ServiceError):
    """Raised when a worker tries to change a job whose lease it no longer holds.

    Another worker took the job over after the lease expired, or the job ended;
    the caller must drop its result.
    """

    code = "lease_lost"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} is no longer leased to this worker")
        self.job_id = job_id


class ConfigurationError(ServiceError):
    """Raised at start-up when settings are missing or malformed; lists every problem."""

    code = "configuration_error"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration: " + "; ".join(problems))
        self.problems = problems
