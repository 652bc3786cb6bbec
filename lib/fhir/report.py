"""``DiagnosticReport``: the report as a whole, with its lab results in ``result``.

``code`` is the report type as printed (text only: there is no LOINC document code
table offline), "Medical report" when none was read. Status ``final``: what we read
is the issued document. Facility and physician are display-only references: we
know their names, not their identity, and a resource per name would invent one.
"""

from __future__ import annotations

from typing import Any

from lib.domain.report_schema import ParsedReport
from lib.fhir.datatypes import reference, text_concept
from lib.fhir.extensions import REPORT_SYSTEM
from lib.fhir.ids import Entry, Ids

__all__ = ["REPORT_KEY", "REPORT_POINTERS", "report_entry"]

# The whole ``parsed_data`` document (RFC 6901: the empty pointer).
REPORT_KEY = ""
# Facts of the report as a whole, kept on the DiagnosticReport.
REPORT_POINTERS = ("/report_type", "/report_date", "/facility", "/physician", "/impression")


def report_entry(
    report: ParsedReport, ids: Ids, patient_url: str, effective: str | None, results: list[str]
) -> Entry:
    """The DiagnosticReport; ``results`` are the fullUrls of its Observations."""
    body: dict[str, Any] = {
        "identifier": [{"system": REPORT_SYSTEM, "value": ids.report_id}],
        "status": "final",
        "code": text_concept(report.report_type or "Medical report"),
        "subject": reference(patient_url),
    }
    if effective is not None:
        body["effectiveDateTime"] = effective
    performers = [{"display": name} for name in (report.facility, report.physician) if name]
    if performers:
        body["performer"] = performers
    if results:
        body["result"] = [reference(url) for url in results]
    if report.impression:
        body["conclusion"] = report.impression
    return ids.entry(REPORT_KEY, "DiagnosticReport", body)
