"""The parsers under test, as the app composes them: every answer goes through the report pipeline
(grounding and checks), in this process, so what is scored is what a client receives."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from lib.domain.parsing import ParseRequest, ReportParser
from lib.domain.report_schema import ParsedReport

PARSERS = ("local", "gemini")


class ParserUnavailable(Exception):
    """Raised when the requested parser cannot be built here (no API key)."""


def build(name: str) -> tuple[ReportParser, str]:
    """The parser called ``name`` and a label for it (model name)."""
    from lib.adapters.local_parser import MODEL_NAME
    from lib.adapters.report_pipeline import GroundedParser, ReportPipeline

    if name == "local":
        return ReportPipeline(), MODEL_NAME
    key = os.environ.get("GEMINI_API_KEY", "")
    if not key.strip():
        raise ParserUnavailable("--parser gemini needs GEMINI_API_KEY in the environment")
    from lib.adapters.gemini_parser import GeminiReportParser

    model = os.environ.get("GEMINI_MODEL", "gemini-3.5-flash")
    gemini = GeminiReportParser(
        api_key=key, default_model=model, base_url=os.environ.get("GEMINI_BASE_URL"), timeout_seconds=120
    )
    return GroundedParser(gemini, ReportPipeline()), model


@dataclass(frozen=True)
class Parsed:
    """One parse: the report, or the error code it failed with; and how long it took."""

    report: ParsedReport | None
    error: str | None
    seconds: float


def parse(parser: ReportParser, pdf: bytes) -> Parsed:
    """Parse ``pdf``; a failure is recorded by its error code (``.code``) or exception type, never raised."""
    started = time.perf_counter()
    try:
        outcome = parser.parse(ParseRequest(documents=[pdf]))
    except Exception as exc:  # noqa: BLE001 - a failed parse scores as all-missed; the run goes on
        return Parsed(
            None, str(getattr(exc, "code", None) or type(exc).__name__), time.perf_counter() - started
        )
    return Parsed(outcome.report, None, time.perf_counter() - started)
