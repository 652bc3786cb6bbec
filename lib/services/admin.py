"""Use cases for operators: tenants, projects and their webhook secrets, ``ai_models``, API keys.

Every command raises a :class:`lib.domain.errors.ServiceError` (or
:class:`lib.domain.tenants.AlreadyExists`) with a sentence for the operator when it
refuses; none prints or logs a secret.
"""

from __future__ import annotations

from datetime import timedelta

from lib.domain.api_keys import IssuedKey, hash_secret, issue_key, parse_key
from lib.domain.errors import Conflict, InvalidRequest, NotFound
from lib.domain.output_policy import MixedPatientPolicy, OutputPolicy, UngroundedPolicy
from lib.domain.quotas import Limits, TenantLimits
from lib.domain.tenants import AiModel, Project, WebhookSecret, new_webhook_secret, rotate_secrets
from lib.domain.uploads import check_resource_id
from lib.domain.webhooks import PayloadMode
from lib.services.context import Context

#: A rotation re-reads and tries again when another one changed the secrets meanwhile.
ROTATION_TRIES = 5
#: Longest prompt an ``ai_models`` entry may hold (characters).
MAX_PROMPT_CHARS = 100_000


def _checked_id(value: str, kind: str) -> str:
    try:
        check_resource_id(value, kind)
    except NotFound:
        raise InvalidRequest(
            f"{kind} id must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        ) from None
    return value


def _project_not_found(project_id: str) -> NotFound:
    return NotFound(f"project {project_id} not found", code="project_not_found")


def create_tenant(ctx: Context, tenant_id: str, name: str) -> None:
    """Register a tenant (no keys yet)."""
    ctx.tenants.create_tenant(_checked_id(tenant_id, "tenant"), name, ctx.clock())


def create_project(
    ctx: Context,
    tenant_id: str,
    project_id: str,
    name: str,
    ai_model_id: str | None = None,
    webhook_payload: PayloadMode = PayloadMode.FULL,
) -> str:
    """Register a project under an existing tenant; returns its webhook signing secret (shown once).

    ``ai_model_id``, when given, must name an existing ``ai_models`` entry.
    """
    if not ctx.tenants.tenant_exists(tenant_id):
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
    if ai_model_id is not None:
        _require_ai_model(ctx, ai_model_id)
    now = ctx.clock()
    secret = WebhookSecret(new_webhook_secret(), now)
    project = Project(
        tenant_id, _checked_id(project_id, "project"), name, ai_model_id, (secret,), webhook_payload
    )
    ctx.tenants.create_project(project, now)
    return secret.secret


def rotate_webhook_secret(ctx: Context, tenant_id: str, project_id: str, overlap: timedelta) -> str:
    """A new signing secret; the current one keeps signing too for ``overlap``, then expires.

    Each try is one write conditional on the secrets it read, so two rotations at once
    both land (the later one keeps the earlier one's secret); after
    :data:`ROTATION_TRIES` lost races, :class:`Conflict`.
    """
    if overlap < timedelta(0):
        raise InvalidRequest("the overlap cannot be negative")
    secret = new_webhook_secret()
    for _ in range(ROTATION_TRIES):
        project = ctx.tenants.get_project(tenant_id, project_id)
        if project is None:
            raise _project_not_found(project_id)
        rotation = rotate_secrets(project.webhook_secrets, secret, overlap, ctx.clock())
        if ctx.tenants.apply_rotation(tenant_id, project_id, rotation):
            ctx.auth.forget_project(tenant_id, project_id)
            return secret
    raise Conflict("the project's secrets kept changing; try again", code="rotation_conflict")


def set_webhook_payload(ctx: Context, tenant_id: str, project_id: str, mode: PayloadMode) -> None:
    """Choose what the project's webhooks carry: ``full`` (with parsed_data) or ``thin``."""
    if not ctx.tenants.set_webhook_payload(tenant_id, project_id, mode):
        raise _project_not_found(project_id)
    ctx.auth.forget_project(tenant_id, project_id)


def set_output_policy(
    ctx: Context,
    tenant_id: str,
    project_id: str,
    *,
    ungrounded: UngroundedPolicy | None = None,
    mixed_patient: MixedPatientPolicy | None = None,
    fhir_in_webhooks: bool | None = None,
) -> OutputPolicy:
    """Change the project's output choices that are given; returns the policy now in force."""
    project = ctx.tenants.get_project(tenant_id, project_id)
    if project is None:
        raise _project_not_found(project_id)
    current = project.output
    policy = OutputPolicy(
        ungrounded=ungrounded or current.ungrounded,
        mixed_patient=mixed_patient or current.mixed_patient,
        fhir_in_webhooks=current.fhir_in_webhooks if fhir_in_webhooks is None else fhir_in_webhooks,
    )
    if not ctx.tenants.set_output_policy(tenant_id, project_id, policy):
        raise _project_not_found(project_id)
    ctx.auth.forget_project(tenant_id, project_id)
    return policy


#: The longest retention a project may ask for (ten years); the Blob lifecycle rule in
#: ``infra/`` must be at least the longest retention in use (it is the backstop).
MAX_RETENTION_DAYS = 3650


def set_retention(ctx: Context, tenant_id: str, project_id: str, days: int | None) -> int:
    """Keep the project's jobs ``days`` days from upload (``None``: ``RETENTION_DAYS_DEFAULT``) before
    the sweeper purges them; returns the retention now in force. Applies to jobs already stored too."""
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise InvalidRequest(f"the retention must be 1 to {MAX_RETENTION_DAYS} days")
    if not ctx.tenants.set_retention_days(tenant_id, project_id, days):
        raise _project_not_found(project_id)
    ctx.auth.forget_project(tenant_id, project_id)
    return days if days is not None else ctx.settings.retention_days_default


def set_ai_model(ctx: Context, model_id: str, *, model: str | None, prompt: str | None) -> AiModel:
    """Create or replace the ``ai_models`` entry ``model_id``: a Gemini model name, a prompt, or both.

    Projects that name the entry use it from their next parse on; a field left out
    means the default (``GEMINI_MODEL``, the built-in prompt).
    """
    model = model.strip() if model is not None else None
    if model == "" or (prompt is not None and not prompt.strip()):
        raise InvalidRequest("the model name and the prompt cannot be empty")
    if model is None and prompt is None:
        raise InvalidRequest("give a model, a prompt, or both")
    if prompt is not None and len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest(f"the prompt is longer than {MAX_PROMPT_CHARS} characters")
    entry = AiModel(_checked_id(model_id, "ai model"), model, prompt)
    ctx.tenants.put_ai_model(entry)
    return entry


def assign_ai_model(ctx: Context, tenant_id: str, project_id: str, model_id: str | None) -> None:
    """Make the project parse with the ``ai_models`` entry ``model_id`` (``None``: the defaults again)."""
    if model_id is not None:
        _require_ai_model(ctx, model_id)
    if not ctx.tenants.set_project_ai_model(tenant_id, project_id, model_id):
        raise _project_not_found(project_id)
    ctx.auth.forget_project(tenant_id, project_id)


def _require_ai_model(ctx: Context, model_id: str) -> None:
    if ctx.tenants.get_ai_model(model_id) is None:
        raise NotFound(
            f"ai model {model_id} not found (create it with set-ai-model)", code="ai_model_not_found"
        )


def create_api_key(ctx: Context, tenant_id: str) -> str:
    """Issue a key for the tenant; the plaintext is returned once and never stored."""
    key = issue_key()
    if not ctx.tenants.add_key(tenant_id, key, ctx.clock()):
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
    return key.plaintext


def revoke_api_key(ctx: Context, key_id: str) -> None:
    """Revoke a key by its id (the 12 hex characters after ``mrp_``)."""
    if not ctx.tenants.revoke_key(key_id, ctx.clock()):
        raise NotFound(f"no active key {key_id}", code="api_key_not_found")
    ctx.auth.forget_key(key_id)


def register_api_key(ctx: Context, tenant_id: str, plaintext: str) -> None:
    """Store a key chosen by the operator (the local dev key); a key already stored is kept as it is."""
    presented = parse_key(plaintext)
    if presented is None:
        raise InvalidRequest("not an API key: expected mrp_<12 hex>_<43 characters>")
    if ctx.tenants.key_registered(presented.key_id):
        return  # active or revoked: a revoked key stays revoked
    key = IssuedKey(presented.key_id, plaintext, hash_secret(presented.secret))
    if not ctx.tenants.add_key(tenant_id, key, ctx.clock()):
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")


def set_tenant_limits(
    ctx: Context,
    tenant_id: str,
    *,
    uploads_per_minute: int | None = None,
    jobs_in_flight: int | None = None,
    parses_at_once: int | None = None,
    reset: bool = False,
) -> Limits:
    """Override a tenant's quotas; the limits now in force (other instances: within ``AUTH_CACHE_SECONDS``).

    Values left out keep the tenant's current override; ``reset`` first drops every
    override (back to ``RATE_UPLOADS_PER_MINUTE``, ``MAX_JOBS_IN_FLIGHT``, ``MAX_PARSES_PER_TENANT``).
    """
    if not ctx.tenants.tenant_exists(tenant_id):
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
    try:
        given = TenantLimits(uploads_per_minute, jobs_in_flight, parses_at_once)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    current = TenantLimits() if reset else ctx.quotas.get_limits(tenant_id)
    overrides = current.merged(given)
    ctx.quotas.set_limits(tenant_id, overrides, ctx.clock())
    return ctx.settings.default_limits.with_overrides(overrides)
