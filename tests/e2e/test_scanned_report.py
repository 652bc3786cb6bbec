"""A scanned report, uploaded through the dev host with the offline parser, completes with its
patient, lab results and diagnoses, read by OCR (the document engine's scan path end to end),
and its facts carry provenance found in the OCR words."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import requests

from bench.quality.corpus import build
from bench.quality.scan import scan
from tests.support.app_host import API_KEY, MakeHost
from tests.support.gemini_stub import GeminiStub

pytestmark = pytest.mark.e2e


def _normal(text: str) -> str:
    return " ".join(text.casefold().replace(",", " ").split())


def test_a_scanned_discharge_summary_completes_with_patient_labs_and_diagnoses(
    make_host: MakeHost, gemini: GeminiStub
) -> None:
    pdf, truth = build("discharge", "fpdf2", seed=0)  # a tuning family: labs and diagnoses
    scanned = scan(pdf, random.Random(11))
    host = make_host(gemini, PARSER="local")

    answer = requests.post(
        host.reports_url,
        files=[("file", ("scan.pdf", scanned, "application/pdf"))],
        headers={"X-API-Key": API_KEY},
        timeout=60,
    )
    assert answer.status_code == 202, answer.text
    status_url = host.status_url(answer.json()["job_id"])
    deadline = time.monotonic() + 120
    while (body := requests.get(status_url, headers={"X-API-Key": API_KEY}, timeout=30).json())[
        "status"
    ] not in (
        "completed",
        "failed",
    ):
        assert time.monotonic() < deadline, "the scanned report did not finish in 2 minutes"
        time.sleep(0.5)

    assert body["status"] == "completed", body.get("error")
    parsed: dict[str, Any] = body["parsed_data"]
    assert set(_normal(parsed["patient_name"] or "").split()) == set(
        _normal(truth["patient"]["name"]).split()
    )
    read = {(_normal(lab["test"]), lab["value"]) for lab in parsed["lab_results"]}
    wanted = {(_normal(lab["test"]), lab["value"]) for lab in truth["lab_results"]}
    assert len(read & wanted) >= 0.8 * len(wanted), sorted(wanted - read)
    assert truth["diagnosis"] and parsed["diagnosis"], "no diagnosis read from the scan"
    where = parsed["provenance"]["/patient_name"]
    assert where["page"] == 1 and len(where["bbox"]) == 4
    assert set(_normal(where["quote"]).split()) == set(_normal(truth["patient"]["name"]).split())
