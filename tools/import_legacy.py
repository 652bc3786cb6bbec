"""Import the old synchronous service's reports into the new schema (the migration guide's option 2).

    python -m tools.import_legacy --dry-run            # what would be imported; writes nothing
    python -m tools.import_legacy                       # import everything not imported yet
    python -m tools.import_legacy --limit 1000          # at most 1000 now; run again to go on
    python -m tools.import_legacy --tenant tenant-001 --project project-001   # owner of documents that name none
    python -m tools.import_legacy --report unmapped.jsonl   # the report as JSON lines, not on stdout

Each old document of ``parsed_reports`` becomes a completed job of its tenant's project,
answered by the status and FHIR routes like any other. Running it again imports nothing
twice and goes on where an interrupted run stopped. The report lists every document it
refused, and every part it left out of an imported one: the document's id, a reason code
and a field location, never a value. Reads the same settings as the app (``MONGODB_URI``,
... from the environment or ``local.settings.json``). Dev tooling: not deployed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from lib.adapters.legacy_reports import LegacyReportSource
from lib.adapters.mongo_client import connect
from lib.bootstrap import context
from lib.domain.errors import ServiceError
from lib.legacy import Defaults
from lib.services.import_legacy import (
    DocumentResult,
    ImportOptions,
    ImportSummary,
    Outcome,
    import_legacy_reports,
)
from tools.admin import load_local_settings


def main(argv: list[str] | None = None) -> int:
    """Run the import; 0 when it ran to the end (refusals included), 1 when the database failed."""
    parser = argparse.ArgumentParser(prog="python -m tools.import_legacy", description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="map and report, write nothing")
    parser.add_argument("--limit", type=_positive, default=None, help="stop after this many imports")
    parser.add_argument("--batch-size", type=_positive, default=100, help="documents read per batch")
    parser.add_argument("--tenant", default=None, help="tenant of documents that name none")
    parser.add_argument("--project", default=None, help="project of documents that name none")
    parser.add_argument("--report", type=Path, default=None, help="write the report here (JSON lines)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    load_local_settings()
    ctx = context()
    client = connect(ctx.settings.mongodb_uri, ctx.settings.mongodb_timeout_ms)
    try:
        source = LegacyReportSource(client[ctx.settings.mongodb_database])
        options = ImportOptions(
            dry_run=args.dry_run,
            limit=args.limit,
            batch_size=args.batch_size,
            defaults=Defaults(tenant_id=args.tenant, project_id=args.project),
        )
        with _progress(source.count(), disabled=args.no_progress) as advance:
            summary = import_legacy_reports(ctx, source, options, on_result=advance)
    except ServiceError as exc:
        print(f"import stopped: {exc.message} ({exc.code}); run it again to go on", file=sys.stderr)
        return 1
    finally:
        client.close()
        ctx.close()
    if args.report is not None:
        with args.report.open("w", encoding="utf-8") as out:
            write_report(summary, out)
    else:
        write_report(summary, sys.stdout)
    print(summary_line(summary), file=sys.stderr)
    return 0


def summary_line(summary: ImportSummary) -> str:
    """One line of counts."""
    verb = "would import" if summary.dry_run else "imported"
    line = (
        f"{summary.seen} old report(s) seen: {summary.imported} {verb}, "
        f"{summary.already_imported} already imported, {summary.refused} refused"
    )
    return line + (" (stopped at --limit; run again to go on)" if summary.stopped_at_limit else "")


def write_report(summary: ImportSummary, out: TextIO) -> None:
    """One JSON line per problem: of a refused document, or a part left out of an imported one.

    ``id`` is the old document's ``_id``; ``job_id`` the imported job (``null`` when refused);
    ``location`` a JSON Pointer into the old document. Never a value of the report.
    """
    for result in summary.problems:
        for problem in result.problems:
            line = {
                "id": result.source_id,
                "outcome": result.outcome.value,
                "job_id": None if result.outcome is Outcome.REFUSED else result.job_id,
                "code": problem.code,
                "location": problem.location,
                "reason": problem.message,
            }
            out.write(json.dumps(line) + "\n")


@contextmanager
def _progress(total: int, *, disabled: bool) -> Iterator[Callable[[DocumentResult], None]]:
    with tqdm(total=total, unit="report", disable=disabled, file=sys.stderr) as bar:

        def advance(result: DocumentResult) -> None:
            bar.update(1)
            bar.set_postfix_str(result.outcome.value, refresh=False)

        yield advance


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


if __name__ == "__main__":
    sys.exit(main())
