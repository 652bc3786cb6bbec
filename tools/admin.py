"""Operator command: tenants, projects and API keys, against the configured MongoDB.

    python -m tools.admin create-tenant tenant-001 --name "Acme Health"
    python -m tools.admin create-project tenant-001 project-001 --name "Discharge letters"
                                                         # prints the webhook secret once
    python -m tools.admin create-key tenant-001          # prints the key once
    python -m tools.admin revoke-key 0123456789ab
    python -m tools.admin rotate-webhook-secret tenant-001 project-001 --overlap-hours 24
    python -m tools.admin set-webhook-payload tenant-001 project-001 thin
    python -m tools.admin set-output-policy tenant-001 project-001 --ungrounded drop --mixed-patient fail
    python -m tools.admin set-ai-model discharge-v2 --model gemini-3.5-pro --prompt-file prompt.txt
    python -m tools.admin assign-ai-model tenant-001 project-001 discharge-v2   # or --default
    python -m tools.admin set-retention tenant-001 project-001 90  # or "default" (RETENTION_DAYS_DEFAULT)
    python -m tools.admin bootstrap tenant-001 project-001  # tenant, project and key at once
    python -m tools.admin delete-tenant tenant-001 --yes  # revoke its keys, purge all its data
    python -m tools.admin set-tenant-limits tenant-001 --uploads-per-minute 120 --jobs-in-flight 500
                                            # also --parses-at-once N; --reset: back to the defaults

Reads the same settings as the app (``MONGODB_URI``, ... from the environment or
``local.settings.json``). Dev tooling: not deployed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

from lib.bootstrap import context
from lib.domain.errors import InvalidRequest, ServiceError
from lib.domain.output_policy import MixedPatientPolicy, UngroundedPolicy
from lib.domain.tenants import AlreadyExists
from lib.domain.webhooks import PayloadMode
from lib.services import admin, purge

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "local.settings.json"


def load_local_settings(path: Path = SETTINGS_FILE) -> None:
    """Copy ``Values`` of local.settings.json into the environment; variables already set win."""
    if path.exists():
        for name, value in json.loads(path.read_text()).get("Values", {}).items():
            os.environ.setdefault(name, str(value))


def read_prompt(path: Path) -> str:
    """The prompt file's text; :class:`InvalidRequest` when it cannot be read as UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"cannot read the prompt file {path}: {exc}") from exc


def retention_days(value: str) -> int | None:
    """The ``days`` argument of set-retention: a whole number, or ``default`` (``None``)."""
    if value == "default":
        return None
    if not value.isascii() or not value.isdigit():
        raise InvalidRequest('the retention is a whole number of days, or "default"')
    return int(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.admin", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    tenant = commands.add_parser("create-tenant", help="register a tenant")
    tenant.add_argument("tenant_id")
    tenant.add_argument("--name", default="")
    project = commands.add_parser("create-project", help="register a project of a tenant")
    project.add_argument("tenant_id")
    project.add_argument("project_id")
    project.add_argument("--name", default="")
    project.add_argument("--ai-model-id", default=None)
    project.add_argument("--webhook-payload", choices=[m.value for m in PayloadMode], default="full")
    key = commands.add_parser("create-key", help="issue an API key (printed once)")
    key.add_argument("tenant_id")
    revoke = commands.add_parser("revoke-key", help="revoke an API key by its id")
    revoke.add_argument("key_id")
    rotate = commands.add_parser(
        "rotate-webhook-secret", help="new webhook secret; the old one signs too for a while"
    )
    rotate.add_argument("tenant_id")
    rotate.add_argument("project_id")
    rotate.add_argument("--overlap-hours", type=float, default=24.0)
    payload = commands.add_parser(
        "set-webhook-payload", help="full (with parsed_data) or thin webhook bodies"
    )
    payload.add_argument("tenant_id")
    payload.add_argument("project_id")
    payload.add_argument("mode", choices=[m.value for m in PayloadMode])
    output = commands.add_parser(
        "set-output-policy", help="ungrounded facts (flag|drop), mixed patients (warn|fail), FHIR in webhooks"
    )
    output.add_argument("tenant_id")
    output.add_argument("project_id")
    output.add_argument("--ungrounded", choices=[p.value for p in UngroundedPolicy])
    output.add_argument("--mixed-patient", choices=[p.value for p in MixedPatientPolicy])
    output.add_argument("--fhir-webhooks", choices=["on", "off"])
    model = commands.add_parser(
        "set-ai-model", help="create or replace an ai_models entry: Gemini model and/or prompt"
    )
    model.add_argument("model_id")
    model.add_argument("--model", help="Gemini model name (default: GEMINI_MODEL)")
    model.add_argument("--prompt-file", type=Path, help="UTF-8 text file with the prompt (default: built-in)")
    assign = commands.add_parser("assign-ai-model", help="make a project parse with an ai_models entry")
    assign.add_argument("tenant_id")
    assign.add_argument("project_id")
    which = assign.add_mutually_exclusive_group(required=True)
    which.add_argument("model_id", nargs="?")
    which.add_argument("--default", action="store_true", help="back to GEMINI_MODEL and the built-in prompt")
    retention = commands.add_parser(
        "set-retention", help="days a project's jobs are kept before the sweeper purges them"
    )
    retention.add_argument("tenant_id")
    retention.add_argument("project_id")
    retention.add_argument("days", help='whole days (1-3650), or "default" for RETENTION_DAYS_DEFAULT')
    both = commands.add_parser("bootstrap", help="tenant + project + key in one go (existing ones are kept)")
    both.add_argument("tenant_id")
    both.add_argument("project_id")
    delete = commands.add_parser(
        "delete-tenant", help="revoke a tenant's keys and purge its jobs, files and reports (resumable)"
    )
    delete.add_argument("tenant_id")
    delete.add_argument("--yes", action="store_true", help="required: this cannot be undone")
    limits = commands.add_parser(
        "set-tenant-limits", help="override a tenant's quotas (values left out keep their override)"
    )
    limits.add_argument("tenant_id")
    limits.add_argument("--uploads-per-minute", type=int, help="uploads per minute (RATE_UPLOADS_PER_MINUTE)")
    limits.add_argument("--jobs-in-flight", type=int, help="pending + processing jobs (MAX_JOBS_IN_FLIGHT)")
    limits.add_argument("--parses-at-once", type=int, help="parses running at once (MAX_PARSES_PER_TENANT)")
    limits.add_argument(
        "--reset", action="store_true", help="drop the overrides first (back to the defaults)"
    )
    args = parser.parse_args(argv)
    if args.command == "delete-tenant" and not args.yes:
        print("error: delete-tenant removes every report of the tenant for good; add --yes", file=sys.stderr)
        return 2

    load_local_settings()
    ctx = context()
    try:
        if args.command == "create-tenant":
            admin.create_tenant(ctx, args.tenant_id, args.name)
            print(f"tenant {args.tenant_id} created")
        elif args.command == "create-project":
            secret = admin.create_project(
                ctx,
                args.tenant_id,
                args.project_id,
                args.name,
                args.ai_model_id,
                PayloadMode(args.webhook_payload),
            )
            print(f"project {args.project_id} created; webhook signing secret (shown once):\n{secret}")
        elif args.command == "create-key":
            print(admin.create_api_key(ctx, args.tenant_id))
        elif args.command == "revoke-key":
            admin.revoke_api_key(ctx, args.key_id)
            print(f"key {args.key_id} revoked")
        elif args.command == "rotate-webhook-secret":
            overlap = timedelta(hours=args.overlap_hours)
            secret = admin.rotate_webhook_secret(ctx, args.tenant_id, args.project_id, overlap)
            print(
                f"new webhook signing secret (the previous one signs too for {args.overlap_hours:g} h):\n{secret}"
            )
        elif args.command == "set-webhook-payload":
            admin.set_webhook_payload(ctx, args.tenant_id, args.project_id, PayloadMode(args.mode))
            print(f"project {args.project_id}: {args.mode} webhook payloads")
        elif args.command == "set-output-policy":
            policy = admin.set_output_policy(
                ctx,
                args.tenant_id,
                args.project_id,
                ungrounded=UngroundedPolicy(args.ungrounded) if args.ungrounded else None,
                mixed_patient=MixedPatientPolicy(args.mixed_patient) if args.mixed_patient else None,
                fhir_in_webhooks=None if args.fhir_webhooks is None else args.fhir_webhooks == "on",
            )
            print(
                f"project {args.project_id}: ungrounded facts {policy.ungrounded.value}, mixed patients "
                f"{policy.mixed_patient.value}, FHIR in webhooks {'on' if policy.fhir_in_webhooks else 'off'}"
            )
        elif args.command == "set-ai-model":
            prompt = read_prompt(args.prompt_file) if args.prompt_file else None
            entry = admin.set_ai_model(ctx, args.model_id, model=args.model, prompt=prompt)
            print(
                f"ai model {entry.model_id}: model {entry.model or '(default)'}, "
                f"prompt {f'{len(entry.prompt)} characters' if entry.prompt else '(default)'}"
            )
        elif args.command == "assign-ai-model":
            admin.assign_ai_model(
                ctx, args.tenant_id, args.project_id, None if args.default else args.model_id
            )
            print(f"project {args.project_id}: ai model {'(default)' if args.default else args.model_id}")
        elif args.command == "set-retention":
            days = admin.set_retention(ctx, args.tenant_id, args.project_id, retention_days(args.days))
            print(f"project {args.project_id}: jobs are purged {days} day(s) after upload")
        elif args.command == "delete-tenant":
            purged = purge.delete_tenant(ctx, args.tenant_id)
            print(f"tenant {args.tenant_id} deleted: {purged.jobs} job(s) and {purged.blobs} file(s) purged")
        elif args.command == "set-tenant-limits":
            now = admin.set_tenant_limits(
                ctx,
                args.tenant_id,
                uploads_per_minute=args.uploads_per_minute,
                jobs_in_flight=args.jobs_in_flight,
                parses_at_once=args.parses_at_once,
                reset=args.reset,
            )
            print(
                f"tenant {args.tenant_id}: {now.uploads_per_minute} uploads per minute, "
                f"{now.jobs_in_flight} jobs in flight, {now.parses_at_once} parses at once"
            )
        elif args.command == "bootstrap":
            for step in (
                lambda: admin.create_tenant(ctx, args.tenant_id, args.tenant_id),
                lambda: admin.create_project(ctx, args.tenant_id, args.project_id, args.project_id),
            ):
                with contextlib.suppress(AlreadyExists):
                    step()
            print(admin.create_api_key(ctx, args.tenant_id))
    except (ServiceError, AlreadyExists) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
