"""Use case: import the old service's reports as completed jobs of the new one (the guide's option 2).

Each old document of ``parsed_reports`` is mapped by :mod:`lib.legacy` and, when
it maps and its tenant's project exists, written as a report and a completed job
whose ids follow from the old ``_id``. The writes go report, link, job: the job is
what makes a report visible, so a run that stops between them leaves nothing a
client can see, and the next run writes the same ids again. A document whose job
exists is imported already and skipped, which makes running again idempotent and
resumes an interrupted run. Nothing is written in a dry run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from lib.domain.errors import Conflict
from lib.legacy import Defaults, Imported, LegacyDocument, Problem, imported_ids, map_legacy_document
from lib.legacy.model import UNKNOWN_PROJECT
from lib.services.context import Context

log = logging.getLogger(__name__)


class LegacySource(Protocol):
    """The old documents: :class:`lib.adapters.legacy_reports.LegacyReportSource`."""

    def count(self) -> int:
        """How many old documents there are."""
        ...

    def batches(self, size: int) -> Iterator[list[LegacyDocument]]:
        """Every old document, in a stable order, ``size`` at a time."""
        ...

    def link(self, report_id: str, source_id: Any) -> None:
        """Record on the imported report which old document it came from."""
        ...


class Outcome(str, Enum):
    """What became of one old document in this run."""

    IMPORTED = "imported"  # in a dry run: would be imported
    ALREADY_IMPORTED = "already_imported"
    REFUSED = "refused"


@dataclass(frozen=True)
class DocumentResult:
    """One old document's outcome; ``problems`` is the refusal's reason, or what was left out."""

    source_id: str
    outcome: Outcome
    job_id: str
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class ImportOptions:
    """How to run: ``limit`` stops the run after that many imports; ``defaults`` fill a missing owner."""

    dry_run: bool = False
    limit: int | None = None
    batch_size: int = 100
    defaults: Defaults = field(default_factory=Defaults)


@dataclass
class ImportSummary:
    """Counts of one run, and every document that was refused or imported with a part left out."""

    dry_run: bool
    seen: int = 0
    imported: int = 0
    already_imported: int = 0
    refused: int = 0
    stopped_at_limit: bool = False
    problems: list[DocumentResult] = field(default_factory=list)

    def add(self, result: DocumentResult) -> None:
        self.seen += 1
        if result.outcome is Outcome.IMPORTED:
            self.imported += 1
        elif result.outcome is Outcome.ALREADY_IMPORTED:
            self.already_imported += 1
        else:
            self.refused += 1
        if result.problems:
            self.problems.append(result)


def import_legacy_reports(
    ctx: Context,
    source: LegacySource,
    options: ImportOptions,
    on_result: Callable[[DocumentResult], None] | None = None,
) -> ImportSummary:
    """Import every old document not imported yet; ``on_result`` hears of each as it is done.

    Raises what the stores raise (:class:`~lib.domain.errors.DependencyUnavailable`
    when MongoDB is down); what was imported until then stays, and running again
    goes on from there.
    """
    summary = ImportSummary(dry_run=options.dry_run)
    projects: dict[tuple[str, str], bool] = {}
    for batch in source.batches(options.batch_size):
        done = ctx.jobs.existing_ids({imported_ids(doc.key)[0] for doc in batch})
        for doc in batch:
            if options.limit is not None and summary.imported >= options.limit:
                summary.stopped_at_limit = True
                _log_summary(summary)
                return summary
            result = _import_one(ctx, source, doc, options, done, projects)
            summary.add(result)
            if on_result is not None:
                on_result(result)
    _log_summary(summary)
    return summary


def _import_one(
    ctx: Context,
    source: LegacySource,
    doc: LegacyDocument,
    options: ImportOptions,
    done: set[str],
    projects: dict[tuple[str, str], bool],
) -> DocumentResult:
    job_id = imported_ids(doc.key)[0]
    if job_id in done:
        return DocumentResult(doc.display_id, Outcome.ALREADY_IMPORTED, job_id)
    now = ctx.clock()
    mapped = map_legacy_document(doc, defaults=options.defaults, now=now)
    if not isinstance(mapped, Imported):
        log.info(
            "Legacy report %s refused: %s at %s", doc.display_id, mapped.reason.code, mapped.reason.location
        )
        return DocumentResult(doc.display_id, Outcome.REFUSED, job_id, (mapped.reason,))
    job = mapped.job
    owner = (job.tenant_id, job.project_id)
    if owner not in projects:
        projects[owner] = ctx.tenants.get_project(*owner) is not None
    if not projects[owner]:
        log.info("Legacy report %s refused: %s", doc.display_id, UNKNOWN_PROJECT)
        return DocumentResult(
            doc.display_id, Outcome.REFUSED, job_id, (Problem("/project_id", UNKNOWN_PROJECT),)
        )
    if not options.dry_run:
        ctx.reports.save(job, mapped.report, job.model or "", now)
        source.link(job.report_id, doc.source_id)
        try:
            ctx.jobs.insert(job)
        except Conflict:
            # Another run imported it between our look-up and this insert: the same ids, the same report.
            return DocumentResult(doc.display_id, Outcome.ALREADY_IMPORTED, job_id)
    return DocumentResult(doc.display_id, Outcome.IMPORTED, job_id, mapped.notes)


def _log_summary(summary: ImportSummary) -> None:
    log.info(
        "Legacy import%s: %d seen, %d imported, %d already imported, %d refused%s",
        " (dry run)" if summary.dry_run else "",
        summary.seen,
        summary.imported,
        summary.already_imported,
        summary.refused,
        ", stopped at the limit" if summary.stopped_at_limit else "",
    )
