"""What a records system receives: facts checked against the document, codes validated, mixed
patients caught, and the FHIR bundle, through the Blueprint functions.

The Gemini stand-in plays a model that lies the ways models do: a potassium the report does
not print, a glucose with a digit shifted, a diagnosis and a code it invented, and a real
value claimed on the wrong page. The report pipeline (in its parse process) must flag each
one and give the real facts their provenance.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest
from fhir.resources.R4B.bundle import Bundle

from functions.jobs_http import get_job_fhir, get_job_status
from functions.parse_queue import parse_job
from functions.reports_http import upload_report
from lib.bootstrap import context
from lib.domain.output_policy import MixedPatientPolicy, UngroundedPolicy
from lib.fhir import check_bundle
from lib.services import admin
from lib.settings import Settings
from tests.conftest import Credentials
from tests.support.functions import parse_queue_client, receive, status_request, upload_request
from tests.support.gemini_stub import GeminiReply, GeminiStub
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.integration

PDF = make_report_pdf(SampleReport(pages=2))  # diagnoses on page 1; medications and labs on page 2
LYING_MODEL = {
    "patient_name": "Jane Q. Doe",
    "patient": {"name": "Jane Q. Doe", "date_of_birth": "1962-03-14", "sex": "female", "mrn": "MRN-0048213"},
    "report_type": "discharge summary",
    "report_date": "2024-05-21",
    "diagnosis": [
        "Type 2 diabetes mellitus without complications",
        "Sepsis",
        "Essential (primary) hypertension",
    ],
    "diagnosis_details": [
        {"description": "Type 2 diabetes mellitus without complications", "code": "E11.99", "source_page": 1},
        {"description": "Sepsis", "code": "A41.9", "source_page": 1},
        {"description": "Essential (primary) hypertension", "code": "I10", "source_page": 1},
    ],
    "lab_results": [
        {
            "test": "Potassium",
            "value": "6.1",
            "unit": "mmol/L",
            "reference_range": "3.5-5.1",
            "source_page": 2,
        },
        {
            "test": "HbA1c",
            "value": "7.2",
            "unit": "%",
            "reference_range": "4.0-5.6",
            "flag": "high",
            "source_page": 1,
        },
        {
            "test": "Fasting glucose",
            "value": "18.2",
            "unit": "mg/dL",
            "reference_range": "70-99",
            "source_page": 2,
        },
    ],
    "medications": [
        {"name": "Metformin", "dose": "500 mg", "route": "PO", "frequency": "BID", "source_page": 2}
    ],
}


@pytest.fixture
def gemini(app_env: Callable[..., None]) -> Iterator[GeminiStub]:
    with GeminiStub() as stub:
        app_env(
            PARSER="gemini",
            GEMINI_API_KEY="test-key",
            GEMINI_BASE_URL=stub.base_url,
            GEMINI_TIMEOUT_SECONDS="5",
        )
        yield stub


def upload(credentials: Credentials, *pdfs: bytes) -> str:
    response = upload_report(
        upload_request(credentials.tenant_id, credentials.project_id, list(pdfs), api_key=credentials.api_key)
    )
    assert response.status_code == 202, response.get_body()
    job_id: str = json.loads(response.get_body())["job_id"]
    return job_id


def parse_all(settings: Settings) -> None:
    queue = parse_queue_client(settings)
    while (message := receive(queue, timeout=5.0)) is not None:
        parse_job(message)


def status_of(credentials: Credentials, job_id: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(get_job_status(status_request(job_id, credentials.api_key)).get_body())
    return body


def fhir_request(job_id: str, api_key: str) -> func.HttpRequest:
    return func.HttpRequest(
        "GET",
        f"http://localhost/api/v1/job/{job_id}/fhir",
        headers={"X-API-Key": api_key},
        route_params={"job_id": job_id},
        body=b"",
    )


def warnings_at(parsed: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for warning in parsed["warnings"]:
        found.setdefault(warning["path"], set()).add(warning["code"])
    return found


def test_invented_and_shifted_values_are_flagged_and_real_ones_carry_provenance(
    gemini: GeminiStub, tenant: Credentials, settings: Settings
) -> None:
    gemini.enqueue(GeminiReply.ok(LYING_MODEL))
    job_id = upload(tenant, PDF)
    parse_all(settings)

    body = status_of(tenant, job_id)
    assert body["status"] == "completed", body.get("error")
    parsed = body["parsed_data"]
    flagged = warnings_at(parsed)
    assert "ungrounded" in flagged["/lab_results/0"]  # potassium 6.1: the report says 4.1
    assert "ungrounded" in flagged["/lab_results/2"]  # glucose 18.2: the report says 182
    assert "ungrounded" in flagged["/diagnosis_details/1"]  # sepsis: not in the report
    assert "icd10_invalid" in flagged["/diagnosis_details/0/code"]  # E11.99 is no ICD-10-CM code
    assert "ungrounded" in flagged["/diagnosis_details/0/code"]  # and the report prints E11.9
    provenance = parsed["provenance"]
    assert provenance["/lab_results/1"]["page"] == 2  # claimed on page 1, found where it is
    assert "7.2" in provenance["/lab_results/1"]["quote"]
    assert len(provenance["/lab_results/1"]["bbox"]) == 4
    assert provenance["/medications/0"]["page"] == 2
    assert provenance["/patient/name"]["page"] == 1
    assert parsed["lab_results"][1]["page"] == 2
    assert (
        parsed["medications"][0]["route"] == "oral" and parsed["medications"][0]["frequency"] == "twice daily"
    )
    assert parsed["diagnosis_details"][2]["code_description"] == "Essential (primary) hypertension"
    for pointer in ("/lab_results/0", "/lab_results/2", "/diagnosis_details/1"):
        assert pointer not in provenance
    assert set(provenance) | {w["path"] for w in parsed["warnings"] if w["code"] == "ungrounded"} >= {
        "/patient_name",
        "/lab_results/0",
        "/lab_results/1",
        "/lab_results/2",
        "/medications/0",
        "/diagnosis_details/0",
        "/diagnosis_details/1",
        "/diagnosis_details/2",
    }


def test_a_project_can_drop_what_the_document_does_not_contain(
    gemini: GeminiStub, tenant: Credentials, settings: Settings
) -> None:
    admin.set_output_policy(context(), tenant.tenant_id, tenant.project_id, ungrounded=UngroundedPolicy.DROP)
    gemini.enqueue(GeminiReply.ok(LYING_MODEL))
    job_id = upload(tenant, PDF)
    parse_all(settings)

    parsed = status_of(tenant, job_id)["parsed_data"]

    assert [lab["test"] for lab in parsed["lab_results"]] == ["HbA1c"]
    assert "Sepsis" not in parsed["diagnosis"]
    assert all(item["description"] != "Sepsis" for item in parsed["diagnosis_details"])
    assert all(pointer in parsed["provenance"] for pointer in ("/lab_results/0", "/medications/0"))


def test_the_fhir_bundle_of_a_completed_job_validates_and_answers_like_status(
    gemini: GeminiStub, tenant: Credentials, settings: Settings
) -> None:
    gemini.enqueue(GeminiReply.ok(LYING_MODEL))
    job_id = upload(tenant, PDF)
    pending = get_job_fhir(fhir_request(job_id, tenant.api_key))
    assert pending.status_code == 409
    assert json.loads(pending.get_body())["error"]["code"] == "job_not_completed"
    parse_all(settings)

    answer = get_job_fhir(fhir_request(job_id, tenant.api_key))

    assert answer.status_code == 200
    assert answer.mimetype == "application/fhir+json"
    bundle = json.loads(answer.get_body())
    Bundle.model_validate(bundle)
    assert check_bundle(bundle) == []
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert {"Patient", "DiagnosticReport", "Observation", "Condition", "MedicationStatement"} <= set(kinds)
    assert {"DocumentReference", "Provenance"} <= set(kinds)


def test_the_fhir_route_hides_other_tenants_jobs(
    gemini: GeminiStub, tenant: Credentials, settings: Settings
) -> None:
    gemini.enqueue(GeminiReply.ok(LYING_MODEL))
    job_id = upload(tenant, PDF)
    parse_all(settings)
    admin.create_tenant(context(), "tenant-other", "other")
    other_key = admin.create_api_key(context(), "tenant-other")

    foreign = get_job_fhir(fhir_request(job_id, other_key))
    unknown = get_job_fhir(fhir_request("0" * 24, tenant.api_key))

    assert foreign.status_code == unknown.status_code == 404
    assert json.loads(foreign.get_body()) == json.loads(unknown.get_body())


TWO_PATIENTS = (
    make_report_pdf(),
    make_report_pdf(
        SampleReport(patient_name="Robert K. Vance", date_of_birth="11/02/1948", mrn="MRN-7730019")
    ),
)


@pytest.mark.parametrize("policy", [MixedPatientPolicy.WARN, MixedPatientPolicy.FAIL])
def test_an_upload_of_two_patients_is_flagged_or_failed_as_the_project_says(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, policy: MixedPatientPolicy
) -> None:
    app_env(PARSER="local")
    admin.set_output_policy(context(), tenant.tenant_id, tenant.project_id, mixed_patient=policy)
    job_id = upload(tenant, *TWO_PATIENTS)
    parse_all(settings)

    body = status_of(tenant, job_id)

    if policy is MixedPatientPolicy.WARN:
        assert body["status"] == "completed"
        assert "mixed_patient" in warnings_at(body["parsed_data"])["/patient"]
    else:
        assert body["status"] == "failed"
        assert body["error"]["code"] == "mixed_patient"
