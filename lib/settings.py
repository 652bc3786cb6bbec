"""Settings: read from the environment once, validated once, every problem reported together.

Names follow the migration guide where it has one (``AZURE_STORAGE_CONNECTION_STRING``,
``AZURE_CONTAINER_NAME``, ``MONGODB_URI``, ``GEMINI_API_KEY``); the rest are ours.
``local.settings.json.example`` lists every one of them with its default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from lib.domain.errors import ConfigurationError
from lib.domain.quotas import Limits
from lib.domain.uploads import UploadLimits
from lib.domain.webhook_urls import WebhookUrlPolicy


class ParserChoice(str, Enum):
    """Which parser the worker uses: ``auto`` means Gemini when a key is set, else local."""

    AUTO = "auto"
    GEMINI = "gemini"
    LOCAL = "local"


Positive = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]

# Azure Storage names: 3-63 lowercase letters, digits and single hyphens, starting and ending
# with a letter or digit (the rules Azure documents for containers and queues alike).
_STORAGE_NAME = re.compile(r"[a-z0-9](?:-?[a-z0-9])+")
# The Functions host moves a message that keeps failing to "<queue>-poison", which must fit too.
_POISON_SUFFIX = "-poison"
_NAME_MAX = 63


def _storage_name(value: str, max_length: int = _NAME_MAX) -> str:
    if not (3 <= len(value) <= max_length and _STORAGE_NAME.fullmatch(value)):
        raise ValueError(
            f"must be 3-{max_length} lowercase letters, digits and single hyphens,"
            " starting and ending with a letter or digit"
        )
    return value


def _queue_name(value: str) -> str:
    return _storage_name(value, _NAME_MAX - len(_POISON_SUFFIX))


ContainerName = Annotated[str, AfterValidator(_storage_name)]
QueueName = Annotated[str, AfterValidator(_queue_name)]


class Settings(BaseModel):
    """Every setting the application reads; field aliases are the environment names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    storage_connection_string: str | None = Field(default=None, alias="AZURE_STORAGE_CONNECTION_STRING")
    # Identity-based alternative (the Functions host's convention for a connection named
    # AZURE_STORAGE_CONNECTION_STRING): service URIs plus the managed identity's client id.
    storage_blob_service_uri: str | None = Field(
        default=None, alias="AZURE_STORAGE_CONNECTION_STRING__blobServiceUri"
    )
    storage_queue_service_uri: str | None = Field(
        default=None, alias="AZURE_STORAGE_CONNECTION_STRING__queueServiceUri"
    )
    storage_client_id: str | None = Field(default=None, alias="AZURE_STORAGE_CONNECTION_STRING__clientId")
    container_name: ContainerName = Field(default="medical-reports", alias="AZURE_CONTAINER_NAME")
    parse_queue_name: QueueName = Field(default="parse-jobs", alias="PARSE_QUEUE_NAME")
    webhook_queue_name: QueueName = Field(default="webhook-deliveries", alias="WEBHOOK_QUEUE_NAME")
    mongodb_uri: str = Field(alias="MONGODB_URI", min_length=1)
    mongodb_database: str = Field(default="medical_report_parser", alias="MONGODB_DATABASE", min_length=1)
    mongodb_timeout_ms: Positive = Field(default=5000, alias="MONGODB_TIMEOUT_MS")

    parser: ParserChoice = Field(default=ParserChoice.AUTO, alias="PARSER")
    gemini_api_key: str | None = Field(default=None, alias="GEMINI_API_KEY")
    gemini_model: str = Field(default="gemini-3.5-flash", alias="GEMINI_MODEL", min_length=1)
    gemini_base_url: str | None = Field(default=None, alias="GEMINI_BASE_URL")
    gemini_timeout_seconds: PositiveFloat = Field(default=120.0, alias="GEMINI_TIMEOUT_SECONDS")

    max_attempts: Positive = Field(default=3, alias="MAX_ATTEMPTS")
    lease_seconds: Positive = Field(default=720, alias="LEASE_SECONDS")
    retry_base_seconds: PositiveFloat = Field(default=10.0, alias="RETRY_BASE_SECONDS")
    # Queue visibility delays cannot exceed seven days.
    retry_max_seconds: float = Field(default=600.0, gt=0, le=604_000, alias="RETRY_MAX_SECONDS")

    webhook_timeout_seconds: PositiveFloat = Field(default=10.0, alias="WEBHOOK_TIMEOUT_SECONDS")
    webhook_max_attempts: Positive = Field(default=10, alias="WEBHOOK_MAX_ATTEMPTS")
    # The schedule's last step is 12 h at base 5 s; base 60 s stretches it to six days.
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0, le=60, alias="WEBHOOK_RETRY_BASE_SECONDS")
    webhook_allow_http: bool = Field(default=False, alias="WEBHOOK_ALLOW_HTTP")
    webhook_allow_private_networks: bool = Field(default=False, alias="WEBHOOK_ALLOW_PRIVATE_NETWORKS")
    webhook_allowed_ports: str = Field(
        default="443,80,8443", alias="WEBHOOK_ALLOWED_PORTS", pattern=r"^\d{1,5}(,\d{1,5})*$"
    )

    sweep_batch_size: Positive = Field(default=100, alias="SWEEP_BATCH_SIZE")
    sweep_stale_message_seconds: Positive = Field(default=300, alias="SWEEP_STALE_MESSAGE_SECONDS")
    job_deadline_minutes: Positive = Field(default=60, alias="JOB_DEADLINE_MINUTES")

    # How long an API key and a project's existence are remembered per process (0: not at all).
    auth_cache_seconds: float = Field(default=30.0, ge=0, le=300, alias="AUTH_CACHE_SECONDS")

    max_file_mb: PositiveFloat = Field(default=25.0, alias="MAX_FILE_MB")
    max_upload_mb: PositiveFloat = Field(default=50.0, alias="MAX_UPLOAD_MB")
    max_files: Positive = Field(default=10, alias="MAX_FILES")
    # Pages per report (all files together), counted at upload; more -> 413 too_many_pages.
    max_pages: Positive = Field(default=300, alias="MAX_PAGES")

    # The work one parse may do: it runs in a child process with these hard limits.
    parse_cpu_seconds: Positive = Field(default=60, alias="PARSE_CPU_SECONDS")
    parse_wall_seconds: Positive = Field(default=120, alias="PARSE_WALL_SECONDS")
    parse_memory_mb: int = Field(default=1536, ge=256, alias="PARSE_MEMORY_MB")
    parse_max_concurrent: Positive = Field(default=2, alias="PARSE_MAX_CONCURRENT")

    # How long an upload's claim on its Idempotency-Key holds before a repeat may take it over
    # (the claimant is presumed dead); repeats get 409 until then. It must outlast the job insert
    # (MONGODB_TIMEOUT_MS plus the throttling retries, about 10 s), hence the minimum.
    idempotency_lock_seconds: int = Field(default=60, ge=20, le=600, alias="IDEMPOTENCY_LOCK_SECONDS")

    # Blobs that no job references are removed by the sweeper once this old.
    orphan_blob_grace_minutes: Positive = Field(default=60, alias="ORPHAN_BLOB_GRACE_MINUTES")

    # Per-tenant quotas (lib/domain/quotas.py); an admin can override each one per tenant.
    rate_uploads_per_minute: Positive = Field(default=600, alias="RATE_UPLOADS_PER_MINUTE")
    max_jobs_in_flight: Positive = Field(default=1000, alias="MAX_JOBS_IN_FLIGHT")
    max_parses_per_tenant: Positive = Field(default=16, alias="MAX_PARSES_PER_TENANT")
    # A parse over its tenant's cap comes back after this long (times 1-2, jitter).
    parse_defer_seconds: float = Field(default=5.0, gt=0, le=600, alias="PARSE_DEFER_SECONDS")
    # The 202's Retry-After: when polling the status first makes sense.
    upload_retry_after_seconds: Positive = Field(default=5, alias="UPLOAD_RETRY_AFTER_SECONDS")

    # Days a job (files, report, job record) is kept before the sweeper purges it, for a project
    # without its own retention_days (tools.admin set-retention). 30: keep patient data no longer
    # than a client needs to collect a result, and within the Blob lifecycle rule's age (infra/).
    retention_days_default: int = Field(default=30, ge=1, le=3650, alias="RETENTION_DAYS_DEFAULT")

    @property
    def webhook_policy(self) -> WebhookUrlPolicy:
        """Which webhook URLs may be called (the SSRF guard's rules)."""
        return WebhookUrlPolicy(
            allow_http=self.webhook_allow_http,
            allow_private_networks=self.webhook_allow_private_networks,
            allowed_ports=frozenset(int(port) for port in self.webhook_allowed_ports.split(",")),
        )

    @property
    def upload_limits(self) -> UploadLimits:
        """How much one upload may carry (files, bytes, pages)."""
        return UploadLimits.from_megabytes(
            self.max_file_mb, self.max_upload_mb, self.max_files, self.max_pages
        )

    @property
    def default_limits(self) -> Limits:
        """The quotas of a tenant without overrides."""
        return Limits(self.rate_uploads_per_minute, self.max_jobs_in_flight, self.max_parses_per_tenant)

    @property
    def use_gemini(self) -> bool:
        """Whether the worker parses with Gemini (else with the local rules parser)."""
        if self.parser is ParserChoice.AUTO:
            return bool(self.gemini_api_key)
        return self.parser is ParserChoice.GEMINI

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from environment variables; raise one error naming every bad value.

        Empty strings count as unset, so a blank line in an app-settings file falls
        back to the default instead of failing validation.
        """
        values = {name: value for name, value in environ.items() if value.strip() != ""}
        problems = []
        identity = "AZURE_STORAGE_CONNECTION_STRING__blobServiceUri" in values and (
            "AZURE_STORAGE_CONNECTION_STRING__queueServiceUri" in values
        )
        if "AZURE_STORAGE_CONNECTION_STRING" not in values and not identity:
            problems.append(
                "AZURE_STORAGE_CONNECTION_STRING: required, unless both "
                "AZURE_STORAGE_CONNECTION_STRING__blobServiceUri and __queueServiceUri are set"
            )
        try:
            settings = cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigurationError(problems + [_describe(error) for error in exc.errors()]) from None
        if settings.parser is ParserChoice.GEMINI and not settings.gemini_api_key:
            problems.append("GEMINI_API_KEY: required when PARSER=gemini")
        if settings.max_file_mb > settings.max_upload_mb:
            problems.append("MAX_FILE_MB: must not exceed MAX_UPLOAD_MB")
        if settings.retry_base_seconds > settings.retry_max_seconds:
            problems.append("RETRY_BASE_SECONDS: must not exceed RETRY_MAX_SECONDS")
        if problems:
            raise ConfigurationError(problems)
        return settings


def _describe(error: object) -> str:
    # pydantic's error dicts carry the offending input; we report the name and rule only,
    # since a connection string or key must not end up in a log.
    assert isinstance(error, dict)
    location = ".".join(str(part) for part in error.get("loc", ())) or "settings"
    return f"{location}: {error.get('msg', 'invalid')}"
