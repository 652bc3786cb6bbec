"""GeminiReportParser through the real google-genai client, over HTTP, against the local stub."""

from __future__ import annotations

import socket
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF

from lib.adapters.gemini_parser import DEFAULT_PROMPT, GeminiReport, GeminiReportParser
from lib.domain.errors import PermanentParseError, ServiceError, TransientParseError
from lib.domain.grounding import Claim
from lib.domain.parsing import ParseRequest, TokenUsage
from lib.domain.report_schema import ParsedReport, ReportContent
from tests.support.gemini_stub import SAMPLE_REPORT, GeminiReply, GeminiStub

API_KEY = "test-api-key"
DEFAULT_MODEL = "gemini-default-model"
SECRET_NAME = "Zebulon Qx Fakename"  # fake patient data that must never reach an error

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_pdf(text: str, pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"{text} - page {number}")
    return bytes(pdf.output())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# One stub and one parser per module: building a client costs ~0.1 s (TLS trust store).
@pytest.fixture(scope="module")
def shared_stub() -> Iterator[GeminiStub]:
    with GeminiStub() as running:
        yield running


@pytest.fixture(scope="module")
def shared_parser(shared_stub: GeminiStub) -> Iterator[GeminiReportParser]:
    with GeminiReportParser(
        api_key=API_KEY, default_model=DEFAULT_MODEL, base_url=shared_stub.base_url, timeout_seconds=5.0
    ) as built:
        yield built


@pytest.fixture
def stub(shared_stub: GeminiStub) -> GeminiStub:
    shared_stub.reset()  # no script or recorded request leaks from one test into the next
    return shared_stub


@pytest.fixture
def parser(stub: GeminiStub, shared_parser: GeminiReportParser) -> GeminiReportParser:
    return shared_parser


@pytest.fixture
def pdf() -> bytes:
    return make_pdf("Discharge summary")


# -- success ---------------------------------------------------------------------------


def test_parse_returns_validated_report_usage_and_model(stub: GeminiStub, parser: GeminiReportParser) -> None:
    first, second = make_pdf("first file", pages=2), make_pdf("second file")
    stub.enqueue(GeminiReply.ok(SAMPLE_REPORT, prompt_tokens=1234, output_tokens=56))

    outcome = parser.parse(ParseRequest(documents=[first, second], model="gemini-from-project"))

    assert outcome.report == ParsedReport.model_validate(SAMPLE_REPORT)
    assert outcome.model == "gemini-from-project"
    assert outcome.usage == TokenUsage(prompt_tokens=1234, output_tokens=56, total_tokens=1290)

    [sent] = stub.requests
    assert sent.model == "gemini-from-project"
    assert sent.api_key == API_KEY
    assert sent.part_kinds == ["pdf", "pdf", "text"]  # files first, in order, then the prompt
    assert sent.pdfs == [first, second]
    assert sent.prompt == DEFAULT_PROMPT
    config = sent.generation_config
    assert config["responseMimeType"] == "application/json"
    assert config["temperature"] == 0.0
    schema = config["responseSchema"]
    assert schema["type"] == "OBJECT"
    # The content and the model's sources; provenance and warnings are ours.
    assert set(schema["properties"]) == set(GeminiReport.model_fields)
    assert set(ReportContent.model_fields) < set(schema["properties"])
    assert not {"provenance", "warnings"} & set(schema["properties"])
    assert schema["properties"]["diagnosis"]["type"] == "ARRAY"
    lab_item = schema["properties"]["lab_results"]["items"]["properties"]
    assert lab_item["source_page"]["type"] == "INTEGER"
    assert lab_item["source_quote"]["type"] == "STRING"
    assert set(schema["properties"]["patient"]["properties"]) >= {"name_source", "mrn_source"}
    assert "source_quote" in sent.prompt
    assert outcome.claims == {}  # SAMPLE_REPORT states no sources


def test_schema_stays_in_geminis_subset(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    parser.parse(ParseRequest(documents=[pdf]))

    allowed = {"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"}

    def walk(node: object) -> Iterator[dict[str, object]]:
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    nodes = list(walk(stub.last_request.generation_config["responseSchema"]))
    assert all(node["type"] in allowed for node in nodes if "type" in node and isinstance(node["type"], str))
    assert not any({"$ref", "$defs", "additionalProperties"} & set(node) for node in nodes)


def test_sources_become_claims_and_stay_out_of_the_report(
    stub: GeminiStub, parser: GeminiReportParser, pdf: bytes
) -> None:
    answer = {
        **SAMPLE_REPORT,
        "patient_name_source": {"page": 1, "quote": "Patient: EXAMPLE, ALEX"},
        "patient": {
            **SAMPLE_REPORT["patient"],
            "date_of_birth_source": {"page": 1, "quote": "DOB: 01/31/1970"},
        },
        "report_date_source": {"page": 0, "quote": "  "},  # neither is a claim
        "diagnosis_details": [
            {
                **SAMPLE_REPORT["diagnosis_details"][0],
                "source_page": 1,
                "source_quote": "Type 2 diabetes (E11.9)",
            },
            SAMPLE_REPORT["diagnosis_details"][1],
        ],
        "lab_results": [{**SAMPLE_REPORT["lab_results"][0], "source_page": 3, "source_quote": "HbA1c 7.2 %"}],
        "provenance": {"/patient_name": {"page": 1, "quote": "made up"}},  # not the model's to write
    }
    stub.enqueue(GeminiReply.ok(answer))

    outcome = parser.parse(ParseRequest(documents=[pdf]))

    assert outcome.report == ParsedReport.model_validate(SAMPLE_REPORT)
    assert outcome.claims == {
        "/patient_name": Claim(page=1, quote="Patient: EXAMPLE, ALEX"),
        "/patient/date_of_birth": Claim(page=1, quote="DOB: 01/31/1970"),
        "/diagnosis_details/0": Claim(page=1, quote="Type 2 diabetes (E11.9)"),
        "/diagnosis/0": Claim(page=1, quote="Type 2 diabetes (E11.9)"),  # its diagnosis_details twin's
        "/lab_results/0": Claim(page=3, quote="HbA1c 7.2 %"),
    }


def test_malformed_source_is_invalid_output(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(
        GeminiReply.ok({**SAMPLE_REPORT, "facility_source": {"page": "first", "quote": SECRET_NAME}})
    )

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_invalid_output"
    assert "facility_source.page" in caught.value.message
    assert SECRET_NAME not in "".join(traceback.format_exception(caught.value))


def test_parse_uses_default_model_and_request_prompt(
    stub: GeminiStub, parser: GeminiReportParser, pdf: bytes
) -> None:
    outcome = parser.parse(ParseRequest(documents=[pdf], prompt="Project-specific instructions."))

    assert outcome.model == DEFAULT_MODEL
    assert stub.last_request.model == DEFAULT_MODEL
    assert stub.last_request.prompt == "Project-specific instructions."


def test_thinking_tokens_count_as_output(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(
        GeminiReply.json(
            {
                "candidates": [
                    {
                        "content": {"parts": [{"text": '{"diagnosis": []}'}], "role": "model"},
                        "finishReason": "STOP",
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": 100,
                    "candidatesTokenCount": 20,
                    "thoughtsTokenCount": 30,
                    "totalTokenCount": 150,
                },
            }
        )
    )

    outcome = parser.parse(ParseRequest(documents=[pdf]))

    assert outcome.report == ParsedReport()
    assert outcome.usage == TokenUsage(prompt_tokens=100, output_tokens=50, total_tokens=150)


def test_constructor_makes_no_request(stub: GeminiStub) -> None:
    with GeminiReportParser(
        api_key=API_KEY, default_model=DEFAULT_MODEL, base_url=stub.base_url, timeout_seconds=1.0
    ):
        pass

    assert stub.requests == []


def test_no_documents_is_permanent(stub: GeminiStub, parser: GeminiReportParser) -> None:
    with pytest.raises(PermanentParseError) as caught:
        parser.parse(ParseRequest(documents=[]))

    assert caught.value.code == "no_documents"
    assert stub.requests == []


# -- HTTP errors: one request each (no SDK retries), then the mapped error ----------------


@pytest.mark.parametrize(
    ("status", "error_type", "code"),
    [
        (429, TransientParseError, "gemini_rate_limited"),
        (500, TransientParseError, "gemini_unavailable"),
        (503, TransientParseError, "gemini_unavailable"),
        (408, TransientParseError, "gemini_timeout"),
        (400, PermanentParseError, "gemini_rejected"),
        (401, PermanentParseError, "gemini_rejected"),
        (403, PermanentParseError, "gemini_rejected"),
        (404, PermanentParseError, "gemini_rejected"),
    ],
)
def test_http_error_maps_to_domain_error(
    stub: GeminiStub,
    parser: GeminiReportParser,
    pdf: bytes,
    status: int,
    error_type: type[ServiceError],
    code: str,
) -> None:
    stub.enqueue(GeminiReply.error(status, message=f"problem with {SECRET_NAME}"))

    with pytest.raises(error_type) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == code
    assert str(status) in caught.value.message
    assert SECRET_NAME not in caught.value.message  # Gemini's message may echo the request
    assert len(stub.requests) == 1  # the SDK did not retry


def test_rejection_names_google_status(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(GeminiReply.error(400))

    with pytest.raises(PermanentParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert "INVALID_ARGUMENT" in caught.value.message


def test_wrong_api_key_is_rejected(pdf: bytes) -> None:
    with (
        GeminiStub(expected_api_key="the-right-key") as stub,
        GeminiReportParser(
            api_key="a-wrong-key", default_model=DEFAULT_MODEL, base_url=stub.base_url, timeout_seconds=5.0
        ) as parser,
        pytest.raises(PermanentParseError) as caught,
    ):
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_rejected"


def test_non_json_200_body_is_transient(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(GeminiReply.raw(f"<html>{SECRET_NAME}</html>".encode(), content_type="text/html"))

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_invalid_output"
    assert SECRET_NAME not in "".join(traceback.format_exception(caught.value))


# -- answers that are not a usable report ------------------------------------------------


@pytest.mark.parametrize("finish_reason", ["SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"])
def test_withheld_answer_is_permanent(
    stub: GeminiStub, parser: GeminiReportParser, pdf: bytes, finish_reason: str
) -> None:
    stub.enqueue(GeminiReply.safety_block(finish_reason))

    with pytest.raises(PermanentParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_safety_block"
    assert finish_reason in caught.value.message


@pytest.mark.parametrize("block_reason", ["SAFETY", "PROHIBITED_CONTENT", "OTHER"])
def test_blocked_prompt_is_permanent(
    stub: GeminiStub, parser: GeminiReportParser, pdf: bytes, block_reason: str
) -> None:
    stub.enqueue(GeminiReply.prompt_blocked(block_reason))

    with pytest.raises(PermanentParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_safety_block"


def test_truncated_answer_is_transient(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(GeminiReply.truncated(SAMPLE_REPORT))

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_truncated"


def test_continuation_is_not_followed(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(
        GeminiReply.json(
            {
                "candidates": [
                    {
                        "content": {"parts": [{"text": '{"diagnosis": ['}], "role": "model"},
                        "finishReason": "CONTINUATION",
                        "continuationToken": "dG9rZW4=",
                    }
                ]
            }
        )
    )

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_truncated"
    assert len(stub.requests) == 1


def test_other_finish_reason_is_transient(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(GeminiReply.text('{"diagnosis": []}', finish_reason="OTHER"))

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_unfinished"


def test_no_candidates_is_transient(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(GeminiReply.no_candidates())

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_empty_response"


def test_empty_text_is_transient(stub: GeminiStub, parser: GeminiReportParser, pdf: bytes) -> None:
    stub.enqueue(GeminiReply.text(None))

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_invalid_output"


def test_schema_mismatch_names_fields_not_values(
    stub: GeminiStub, parser: GeminiReportParser, pdf: bytes
) -> None:
    stub.enqueue(
        GeminiReply.ok(
            {
                "patient_name": SECRET_NAME,
                "diagnosis": {"primary": SECRET_NAME},
                "patient": {"name": SECRET_NAME, "sex": SECRET_NAME},
            }
        )
    )

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    error = caught.value
    assert error.code == "gemini_invalid_output"
    assert "diagnosis" in error.message
    assert "patient.sex" in error.message
    assert SECRET_NAME not in "".join(traceback.format_exception(error))


def test_invalid_json_is_transient_and_quiet(
    stub: GeminiStub, parser: GeminiReportParser, pdf: bytes
) -> None:
    stub.enqueue(GeminiReply.text(f'{{"patient_name": "{SECRET_NAME}", "diagnosis": [', finish_reason="STOP"))

    with pytest.raises(TransientParseError) as caught:
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_invalid_output"
    assert SECRET_NAME not in "".join(traceback.format_exception(caught.value))


# -- transport ---------------------------------------------------------------------------


@pytest.fixture(params=["httpx2", "httpx"])
def http_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The SDK's HTTP library: httpx2 by default; the mapping must hold for both."""
    backend: str = request.param
    monkeypatch.setenv("GOOGLE_GENAI_HTTP_CLIENT", backend)
    return backend


def test_slow_answer_times_out(http_backend: str, stub: GeminiStub, pdf: bytes) -> None:
    stub.enqueue(GeminiReply.slow(10, then=GeminiReply.ok()))

    with (
        GeminiReportParser(
            api_key=API_KEY, default_model=DEFAULT_MODEL, base_url=stub.base_url, timeout_seconds=0.3
        ) as parser,
        pytest.raises(TransientParseError) as caught,
    ):
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_timeout"
    assert len(stub.requests) == 1


def test_refused_connection_is_transport_error(http_backend: str, pdf: bytes) -> None:
    with (
        GeminiReportParser(
            api_key=API_KEY,
            default_model=DEFAULT_MODEL,
            base_url=f"http://127.0.0.1:{closed_port()}",
            timeout_seconds=2.0,
        ) as parser,
        pytest.raises(TransientParseError) as caught,
    ):
        parser.parse(ParseRequest(documents=[pdf]))

    assert caught.value.code == "gemini_transport_error"


# -- the stub itself -----------------------------------------------------------------------


def test_stub_sample_report_matches_schema() -> None:
    ParsedReport.model_validate(SAMPLE_REPORT)


def test_stub_runs_as_a_module(pdf: bytes) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.gemini_stub", "--port", "0", "--delay", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("gemini-stub listening on http://127.0.0.1:")
        base_url = line.rsplit(" ", 1)[1].strip()
        with GeminiReportParser(
            api_key=API_KEY, default_model=DEFAULT_MODEL, base_url=base_url, timeout_seconds=5.0
        ) as parser:
            outcome = parser.parse(ParseRequest(documents=[pdf]))
        assert outcome.report == ParsedReport.model_validate(SAMPLE_REPORT)
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
        if process.stdout is not None:
            process.stdout.close()
