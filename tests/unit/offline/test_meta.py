"""Report type, report date by kind of report, facility and physician."""

from __future__ import annotations

from lib.offline.facts import Findings
from lib.offline.meta import read_meta
from lib.offline.reading import labelled_values, sections
from tests.unit.offline.builders import document, heading, page


def meta(*items: str) -> Findings:
    doc = document(page(*(heading(item[2:]) if item.startswith("# ") else item for item in items)))
    findings = Findings()
    read_meta(doc, labelled_values(doc), sections(doc), findings)
    return findings


def test_the_title_gives_the_type_not_the_letterhead() -> None:
    found = meta("# Lakeshore Pathology Associates", "# DIAGNOSTIC IMAGING REPORT", "Exam Date: 2026-04-06")

    assert found.report_type is not None and found.report_type.value == "radiology report"
    assert found.facility is not None and found.facility.value == "Lakeshore Pathology Associates"


def test_a_lab_report_is_dated_by_collection_not_by_report_date() -> None:
    found = meta(
        "# LABORATORY REPORT", "Report Date: Apr. 1, 2026 Collected: 03/30/2026 13:12 Received: 03/31/2026"
    )

    assert found.report_date is not None and found.report_date.found.iso == "2026-03-30"


def test_a_discharge_summary_is_dated_by_discharge() -> None:
    found = meta("# DISCHARGE SUMMARY", "Admitted: 2026-01-11 Discharged: 2026-01-14")

    assert found.report_date is not None and found.report_date.found.iso == "2026-01-14"


def test_an_imaging_report_is_dated_by_the_exam_not_the_signature() -> None:
    found = meta("# CT CHEST REPORT", "Electronically signed: 07-NOV-2026", "Date of Exam: 06-NOV-2026")

    assert found.report_date is not None and found.report_date.found.iso == "2026-11-06"


def test_a_visit_note_is_dated_by_the_date_of_service() -> None:
    found = meta("# Consultation Note", "Date of Service: 14 Feb 2026", "Signed: 15 Feb 2026")

    assert found.report_type is not None and found.report_type.value == "consultation note"
    assert found.report_date is not None and found.report_date.found.iso == "2026-02-14"


def test_an_ambiguous_report_date_warns() -> None:
    found = meta("# LABORATORY REPORT", "Collected: 03/04/2026")

    assert found.report_date is not None and found.report_date.written == "03/04/2026"
    assert [(w.code, w.path) for w in found.warnings] == [("ambiguous_date", "/report_date")]


def test_the_physician_prefers_the_attending_and_drops_the_signature_date() -> None:
    found = meta("Verified by: Elias Mbeki, MD 2026-01-15", "Attending: Imogen Achterberg, MD")

    assert found.physician is not None and found.physician.value == "Imogen Achterberg, MD"
