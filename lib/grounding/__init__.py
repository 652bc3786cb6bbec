"""Grounding: every fact a parser returns is found in its document, with provenance, or flagged.

* :func:`ground` checks a :class:`~lib.domain.report_schema.ParsedReport` against the
  :class:`~lib.documents.Document` it was read from (:mod:`lib.grounding.entry`);
* :func:`check_identity` warns ``mixed_patient`` when one upload names two patients
  (:mod:`lib.grounding.identity`).

The modules: :mod:`~lib.grounding.text` (tokens, numbers, codes, the fuzzy rule),
:mod:`~lib.grounding.index` (the document indexed once), :mod:`~lib.grounding.matching`
(one fact on one page), :mod:`~lib.grounding.pointers` (facts by JSON Pointer).
"""

from lib.grounding.entry import ground
from lib.grounding.identity import Identity, IdentityCheck, check_identity, patient_identities

__all__ = ["Identity", "IdentityCheck", "check_identity", "ground", "patient_identities"]
