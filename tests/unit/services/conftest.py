"""Service-level unit tests: every use case against a context of in-memory fakes."""

from __future__ import annotations

import pytest

from tests.support.fakes.context import Fakes, build
from tests.support.pdf_factory import SampleReport, make_report_pdf


@pytest.fixture
def fakes() -> Fakes:
    return build()


@pytest.fixture(scope="session")
def pdf() -> bytes:
    return make_report_pdf(SampleReport(patient_name="Jane Q. Doe"))
