"""Diagnosis-like sections, assertion, findings and impression."""

from __future__ import annotations

from lib.adapters.local_parser import LocalReportParser
from lib.documents import TextSource
from lib.domain.parsing import ParseRequest
from lib.domain.report_schema import Assertion as Reported
from lib.extraction.assertion import Assertion
from lib.offline.diagnoses import read_diagnoses, read_findings
from lib.offline.facts import Findings
from lib.offline.reading import sections
from tests.support.pdf_factory import SampleDiagnosis, SampleReport, make_report_pdf
from tests.unit.offline.builders import document, heading, page


def read(*items: object) -> Findings:
    parts = sections(document(page(*items)))  # type: ignore[arg-type]
    findings = Findings()
    read_diagnoses(parts, findings)
    read_findings(parts, findings)
    return findings


def present(found: Findings) -> list[tuple[str, str | None]]:
    return [
        (d.item.description, d.item.code) for d in found.diagnoses if d.item.assertion is Assertion.PRESENT
    ]


def test_numbered_items_with_codes() -> None:
    found = read(
        heading("Discharge Diagnoses:"),
        "1. Dehydration (E86.0)",
        "2. E11.65 - Type 2 diabetes with hyperglycemia",
    )

    assert present(found) == [("Dehydration", "E86.0"), ("Type 2 diabetes with hyperglycemia", "E11.65")]


def test_negated_possible_and_family_items_are_kept_apart() -> None:
    found = read(
        heading("Assessment"),
        "1. Community-acquired pneumonia",
        "2. No evidence of pulmonary embolism",
        "3. Rule out sepsis",
        "4. Family history of colon cancer",
    )

    assert present(found) == [("Community-acquired pneumonia", None)]
    assert {d.item.assertion for d in found.diagnoses} == {
        Assertion.PRESENT,
        Assertion.NEGATED,
        Assertion.POSSIBLE,
        Assertion.FAMILY,
    }


def test_a_specimen_label_ending_in_a_colon_is_no_diagnosis() -> None:
    found = read(
        heading("FINAL DIAGNOSIS"),
        "A. Colon, sigmoid, polypectomy:",
        "- Tubular adenoma.",
        "- Negative for high-grade dysplasia.",
        "B. Colon, ascending, biopsy:",
        "- Hyperplastic polyp.",
    )

    assert present(found) == [("Tubular adenoma", None), ("Hyperplastic polyp", None)]


def test_an_indication_names_conditions_not_reasons() -> None:
    found = read("INDICATION: History of COPD (J44.9). Pre-operative evaluation. Rule out pneumonia.")

    assert present(found) == [("COPD", "J44.9")]


def test_past_history_and_differentials_are_not_diagnoses() -> None:
    found = read(
        heading("Past Medical History"), "Asthma", heading("Differential Diagnosis"), "Pulmonary embolism"
    )

    assert present(found) == []


def test_plans_and_recommendations_are_not_diagnoses() -> None:
    found = read(
        heading("Impression"), "1. Small left pleural effusion.", "2. Recommend follow-up CT in 3 months."
    )

    assert present(found) == [("Small left pleural effusion", None)]
    assert [f.text for f in found.impression] == [
        "Small left pleural effusion.",
        "Recommend follow-up CT in 3 months.",
    ]


def test_findings_are_sentences_and_negated_findings_are_no_diagnoses() -> None:
    found = read(
        heading("FINDINGS:"),
        "No focal consolidation. Mild cardiomegaly.",
        heading("IMPRESSION:"),
        "No acute process.",
    )

    assert [f.text for f in found.findings] == ["No focal consolidation.", "Mild cardiomegaly."]
    assert present(found) == []


def test_marker_only_lines_pair_with_the_items_drawn_beside_them() -> None:
    found = read(heading("Secondary Diagnoses:"), "1.", "2.", "Congestive heart failure", "Osteoporosis")

    assert present(found) == [("Congestive heart failure", None), ("Osteoporosis", None)]


def test_an_assessment_item_keeps_its_condition_and_drops_its_plan() -> None:
    found = read(
        heading("Assessment and Plan"),
        "1. Hypertension, well controlled - continue lisinopril",
        "2. Type 2 diabetes mellitus - metformin increased to 1000 mg BID",
        "3. Start aspirin 81 mg daily",
    )

    assert present(found) == [("Hypertension, well controlled", None), ("Type 2 diabetes mellitus", None)]


def test_negated_and_family_mentions_are_kept_with_their_assertion_but_never_as_diagnoses() -> None:
    pdf = make_report_pdf(
        SampleReport(
            diagnoses=(
                SampleDiagnosis("Type 2 diabetes mellitus", "E11.9"),
                SampleDiagnosis("No evidence of pneumonia"),
                SampleDiagnosis("Family history of breast cancer"),
            ),
            findings=("No peripheral edema.", "Mild cardiomegaly."),
        )
    )

    report = LocalReportParser().parse(ParseRequest([pdf])).report

    assert "Type 2 diabetes mellitus" in report.diagnosis  # (and the default impression's diagnosis)
    assert not any("pneumonia" in text or "breast" in text for text in report.diagnosis)
    by_text = {item.description.casefold(): item.assertion for item in report.diagnosis_details}
    assert by_text["type 2 diabetes mellitus"] is Reported.PRESENT
    assert Reported.NEGATED in by_text.values() and Reported.FAMILY in by_text.values()
    assert [finding.assertion for finding in report.findings] == [Reported.NEGATED, Reported.PRESENT]


def test_an_ocr_l_or_bar_for_the_i_of_a_bracketed_code_is_put_back_but_never_a_digit() -> None:
    lines = (
        heading("Assessment"),
        "1. Heart failure with preserved ejection fraction (l50.30)",
        "2. Persistent atrial fibrillation (|48.19)",
        "3. Malignant neoplasm of breast (174.9)",
    )
    scanned = Findings()
    read_diagnoses(sections(document(page(*lines, source=TextSource.OCR, confidence=0.9))), scanned)

    assert [d.item.code for d in read(*lines).diagnoses] == [None, None, None]  # a text layer is as printed
    assert [d.item.code for d in scanned.diagnoses] == ["I50.30", "I48.19", None]


def test_on_a_scan_a_list_item_whose_marker_ocr_lost_is_still_an_item_of_its_own() -> None:
    lines = (
        heading("Today's Diagnoses"),
        "Essential hypertension",
        "Type 2 diabetes mellitus without complication",
        "* Mixed hyperlipidemia",
        "* Chronic kidney disease, stage 3a,",
        "Due to hypertension",
    )
    scanned = Findings()
    read_diagnoses(sections(document(page(*lines, source=TextSource.OCR, confidence=0.9))), scanned)

    assert [d.item.description for d in scanned.diagnoses] == [
        "Essential hypertension",
        "Type 2 diabetes mellitus without complication",
        "Mixed hyperlipidemia",
        "Chronic kidney disease, stage 3a, Due to hypertension",  # a line that runs on is wrapped
    ]
