"""The values of a legacy import: an old document as read, and what became of it.

Ids of imported jobs and reports follow from the old document's ``_id`` (so a
second run finds them) and begin with ``legacy-``, which no new id can: job ids
are ObjectIds and report ids random hex, 24 hexadecimal digits each.

Every :class:`Problem` names a place in the old document and a reason from
:data:`REASONS`, never a value: patient data stays out of logs and reports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from lib.domain.jobs import Job
from lib.domain.report_schema import ParsedReport

#: The warning code on every imported report (path ``None``: the report as a whole).
IMPORTED: Final = "imported"
IMPORTED_MESSAGE: Final = (
    "imported from the previous (synchronous) service: its facts were not checked against the "
    "document, which this service never had, so none has provenance; codes, units and plausibility "
    "were checked"
)

#: The model recorded on an imported job when the old document names none.
IMPORTED_MODEL: Final = "imported"

ID_PREFIX: Final = "legacy-"

# Refusals: the document is not imported.
NOT_AN_OBJECT: Final = "not_an_object"
EMPTY_DOCUMENT: Final = "empty_document"
PARSED_DATA_NOT_AN_OBJECT: Final = "parsed_data_not_an_object"
NO_REPORT_DATA: Final = "no_report_data"
FAILED_PARSE: Final = "failed_parse"
MISSING_TENANT: Final = "missing_tenant"
MISSING_PROJECT: Final = "missing_project"
INVALID_TENANT: Final = "invalid_tenant_id"
INVALID_PROJECT: Final = "invalid_project_id"
UNKNOWN_PROJECT: Final = "unknown_project"
INVALID_REPORT: Final = "invalid_report"
# Notes: the document is imported, without this part (or with it kept as written).
UNKNOWN_FIELD: Final = "unknown_field"
WRONG_TYPE: Final = "wrong_type"
DATE_NOT_RECOGNISED: Final = "date_not_recognised"
SEX_NOT_RECOGNISED: Final = "sex_not_recognised"
FLAG_NOT_RECOGNISED: Final = "flag_not_recognised"
NOT_A_DIAGNOSIS: Final = "not_a_diagnosis"
NOT_A_MEDICATION: Final = "not_a_medication"
NOT_A_LAB_RESULT: Final = "not_a_lab_result"

#: Every reason, refusal or note, and what it means. Messages never carry a value.
REASONS: Final[dict[str, str]] = {
    NOT_AN_OBJECT: "the document is not an object",
    EMPTY_DOCUMENT: "the document has no fields besides its _id",
    PARSED_DATA_NOT_AN_OBJECT: "parsed_data is not an object",
    NO_REPORT_DATA: "no report field with a usable value",
    FAILED_PARSE: "the old service recorded this parse as failed",
    MISSING_TENANT: "no tenant_id, and no --tenant default given",
    MISSING_PROJECT: "no project_id, and no --project default given",
    INVALID_TENANT: "tenant_id is not a valid tenant id",
    INVALID_PROJECT: "project_id is not a valid project id",
    UNKNOWN_PROJECT: "the tenant has no such project registered (create it, then run again)",
    INVALID_REPORT: "the mapped report does not validate against the schema",
    UNKNOWN_FIELD: "not a field the import knows; not imported",
    WRONG_TYPE: "a value of an unexpected type; not imported",
    DATE_NOT_RECOGNISED: "not read as a date; kept as written",
    SEX_NOT_RECOGNISED: "not read as a sex; not imported",
    FLAG_NOT_RECOGNISED: "not read as a lab flag; the result is imported without it",
    NOT_A_DIAGNOSIS: "not read as a diagnosis (empty, 'none', or no words); not imported",
    NOT_A_MEDICATION: "not read as a medication (no name); not imported",
    NOT_A_LAB_RESULT: "not read as a lab result (no test name); not imported",
}


@dataclass(frozen=True)
class LegacyDocument:
    """One document of the old service, as the adapter read it.

    ``key`` is a canonical form of its ``_id`` (type and value) from which the new
    ids follow; ``display_id`` names it in reports; ``source_id`` is the ``_id``
    itself, opaque here. ``fields`` is the document without ``_id`` (normally a
    mapping; anything else is refused). ``id_time`` is when the ``_id`` says the
    document was made (an ObjectId does), if it says.
    """

    key: str
    display_id: str
    fields: Any
    source_id: Any = None
    id_time: datetime | None = None


@dataclass(frozen=True)
class Defaults:
    """The tenant and project given to documents that name none (``--tenant``/``--project``)."""

    tenant_id: str | None = None
    project_id: str | None = None


@dataclass(frozen=True)
class Problem:
    """Something about one old document: where (a JSON Pointer into it) and a reason code.

    A key that is itself data (a test name used as a key) is never shown: such
    places are written by position, ``/parsed_data/lab_results/#2`` (0-based).
    """

    location: str
    code: str

    @property
    def message(self) -> str:
        """What the code means."""
        return REASONS[self.code]


@dataclass(frozen=True)
class Imported:
    """A document that maps: the completed job, its report, and what was left out or kept as written."""

    job: Job
    report: ParsedReport
    notes: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Refused:
    """A document that does not map, and why."""

    reason: Problem


def imported_ids(key: str) -> tuple[str, str]:
    """``(job_id, report_id)`` of the document whose canonical ``_id`` is ``key``: stable, unrelated."""

    def digest(kind: str) -> str:
        return ID_PREFIX + hashlib.sha256(f"{kind}\0{key}".encode()).hexdigest()[:32]

    return digest("job"), digest("report")
