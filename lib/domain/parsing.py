"""What a report parser takes and gives back; the port the parse service depends on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lib.domain.grounding import Claim
from lib.domain.output_policy import OutputPolicy
from lib.domain.report_schema import ParsedReport


@dataclass(frozen=True)
class ParseRequest:
    """The files of one report, in upload order, and how to parse them.

    ``model`` and ``prompt`` come from the project's ``ai_models`` entry; ``None``
    means the parser's own default. ``policy`` is the project's output choices.
    ``answer`` is a model's reading of the documents, handed to the step that checks
    it against them (``None`` when the report is to be read offline).
    """

    documents: Sequence[bytes]
    model: str | None = None
    prompt: str | None = None
    policy: OutputPolicy = field(default_factory=OutputPolicy)
    answer: ParseOutcome | None = None


@dataclass(frozen=True)
class TokenUsage:
    """Tokens a model call consumed, as the model reported them."""

    prompt_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(frozen=True)
class ParseOutcome:
    """A validated report plus what it cost to produce.

    ``claims`` are the parser's own statements of where it read each fact (page and
    quote by JSON Pointer), unchecked; empty when the parser makes none.
    """

    report: ParsedReport
    model: str
    usage: TokenUsage | None = None
    claims: Mapping[str, Claim] = field(default_factory=dict)


class ReportParser(Protocol):
    """Turns PDFs into a :class:`ParsedReport`.

    Raises :class:`lib.domain.errors.TransientParseError` when another attempt may
    succeed and :class:`lib.domain.errors.PermanentParseError` when none can.
    Implementations never put document content into exception messages.
    """

    def parse(self, request: ParseRequest) -> ParseOutcome: ...
