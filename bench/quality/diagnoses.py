"""Diagnoses that the patient has, and sentences about conditions they do not have."""

from __future__ import annotations

import random

from bench.quality.catalog import DIAGNOSES, NEGATIONS, DiagnosisSpec, NegationSpec
from bench.quality.document import ItemList
from bench.quality.truth import DiagnosisTruth


def draw(rng: random.Random, kind: str, count: int) -> list[DiagnosisTruth]:
    """``count`` diagnoses suited to ``kind`` (medical, imaging, pathology), about different concepts.

    The phrase is the ICD-10-CM description or a clinical synonym; with a code printed
    about half the time.
    """
    pool = [spec for spec in DIAGNOSES if kind in spec.kinds]
    rng.shuffle(pool)
    specs: list[DiagnosisSpec] = []
    for spec in pool:
        if len(specs) < count and not any(spec.concepts & other.concepts for other in specs):
            specs.append(spec)
    return [
        DiagnosisTruth(rng.choice(spec.phrases), spec.code if rng.random() < 0.5 else None) for spec in specs
    ]


def of_code(rng: random.Random, code: str) -> DiagnosisTruth:
    """The diagnosis with ICD-10-CM ``code``, one of its phrasings, the code printed or not."""
    spec = next(spec for spec in DIAGNOSES if spec.code == code)
    return DiagnosisTruth(rng.choice(spec.phrases), code if rng.random() < 0.5 else None)


def concepts_of(diagnoses: list[DiagnosisTruth]) -> frozenset[str]:
    """The concepts the given diagnoses are about."""
    codes = {dx.code for dx in diagnoses}
    phrases = {dx.description for dx in diagnoses}
    found: set[str] = set()
    for spec in DIAGNOSES:
        if spec.code in codes or phrases.intersection(spec.phrases):
            found |= spec.concepts
    return frozenset(found)


def negations(rng: random.Random, kind: str, count: int, present: list[DiagnosisTruth]) -> list[NegationSpec]:
    """``count`` negated, hypothetical or family-history sentences that contradict none of ``present``."""
    taken = concepts_of(present)
    pool = [spec for spec in NEGATIONS if kind in spec.kinds and not spec.concepts & taken]
    return rng.sample(pool, min(count, len(pool)))


def mentions(specs: list[NegationSpec]) -> list[str]:
    """The condition phrases the sentences mention."""
    return [mention for spec in specs for mention in spec.mentions]


_CODE_FORMS = ("{description} ({code})", "{code} - {description}", "{description}, ICD-10: {code}")


def printed(dx: DiagnosisTruth, form: int) -> str:
    """One diagnosis line with its code in form ``form`` of :data:`_CODE_FORMS`, or without one."""
    if dx.code is None:
        return dx.description
    return _CODE_FORMS[form].format(description=dx.description, code=dx.code)


def as_list(
    rng: random.Random, diagnoses: list[DiagnosisTruth], heading: str | None, negated: tuple[str, ...] = ()
) -> ItemList:
    """A numbered or bulleted diagnosis list, then the ``negated`` sentences as items of the same list.

    One report prints all its codes the same way. Negated items ("2. No evidence of
    pneumonia.") are what impressions and final-diagnosis blocks really hold.
    """
    form = rng.randrange(len(_CODE_FORMS))
    items = tuple(printed(dx, form) for dx in diagnoses) + negated
    return ItemList(items, heading=heading, numbered=rng.random() < 0.7)
