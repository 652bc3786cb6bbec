"""How a project wants what we return: what to do with facts the document does not contain,
with reports that mix patients, and whether webhooks carry the FHIR bundle."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class UngroundedPolicy(str, Enum):
    """A fact the document does not contain: kept with an ``ungrounded`` warning, or dropped."""

    FLAG = "flag"
    DROP = "drop"


class MixedPatientPolicy(str, Enum):
    """A report whose pages or files name different patients: a ``mixed_patient`` warning, or a failed job."""

    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class OutputPolicy:
    """A project's output choices; the defaults keep every fact and flag what is doubtful."""

    ungrounded: UngroundedPolicy = UngroundedPolicy.FLAG
    mixed_patient: MixedPatientPolicy = MixedPatientPolicy.WARN
    fhir_in_webhooks: bool = False
