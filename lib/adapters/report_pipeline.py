"""From a report's PDFs to the ``parsed_data`` we return: read them, take their content, ground it, check it.

:class:`ReportPipeline` reads the documents with the engine (``lib.documents``: text
layer, OCR for pages without one), then takes the content either from the offline
rules (``lib.offline``) or from a model's answer handed in with the request, and
passes it on only after two more steps:

1. grounding (``lib.grounding``): every fact is searched for in the document; found
   ones get their provenance (page, quote, box), the rest an ``ungrounded`` warning,
   or are dropped when the project says so; an upload whose pages name different
   patients gets ``mixed_patient``, or fails with it when the project says so;
2. checking (``lib.checks``): ICD-10-CM codes, units, computed flags, plausibility.

Reading PDFs is work on hostile input, so the pipeline runs in a parse process
(:class:`~lib.adapters.isolated_parser.IsolatedParser`); a model call is network I/O
and is made in the worker first: :class:`GroundedParser` sends its answer along.
The heavy modules are imported in the parse process, never where the pipeline is
built (the worker imports this module at start-up): :data:`PRELOAD` names them for
the forkserver, so every parse process starts with them loaded.

Error codes (all :class:`PermanentParseError`): the engine's ``pdf_encrypted``,
``pdf_unreadable``, ``too_many_pages`` and ``pdf_too_complex``; the offline
parser's ``pdf_no_text`` (neither a text layer nor OCR text on any page);
``mixed_patient`` when the project fails such uploads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from lib.adapters.local_parser import LocalReportParser
from lib.domain.errors import PermanentParseError
from lib.domain.output_policy import MixedPatientPolicy, UngroundedPolicy
from lib.domain.parsing import ParseOutcome, ParseRequest, ReportParser
from lib.domain.report_schema import ParsedReport, ReportWarning

# Imported once in the forkserver: the engine, the rules, grounding, the checks.
PRELOAD = ("lib.documents", "lib.offline", "lib.grounding", "lib.checks")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportPipeline:
    """Reads, grounds and checks a report; picklable, cheap to build (it travels with each parse)."""

    def parse(self, request: ParseRequest) -> ParseOutcome:
        """The checked report of ``request``: its ``answer``, or the offline rules' reading."""
        from lib.checks import check_report
        from lib.documents import read_document
        from lib.grounding import check_identity, ground

        document = read_document(request.documents)
        if request.answer is None:
            outcome = LocalReportParser().read(document)
            found = outcome.report
        else:
            outcome = request.answer
            found = _with_warnings(
                outcome.report,
                [ReportWarning(code=item.code, message=item.message) for item in document.warnings],
            )
        identity = check_identity(document, file_pages=document.file_pages)
        if identity.mixed and request.policy.mixed_patient is MixedPatientPolicy.FAIL:
            raise PermanentParseError(
                "the upload seems to hold more than one patient's reports; upload them one patient at a time",
                code="mixed_patient",
            )
        grounded = ground(
            document,
            found,
            outcome.claims,
            drop_ungrounded=request.policy.ungrounded is UngroundedPolicy.DROP,
        )
        report = check_report(_with_warnings(grounded, identity.warnings))
        log.debug(
            "report pipeline pages=%d provenance=%d warnings=%d",
            len(document.pages),
            len(report.provenance),
            len(report.warnings),
        )
        return replace(outcome, report=report, claims={})


def _with_warnings(report: ParsedReport, warnings: Sequence[ReportWarning]) -> ParsedReport:
    return report.model_copy(update={"warnings": [*report.warnings, *warnings]}) if warnings else report


@dataclass(frozen=True)
class GroundedParser:
    """A model's reading of a report, passed on only once the pipeline has checked it against the PDFs."""

    model: ReportParser
    pipeline: ReportParser

    def parse(self, request: ParseRequest) -> ParseOutcome:
        """Ask the model, then ground and check its answer (in a parse process)."""
        return self.pipeline.parse(replace(request, answer=self.model.parse(request)))
