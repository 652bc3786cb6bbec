"""The old service's documents, in every shape we know of, mapped to a completed job and its report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.domain.jobs import JobStatus
from lib.domain.report_schema import Assertion, LabFlag, Sex
from lib.legacy import (
    IMPORTED,
    Defaults,
    Imported,
    LegacyDocument,
    Refused,
    imported_ids,
    map_legacy_document,
)
from lib.legacy.model import REASONS

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
OWNER = {"tenant_id": "tenant-001", "project_id": "project-001"}


def mapped(fields: Any, *, defaults: Defaults | None = None, key: str = "oid:1") -> Imported:
    result = map_legacy_document(LegacyDocument(key, "1", fields), defaults=defaults or Defaults(), now=NOW)
    assert isinstance(result, Imported), result
    return result


def refused(fields: Any, *, defaults: Defaults | None = None) -> tuple[str, str]:
    result = map_legacy_document(
        LegacyDocument("oid:1", "1", fields), defaults=defaults or Defaults(), now=NOW
    )
    assert isinstance(result, Refused), result
    return result.reason.code, result.reason.location


def codes(result: Imported) -> list[tuple[str, str | None]]:
    return [(warning.code, warning.path) for warning in result.report.warnings]


# -- the old flat parsed_data ------------------------------------------------------------


def test_the_guides_flat_parsed_data_becomes_a_completed_job_with_its_report() -> None:
    result = mapped(
        {
            **OWNER,
            "parsed_data": {
                "patient_name": "Jane Q. Doe",
                "date_of_birth": "03/14/1962",
                "diagnosis": ["Type 2 diabetes mellitus (E11.9)", "Hypertension"],
                "medications": ["Metformin 500 mg PO BID"],
                "lab_results": [{"test": "Potassium", "value": "5.9", "unit": "mmol/L", "flag": "H"}],
            },
            "model": "gemini-1.5-pro",
            "created_at": datetime(2024, 5, 21, 10, 0, tzinfo=UTC),
        }
    )

    job, report = result.job, result.report
    assert (job.status, job.tenant_id, job.project_id) == (JobStatus.COMPLETED, "tenant-001", "project-001")
    assert (job.files, job.attempts, job.history, job.model) == ((), 0, (), "gemini-1.5-pro")
    assert job.created_at == job.completed_at == datetime(2024, 5, 21, 10, 0, tzinfo=UTC)
    assert job.updated_at == NOW
    assert report.patient_name == "Jane Q. Doe"
    assert report.patient is not None
    assert (report.patient.name, report.patient.date_of_birth) == ("Jane Q. Doe", "1962-03-14")
    assert report.diagnosis == ["Type 2 diabetes mellitus", "Hypertension"]
    assert [(d.code, d.code_description) for d in report.diagnosis_details] == [
        ("E11.9", "Type 2 diabetes mellitus without complications"),
        (None, None),
    ]
    medication = report.medications[0]
    assert (medication.name, medication.dose, medication.route, medication.frequency) == (
        "Metformin",
        "500 mg",
        "oral",
        "twice daily",
    )
    lab = report.lab_results[0]
    assert (lab.value_number, lab.unit_ucum, lab.flag, lab.flag_computed) == (
        5.9,
        "mmol/L",
        LabFlag.HIGH,
        False,
    )
    assert result.notes == ()


def test_every_imported_report_says_so_and_claims_no_provenance() -> None:
    result = mapped({**OWNER, "parsed_data": {"patient_name": "Jane Q. Doe", "diagnosis": ["Asthma"]}})

    assert result.report.provenance == {}
    first = result.report.warnings[0]
    assert (first.code, first.path) == (IMPORTED, None)
    assert "Jane" not in first.message


@pytest.mark.parametrize(
    ("diagnosis", "expected"),
    [
        ("Hypertension", ["Hypertension"]),
        ("Hypertension; Asthma", ["Hypertension", "Asthma"]),
        ("Hypertension\nDiabetes mellitus, type 2", ["Hypertension", "Diabetes mellitus, type 2"]),
        (["Hypertension", "Asthma"], ["Hypertension", "Asthma"]),
        ([{"description": "Hypertension", "code": "I10"}], ["Hypertension"]),
        ({"name": "Asthma"}, ["Asthma"]),
    ],
)
def test_diagnoses_as_a_text_a_list_or_objects(diagnosis: Any, expected: list[str]) -> None:
    assert mapped({**OWNER, "parsed_data": {"diagnosis": diagnosis}}).report.diagnosis == expected


def test_diagnoses_under_the_plural_name_are_read_too() -> None:
    assert mapped({**OWNER, "parsed_data": {"diagnoses": ["Asthma"]}}).report.diagnosis == ["Asthma"]


def test_a_diagnosis_object_keeps_its_code() -> None:
    report = mapped(
        {**OWNER, "parsed_data": {"diagnosis": [{"name": "Hypertension", "icd10": "i10"}]}}
    ).report
    assert [(d.description, d.code) for d in report.diagnosis_details] == [("Hypertension", "I10")]


def test_negated_family_and_past_mentions_are_details_not_diagnoses() -> None:
    report = mapped(
        {
            **OWNER,
            "parsed_data": {
                "diagnosis": [
                    "Pneumonia",
                    "No evidence of pulmonary embolism",
                    "Family history of breast cancer",
                ]
            },
        }
    ).report

    assert report.diagnosis == ["Pneumonia"]
    assert [d.assertion for d in report.diagnosis_details] == [
        Assertion.PRESENT,
        Assertion.NEGATED,
        Assertion.FAMILY,
    ]


def test_medications_as_sig_lines_objects_or_name_to_sig_pairs() -> None:
    report = mapped(
        {
            **OWNER,
            "parsed_data": {
                "medications": [
                    "Metformin 500 mg PO BID",
                    {"name": "Lisinopril", "dose": "10 mg", "route": "by mouth", "frequency": "daily"},
                    {"medication": "Atorvastatin 20 mg PO QHS"},
                ],
                "meds": {"Aspirin": "81 mg daily"},
            },
        }
    ).report

    assert [(m.name, m.dose, m.route, m.frequency) for m in report.medications] == [
        ("Metformin", "500 mg", "oral", "twice daily"),
        ("Lisinopril", "10 mg", "oral", "once daily"),
        ("Atorvastatin", "20 mg", "oral", "at bedtime"),
        ("Aspirin", "81 mg", None, "once daily"),
    ]


def test_medications_as_one_text() -> None:
    report = mapped(
        {**OWNER, "parsed_data": {"medications": "Metformin 500 mg BID; Lisinopril 10 mg daily"}}
    ).report
    assert [m.name for m in report.medications] == ["Metformin", "Lisinopril"]


def test_lab_results_as_a_test_to_value_object() -> None:
    report = mapped(
        {
            **OWNER,
            "parsed_data": {
                "lab_results": {
                    "HbA1c": "7.2 % (4.0-5.6)",
                    "Potassium": {"value": 5.9, "unit": "mmol/L"},
                    "Sodium": 140,
                }
            },
        }
    ).report

    assert [(lab.test, lab.value, lab.unit, lab.reference_range) for lab in report.lab_results] == [
        ("HbA1c", "7.2", "%", "4.0-5.6"),
        ("Potassium", "5.9", "mmol/L", None),
        ("Sodium", "140", None, None),
    ]
    hba1c = report.lab_results[0]
    assert (hba1c.flag, hba1c.flag_computed) == (LabFlag.HIGH, True)


def test_lab_results_as_a_list_of_objects_and_lines() -> None:
    report = mapped(
        {
            **OWNER,
            "parsed_data": {
                "lab_results": [
                    {"name": "Sodium", "result": "140", "units": "mmol/L", "normal_range": "135-145"},
                    "Glucose 250 mg/dL H",
                ]
            },
        }
    ).report

    assert [(lab.test, lab.value, lab.unit, lab.flag) for lab in report.lab_results] == [
        ("Sodium", "140", "mmol/L", LabFlag.NORMAL),
        ("Glucose", "250", "mg/dL", LabFlag.HIGH),
    ]


def test_one_lab_result_as_an_object() -> None:
    report = mapped(
        {**OWNER, "parsed_data": {"labs": {"test": "TSH", "value": "2.1", "unit": "mIU/L"}}}
    ).report
    assert [(lab.test, lab.value) for lab in report.lab_results] == [("TSH", "2.1")]


def test_the_other_fields_and_a_patient_object() -> None:
    report = mapped(
        {
            **OWNER,
            "parsed_data": {
                "patient": {"name": "Jane Q. Doe", "dob": "1962-03-14", "gender": "F", "mrn": 48213},
                "report_type": "discharge summary",
                "report_date": "May 21, 2024",
                "hospital": "Riverside General Hospital",
                "doctor": "Dr. Alan Smithee",
                "impression": "Stable.",
                "findings": ["No evidence of pneumonia.", "Mild cardiomegaly."],
            },
        }
    ).report

    assert report.patient is not None
    assert report.patient.model_dump() == {
        "name": "Jane Q. Doe",
        "date_of_birth": "1962-03-14",
        "sex": Sex.FEMALE,
        "mrn": "48213",
    }
    assert report.patient_name == "Jane Q. Doe"
    assert (report.report_type, report.report_date) == ("discharge summary", "2024-05-21")
    assert (report.facility, report.physician, report.impression) == (
        "Riverside General Hospital",
        "Dr. Alan Smithee",
        "Stable.",
    )
    assert [(f.text, f.assertion) for f in report.findings] == [
        ("No evidence of pneumonia.", Assertion.NEGATED),
        ("Mild cardiomegaly.", Assertion.PRESENT),
    ]


# -- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("1962-03-14", "1962-03-14"),
        ("03/14/1962", "1962-03-14"),
        ("14/03/1962", "1962-03-14"),
        ("14.03.1962", "1962-03-14"),
        ("14 Mar 1962", "1962-03-14"),
        ("March 14th, 1962", "1962-03-14"),
        ("1962-03-14T00:00:00", "1962-03-14"),
        (datetime(1962, 3, 14, tzinfo=UTC), "1962-03-14"),
    ],
)
def test_dates_in_written_forms_become_iso(written: Any, iso: str) -> None:
    report = mapped({**OWNER, "parsed_data": {"patient_name": "A B", "date_of_birth": written}}).report
    assert report.patient is not None
    assert report.patient.date_of_birth == iso


def test_an_ambiguous_date_is_kept_as_written_with_a_warning() -> None:
    result = mapped({**OWNER, "parsed_data": {"patient_name": "A B", "date_of_birth": "04/05/1970"}})

    assert result.report.patient is not None
    assert result.report.patient.date_of_birth == "04/05/1970"
    assert ("ambiguous_date", "/patient/date_of_birth") in codes(result)


def test_the_other_dates_of_the_document_tell_an_ambiguous_one() -> None:
    report = mapped(
        {
            **OWNER,
            "parsed_data": {
                "patient_name": "A B",
                "date_of_birth": "04/05/1970",
                "report_date": "21/05/2024",
            },
        }
    ).report

    assert report.patient is not None
    assert (report.patient.date_of_birth, report.report_date) == ("1970-05-04", "2024-05-21")


def test_a_two_digit_birth_year_is_placed_by_when_the_report_was_made() -> None:
    report = mapped(
        {
            **OWNER,
            "parsed_data": {"patient_name": "A B", "dob": "3-14-30"},
            "created_at": "2020-01-01T00:00:00Z",
        }
    ).report
    assert report.patient is not None
    assert report.patient.date_of_birth == "1930-03-14"


def test_a_text_that_is_no_date_is_kept_as_written_and_noted() -> None:
    result = mapped({**OWNER, "parsed_data": {"patient_name": "A B", "date_of_birth": "sometime in 1962"}})

    assert result.report.patient is not None
    assert result.report.patient.date_of_birth == "sometime in 1962"
    assert [(p.code, p.location) for p in result.notes] == [
        ("date_not_recognised", "/parsed_data/date_of_birth")
    ]


def test_the_job_is_made_when_the_old_document_was() -> None:
    made = datetime(2023, 1, 2, 3, 4, tzinfo=UTC)
    with_id_time = map_legacy_document(
        LegacyDocument("oid:1", "1", {**OWNER, "patient_name": "A B"}, id_time=made),
        defaults=Defaults(),
        now=NOW,
    )
    assert isinstance(with_id_time, Imported)
    assert with_id_time.job.created_at == made
    naive = mapped({**OWNER, "patient_name": "A B", "parsed_at": datetime(2023, 1, 2, 3, 4)})
    assert naive.job.created_at == made
    assert mapped({**OWNER, "patient_name": "A B"}).job.created_at == NOW


# -- the data at the top level -----------------------------------------------------------


def test_the_data_at_the_top_level_is_read_as_parsed_data() -> None:
    result = mapped(
        {
            **OWNER,
            "patient_name": "Jane Q. Doe",
            "diagnoses": "Asthma",
            "created_at": "2024-05-21T10:00:00+00:00",
            "file_name": "jane.pdf",
            "success": True,
        }
    )

    assert (result.report.patient_name, result.report.diagnosis) == ("Jane Q. Doe", ["Asthma"])
    assert result.notes == ()


# -- what is left out, and how it is reported -----------------------------------------


def test_unknown_fields_and_unreadable_items_are_noted_by_location_only() -> None:
    result = mapped(
        {
            **OWNER,
            "parsed_data": {
                "patient_name": "Jane Q. Doe",
                "blood_type": "O+",
                "Jane Doe's notes": "x",
                "sex": "robot",
                "diagnosis": ["Asthma", "N/A", 42.5, {"code": "I10"}],
                "medications": ["NKDA", {"dose": "5 mg"}],
                "lab_results": [{"value": "5.0"}, "???", {"test": "K", "value": "5", "flag": "purple"}],
                "findings": {"text": "x"},
            },
        }
    )

    assert [(p.location, p.code) for p in result.notes] == [
        ("/parsed_data/blood_type", "unknown_field"),
        ("/parsed_data/#2", "unknown_field"),
        ("/parsed_data/sex", "sex_not_recognised"),
        ("/parsed_data/diagnosis/1", "not_a_diagnosis"),
        ("/parsed_data/diagnosis/2", "not_a_diagnosis"),
        ("/parsed_data/diagnosis/3", "not_a_diagnosis"),
        ("/parsed_data/findings", "wrong_type"),
        ("/parsed_data/medications/0", "not_a_medication"),
        ("/parsed_data/medications/1", "not_a_medication"),
        ("/parsed_data/lab_results/0", "not_a_lab_result"),
        ("/parsed_data/lab_results/1", "not_a_lab_result"),
        ("/parsed_data/lab_results/2", "flag_not_recognised"),
    ]
    values = ("Jane", "O+", "robot", "NKDA", "purple", "42.5")
    assert not [p for p in result.notes for v in values if v in p.location or v in p.message]
    assert result.report.diagnosis == ["Asthma"]


def test_a_test_name_used_as_a_key_is_never_shown() -> None:
    result = mapped(
        {**OWNER, "parsed_data": {"lab_results": {"Hep C antibody": {"value": "x", "flag": "?"}}}}
    )
    assert [(p.location, p.code) for p in result.notes] == [
        ("/parsed_data/lab_results/#0", "flag_not_recognised")
    ]


# -- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "location"),
    [
        ("not an object", "not_an_object", "/"),
        (["a", "list"], "not_an_object", "/"),
        (None, "not_an_object", "/"),
        ({}, "empty_document", "/"),
        ({**OWNER, "parsed_data": "Jane Q. Doe, asthma"}, "parsed_data_not_an_object", "/parsed_data"),
        ({**OWNER, "parsed_data": None}, "parsed_data_not_an_object", "/parsed_data"),
        ({**OWNER, "parsed_data": ["Asthma"]}, "parsed_data_not_an_object", "/parsed_data"),
        ({**OWNER, "parsed_data": {}}, "no_report_data", "/parsed_data"),
        ({**OWNER, "parsed_data": {"patient_name": None, "diagnosis": []}}, "no_report_data", "/parsed_data"),
        ({**OWNER, "parsed_data": {"diagnosis": ["None"], "other": 1}}, "no_report_data", "/parsed_data"),
        ({**OWNER, "file_name": "x.pdf"}, "no_report_data", "/"),
        ({**OWNER, "success": False, "error": "timeout"}, "failed_parse", "/success"),
        ({**OWNER, "status": "failed", "parsed_data": {"diagnosis": ["Asthma"]}}, "failed_parse", "/status"),
        ({"project_id": "project-001", "patient_name": "A B"}, "missing_tenant", "/tenant_id"),
        ({"tenant_id": "tenant-001", "patient_name": "A B"}, "missing_project", "/project_id"),
        ({"tenant_id": " ", "project_id": "p", "patient_name": "A B"}, "missing_tenant", "/tenant_id"),
        ({"tenant_id": "a/b", "project_id": "p", "patient_name": "A B"}, "invalid_tenant_id", "/tenant_id"),
        ({"tenant_id": 7, "project_id": "p", "patient_name": "A B"}, "invalid_tenant_id", "/tenant_id"),
        (
            {"tenant_id": "t", "project_id": "../x", "patient_name": "A B"},
            "invalid_project_id",
            "/project_id",
        ),
    ],
)
def test_refusals_say_why_and_where(fields: Any, code: str, location: str) -> None:
    assert refused(fields) == (code, location)
    assert code in REASONS


def test_a_missing_owner_takes_the_defaults_given() -> None:
    job = mapped({"patient_name": "A B"}, defaults=Defaults("tenant-002", "project-002")).job
    assert (job.tenant_id, job.project_id) == ("tenant-002", "project-002")


def test_the_documents_own_owner_wins_over_the_defaults() -> None:
    job = mapped({**OWNER, "patient_name": "A B"}, defaults=Defaults("tenant-002", "project-002")).job
    assert (job.tenant_id, job.project_id) == ("tenant-001", "project-001")


def test_an_invalid_default_is_refused_like_an_invalid_owner() -> None:
    assert refused({"patient_name": "A B"}, defaults=Defaults("bad id", "p")) == (
        "invalid_tenant_id",
        "/tenant_id",
    )


# -- ids ---------------------------------------------------------------------------------


def test_ids_follow_from_the_old_id_and_cannot_be_new_ids() -> None:
    job_id, report_id = imported_ids("oid:6748c1e2a4b5c6d7e8f90123")

    assert imported_ids("oid:6748c1e2a4b5c6d7e8f90123") == (job_id, report_id)
    assert job_id != report_id
    assert imported_ids("str:6748c1e2a4b5c6d7e8f90123")[0] != job_id
    for value in (job_id, report_id):
        assert value.startswith("legacy-")
        assert len(value) == 39  # never 24 hex digits: an ObjectId or a random report id
    assert mapped({**OWNER, "patient_name": "A B"}, key="oid:x").job.id == imported_ids("oid:x")[0]


def test_the_model_is_the_old_one_when_named_and_sane() -> None:
    assert mapped({**OWNER, "patient_name": "A B"}).job.model == "imported"
    assert (
        mapped({**OWNER, "patient_name": "A B", "model_name": "gemini-1.5-flash"}).job.model
        == "gemini-1.5-flash"
    )
    assert mapped({**OWNER, "patient_name": "A B", "model": "x" * 500}).job.model == "imported"


def test_a_drug_name_used_as_a_key_is_never_shown() -> None:
    result = mapped({**OWNER, "parsed_data": {"patient_name": "A B", "meds": {"Aspirin": ["x"]}}})
    assert [(p.location, p.code) for p in result.notes] == [("/parsed_data/meds/#0", "wrong_type")]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
_FIELD = st.sampled_from(
    ["patient_name", "date_of_birth", "dob", "sex", "mrn", "diagnosis", "diagnoses", "medications", "meds",
     "lab_results", "labs", "findings", "impression", "report_date", "patient", "tenant_id", "project_id",
     "parsed_data", "success", "status", "created_at", "model"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(_FIELD, _JSON, max_size=8)
    | st.dictionaries(st.text(max_size=8), _JSON, max_size=4)
    | _JSON
)
def test_any_document_is_imported_or_refused_and_never_crashes_the_run(fields: Any) -> None:
    result = map_legacy_document(LegacyDocument("oid:1", "1", fields), defaults=Defaults("t", "p"), now=NOW)

    assert isinstance(result, Imported | Refused)
    problems = result.notes if isinstance(result, Imported) else (result.reason,)
    assert all(problem.code in REASONS for problem in problems)


def test_unknown_fields_of_a_patient_object_are_noted() -> None:
    result = mapped({**OWNER, "parsed_data": {"patient": {"name": "A B", "address": "1 Main St"}}})
    assert [(p.location, p.code) for p in result.notes] == [("/parsed_data/patient/address", "unknown_field")]
    assert mapped({**OWNER, "parsed_data": {"patient": "A B"}}).report.patient_name == "A B"
