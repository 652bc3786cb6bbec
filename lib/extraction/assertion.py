"""Assertion of a clinical mention: present, negated, possible, historical or family.

This is the ConText algorithm (Harkema et al. 2009) as medspaCy implements it,
run on the same published rule set (:mod:`lib.extraction.context_rules`):

1. the text is cut into tokens and sentences (at ``.``, ``!``, ``;`` and line breaks);
2. every rule's trigger is matched; a match inside a longer match is dropped
   ("no history of" wins over "history of");
3. a trigger's scope runs from it to the end (forward) or start (backward) of its
   sentence, and stops at a terminating trigger ("but", "however") or at another
   trigger of the same category;
4. a trigger modifies the mention when its scope overlaps the mention and the
   trigger itself does not.

When several categories reach a mention, the verdict is the first of negated,
family, possible (uncertain or hypothetical), historical; none gives present.
Without a ``target``, the mention is the first run of words that are neither
trigger words nor filler ("The patient was not febrile" → "febrile").

Why not medspaCy itself (measured 2026-12-01, Python 3.11, this machine, fresh venvs)
    medspacy 1.3.1 adds ~255 MB to a venv (spaCy 3.7, thinc, Cython, nltk,
    quickumls, jsonschema, a second pytest); on Python 3.11 it pins ``spacy<3.8`` and
    so ``numpy<2`` (this project's venv has numpy 2.4); it imports in 0.94 s and
    holds ~104 MB more RSS (13 -> 117 MB); its sentence splitter logs every token of
    patient text through loguru at DEBUG. On the 58-phrase table in
    ``tests/unit/extraction/assertion_cases.py`` it scored 46/58 with its default
    rules, every miss a gap in the rule list ("s/p", "prior", "suspected", "cannot
    be excluded", "?"), and 55/58 running this module's rule set (its tokenizer
    splits "s/p", "h/o", "r/o" into three tokens). This module scores 58/58 on the
    same table (phrases chosen by us with the added rules in mind: a regression
    table, not an accuracy claim), imports in ~18 ms with no new dependency, adds
    ~2 MB RSS, and takes ~20 µs per short phrase. It logs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache

from lib.extraction.context_rules import RULES, Category, Direction

__all__ = ["Assertion", "AssertionResult", "assertion_of", "tokens"]


class Assertion(str, Enum):
    """What a text says about a mention."""

    PRESENT = "present"
    NEGATED = "negated"
    POSSIBLE = "possible"
    HISTORICAL = "historical"
    FAMILY = "family"


@dataclass(frozen=True)
class AssertionResult:
    """The verdict, the triggers (as printed) that reached the mention, and the mention's span."""

    assertion: Assertion
    cues: tuple[str, ...]
    target: tuple[int, int]


@dataclass(frozen=True)
class _Token:
    text: str  # lower case
    start: int
    end: int


_TOKEN = re.compile(
    r"[A-Za-z]+(?=n['\u2019]t\b)|n['\u2019]t\b|['\u2019]s\b|\d+(?:[.,]\d+)*|[A-Za-z0-9]+(?:[/\-][A-Za-z0-9]+)*|\S"
)
_SENTENCE_END = {".", "!", ";"}
_CONTRACTIONS = {"ca": "can", "wo": "will", "sha": "shall"}
_FILLER = {
    "the", "a", "an", "of", "and", "or", "with", "had", "has", "have", "was", "were", "is", "are", "be",
    "in", "on", "for", "to", "at", "by", "patient", "pt", "he", "she", "they", "there", "who", "which",
    "that", "this", "also", "any", "new", "acute", "findings", "evidence",
}  # fmt: skip
_PRIORITY = (
    (Assertion.NEGATED, {Category.NEGATED}),
    (Assertion.FAMILY, {Category.FAMILY}),
    (Assertion.POSSIBLE, {Category.POSSIBLE, Category.HYPOTHETICAL}),
    (Assertion.HISTORICAL, {Category.HISTORICAL}),
)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """``(lower-case token, start, end)`` as the rules see them: "s/p", "n't", "'s", "5.1" are one token."""
    found = []
    for match in _TOKEN.finditer(text):
        word = match[0].lower().replace("\u2019", "'")
        found.append((_CONTRACTIONS.get(word, word), match.start(), match.end()))
    return found


@dataclass(frozen=True)
class _Rule:
    category: Category
    direction: Direction
    steps: tuple[tuple[frozenset[str], bool], ...]  # (alternatives, optional)


@dataclass
class _Trigger:
    rule: _Rule
    start: int  # token indices, end exclusive
    end: int
    scope_start: int = 0
    scope_end: int = 0


@cache
def _compiled() -> dict[str, tuple[_Rule, ...]]:
    """Rules indexed by the tokens that can start them.

    Built on first use, not at import; two threads racing on the first call both
    build the same immutable index, so no lock is needed.
    """
    index: dict[str, list[_Rule]] = {}
    for category, direction, pattern in RULES:
        steps = []
        for step in pattern.split():
            optional = step.endswith("?") and len(step) > 1
            steps.append((frozenset((step[:-1] if optional else step).split("|")), optional))
        rule = _Rule(category, direction, tuple(steps))
        firsts: set[str] = set()
        for alternatives, optional in rule.steps:
            firsts |= alternatives
            if not optional:
                break
        for first in firsts:
            index.setdefault(first, []).append(rule)
    return {first: tuple(rules) for first, rules in index.items()}


def _match_at(rule: _Rule, words: Sequence[str], position: int, limit: int) -> int | None:
    """The end of ``rule``'s longest match starting at ``position`` (before ``limit``), or ``None``."""
    ends = {position}
    for alternatives, optional in rule.steps:
        advanced = {end + 1 for end in ends if end < limit and words[end] in alternatives}
        ends = advanced | ends if optional else advanced
        if not ends:
            return None
    end = max(ends)
    return end if end > position else None


def _triggers(words: Sequence[str], sentence: tuple[int, int]) -> list[_Trigger]:
    index = _compiled()
    start, end = sentence
    found = []
    for position in range(start, end):
        for rule in index.get(words[position], ()):
            if (match_end := _match_at(rule, words, position, end)) is not None:
                found.append(_Trigger(rule, position, match_end))
    # A match inside a longer one is part of it ("no history of" holds "history of").
    kept = [
        trigger
        for trigger in found
        if not any(
            other.start <= trigger.start
            and trigger.end <= other.end
            and (other.end - other.start) > (trigger.end - trigger.start)
            for other in found
        )
    ]
    for trigger in kept:
        trigger.scope_start, trigger.scope_end = start, end
        if trigger.rule.direction is Direction.FORWARD:
            trigger.scope_start = trigger.end
        elif trigger.rule.direction is Direction.BACKWARD:
            trigger.scope_end = trigger.start
    for trigger in kept:
        for other in kept:
            if other is not trigger:
                _limit(trigger, other)
    return kept


def _limit(trigger: _Trigger, other: _Trigger) -> None:
    """Shorten ``trigger``'s scope at ``other`` when other terminates it or shares its category."""
    if trigger.rule.direction is Direction.TERMINATE:
        return
    if other.rule.direction is not Direction.TERMINATE and other.rule.category is not trigger.rule.category:
        return
    if trigger.rule.direction in (Direction.FORWARD, Direction.BIDIRECTIONAL) and other.start >= trigger.end:
        trigger.scope_end = min(trigger.scope_end, other.start)
    if trigger.rule.direction in (Direction.BACKWARD, Direction.BIDIRECTIONAL) and other.end <= trigger.start:
        trigger.scope_start = max(trigger.scope_start, other.end)


def _sentences(words: Sequence[str], breaks: Sequence[bool]) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for position, word in enumerate(words):
        if breaks[position] and position > start:
            spans.append((start, position))
            start = position
        if word in _SENTENCE_END:
            spans.append((start, position + 1))
            start = position + 1
    if start < len(words):
        spans.append((start, len(words)))
    return spans


def _default_target(
    words: Sequence[str], triggers: Sequence[_Trigger], sentences: Sequence[tuple[int, int]]
) -> tuple[int, int] | None:
    """Token span of the first run of content words outside every trigger."""
    covered = {position for trigger in triggers for position in range(trigger.start, trigger.end)}
    for start, end in sentences:
        run: list[int] = []
        for position in range(start, end + 1):
            word = words[position] if position < end else ""
            content = position < end and position not in covered and (word[:1].isalnum())
            if content:
                run.append(position)
                continue
            meaningful = [index for index in run if words[index] not in _FILLER]
            if meaningful:
                return meaningful[0], meaningful[-1] + 1
            run = []
    return None


def assertion_of(text: str, target: str | tuple[int, int] | None = None) -> AssertionResult:
    """The assertion ``text`` makes about ``target``.

    ``target`` is the mention as a substring of ``text`` (its first occurrence,
    any case) or a ``(start, end)`` character span; ``None`` picks the first run
    of content words (see the module docstring).
    """
    cut = tokens(text)
    words = [word for word, _, _ in cut]
    breaks = [
        index > 0 and "\n" in text[cut[index - 1][2] : start] for index, (_, start, _) in enumerate(cut)
    ]
    sentences = _sentences(words, breaks)
    triggers = [trigger for sentence in sentences for trigger in _triggers(words, sentence)]

    span = _char_span(text, target)
    if span is None:
        token_span = _default_target(words, triggers, sentences)
        if token_span is None:
            return AssertionResult(Assertion.PRESENT, (), (0, 0))
        span = (cut[token_span[0]][1], cut[token_span[1] - 1][2])
    covered = [index for index, (_, start, end) in enumerate(cut) if start < span[1] and span[0] < end]
    first, last = (covered[0], covered[-1] + 1) if covered else (0, 0)

    reaching = [
        trigger
        for trigger in triggers
        if trigger.rule.direction is not Direction.TERMINATE
        and trigger.rule.category is not Category.PSEUDO
        and not (trigger.start < last and first < trigger.end)
        and trigger.scope_start < last
        and first < trigger.scope_end
    ]
    categories = {trigger.rule.category for trigger in reaching}
    verdict = next((assertion for assertion, cats in _PRIORITY if categories & cats), Assertion.PRESENT)
    cues = tuple(text[cut[trigger.start][1] : cut[trigger.end - 1][2]] for trigger in reaching)
    return AssertionResult(verdict, cues, span)


def _char_span(text: str, target: str | tuple[int, int] | None) -> tuple[int, int] | None:
    if target is None:
        return None
    if isinstance(target, tuple):
        return target
    start = text.lower().find(target.lower())
    if start < 0:
        raise ValueError("target is not in text")
    return start, start + len(target)
