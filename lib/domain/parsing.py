"""What a report parser takes and gives back; the port the parse service depends on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lib.domain.report_schema import ParsedReport


@dataclass(frozen=True)
class ParseRequest:
    """The files of one report, in upload order, and how to parse them.

    ``model`` and ``prompt`` come from the project's ``ai_models`` entry; ``None``
    means the parser's own default.
    """

    documents: Sequence[bytes]
    model: str | None = None
    prompt: str | None = None


@dataclass(frozen=True)
class TokenUsage:
    """Tokens a model call consumed, as the model reported them."""

    prompt_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(frozen=True)
class ParseOutcome:
    """A validated report plus what it cost to produce."""

    report: ParsedReport
    model: str
    usage: TokenUsage | None = None


class ReportParser(Protocol):
    """Turns PDFs into a :class:`ParsedReport`.

    Raises :class:`lib.domain.errors.TransientParseError` when another attempt may
    succeed and :class:`lib.domain.errors.PermanentParseError` when none can.
    Implementations never put document content into exception messages.
    """

    def parse(self, request: ParseRequest) -> ParseOutcome: ...
