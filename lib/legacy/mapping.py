"""One old ``parsed_reports`` document to a completed job and its report, or a refusal.

Shapes read
    The old service's document ``{tenant_id, project_id, parsed_data: {...}, ...}``,
    or the same fields with the report data at the top level instead of under
    ``parsed_data``. The data is the old flat form: ``patient_name``,
    ``date_of_birth``, ``sex``, ``mrn`` (or a ``patient`` object of them),
    ``diagnosis``/``diagnoses`` (a text, a list of texts or of objects),
    ``medications`` (sig lines or objects), ``lab_results`` (a list of objects or
    lines, or an object ``{test: value}``), ``findings``, ``impression``,
    ``report_type``, ``report_date``, ``facility``, ``physician``; dates in any
    written form :mod:`lib.extraction.dates` reads. Other fields of the data are
    left out, each with an ``unknown_field`` note.

What an imported report is
    The schema's report, normalised and checked like any parser's output
    (:func:`lib.checks.check_report`: codes, units, computed flags, plausibility),
    with no provenance and the report-level :data:`~lib.legacy.model.IMPORTED`
    warning first: the facts were never checked against a document. Diagnoses
    the old service listed keep their words; those whose words assert a negation,
    a family or past history or a possibility are in ``diagnosis_details`` only,
    as the parsers do, not in ``diagnosis``.

The job
    ``completed``, no files, no attempts (``attempts`` and ``max_attempts`` 0, no
    history), created and completed when the old document was (its ``created_at``,
    ``parsed_at`` or ``timestamp``, else the time in its ObjectId, else ``now``),
    updated ``now``; ``model`` the old document's model name, else ``imported``.

Tenant and project
    From the document; a document without one takes the :class:`Defaults` given,
    and is refused (``missing_tenant``/``missing_project``) when there is none.
    Whether the project exists is the service's to check (it needs the store).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final, TypeVar

from pydantic import ValidationError

from lib.checks import check_report
from lib.domain.errors import NotFound
from lib.domain.jobs import Job, JobStatus
from lib.domain.report_schema import Assertion, ParsedReport, Patient, ReportWarning
from lib.domain.uploads import check_resource_id
from lib.extraction.dates import DateKind, infer_order
from lib.legacy import fields as read
from lib.legacy.model import (
    EMPTY_DOCUMENT,
    FAILED_PARSE,
    IMPORTED,
    IMPORTED_MESSAGE,
    IMPORTED_MODEL,
    INVALID_PROJECT,
    INVALID_REPORT,
    INVALID_TENANT,
    MISSING_PROJECT,
    MISSING_TENANT,
    NO_REPORT_DATA,
    NOT_AN_OBJECT,
    PARSED_DATA_NOT_AN_OBJECT,
    UNKNOWN_FIELD,
    WRONG_TYPE,
    Defaults,
    Imported,
    LegacyDocument,
    Problem,
    Refused,
    imported_ids,
)

__all__ = ["map_legacy_document"]

T = TypeVar("T")

# Fields of the old document around the report: never report data, never noted.
_ENVELOPE: Final = frozenset(
    {
        "tenant_id",
        "project_id",
        "parsed_data",
        "created_at",
        "updated_at",
        "parsed_at",
        "timestamp",
        "model",
        "model_name",
        "success",
        "status",
        "error",
        "message",
        "report_id",
        "file_name",
        "filename",
        "file_size",
        "file_sizes",
        "files_uploaded",
        "total_size_mb",
        "processing_time",
        "processing_time_ms",
        "raw_text",
        "text",
    }
)
_CREATED: Final = ("created_at", "parsed_at", "timestamp", "updated_at")
_MODEL_NAME: Final = re.compile(r"[\w.:/@ -]{1,100}")
_FAILED_STATUS: Final = frozenset({"failed", "error"})

# Aliases of each old field, in the order they are tried.
_PATIENT_NAME: Final = ("patient_name", "patientName")
_BIRTH: Final = ("date_of_birth", "dob", "birth_date", "dateOfBirth")
_SEX: Final = ("sex", "gender")
_MRN: Final = ("mrn", "medical_record_number", "mrn_number")
_DIAGNOSES: Final = ("diagnosis", "diagnoses")
_MEDICATIONS: Final = ("medications", "medication", "meds")
_LABS: Final = ("lab_results", "labs", "lab_values", "laboratory_results")
_FINDINGS: Final = ("findings",)
_IMPRESSION: Final = ("impression", "conclusion")
_REPORT_TYPE: Final = ("report_type",)
_REPORT_DATE: Final = ("report_date", "date_of_report")
_FACILITY: Final = ("facility", "hospital")
_PHYSICIAN: Final = ("physician", "doctor")
_KNOWN: Final = frozenset(
    {"patient"}.union(
        _PATIENT_NAME,
        _BIRTH,
        _SEX,
        _MRN,
        _DIAGNOSES,
        _MEDICATIONS,
        _LABS,
        _FINDINGS,
        _IMPRESSION,
        _REPORT_TYPE,
        _REPORT_DATE,
        _FACILITY,
        _PHYSICIAN,
    )
)


def map_legacy_document(doc: LegacyDocument, *, defaults: Defaults, now: datetime) -> Imported | Refused:
    """The completed job and report of an old document, or why it cannot be imported.

    ``now`` (timezone-aware) is the import's time: the job's ``updated_at``, and
    its creation time when the document does not say when it was made.
    """
    fields = doc.fields
    if not isinstance(fields, Mapping):
        return _refuse("", NOT_AN_OBJECT)
    if not fields:
        return _refuse("", EMPTY_DOCUMENT)
    if fields.get("success") is False:
        return _refuse("/success", FAILED_PARSE)
    if isinstance(fields.get("status"), str) and fields["status"].strip().lower() in _FAILED_STATUS:
        return _refuse("/status", FAILED_PARSE)
    if "parsed_data" in fields:
        data, base = fields["parsed_data"], "/parsed_data"
        if not isinstance(data, Mapping):
            return _refuse(base, PARSED_DATA_NOT_AN_OBJECT)
    else:
        data, base = {key: value for key, value in fields.items() if key not in _ENVELOPE}, ""
    created = _created(fields) or doc.id_time or now
    notes = read.Notes()
    try:
        report = _report(data, base, notes, today=created.date())
    except ValidationError as exc:
        return _refuse(_first_location(base, exc), INVALID_REPORT)
    if report is None:
        return _refuse(base, NO_REPORT_DATA)
    owner = _owner(fields, "tenant_id", defaults.tenant_id, MISSING_TENANT, INVALID_TENANT)
    if isinstance(owner, Refused):
        return owner
    project = _owner(fields, "project_id", defaults.project_id, MISSING_PROJECT, INVALID_PROJECT)
    if isinstance(project, Refused):
        return project
    job_id, report_id = imported_ids(doc.key)
    job = Job(
        id=job_id,
        report_id=report_id,
        tenant_id=owner,
        project_id=project,
        status=JobStatus.COMPLETED,
        files=(),
        attempts=0,
        max_attempts=0,
        created_at=created,
        updated_at=now,
        completed_at=created,
        model=_model(fields),
    )
    return Imported(job, report, tuple(notes.problems))


def _refuse(location: str, code: str) -> Refused:
    return Refused(Problem(location or "/", code))


def _owner(
    fields: Mapping[str, Any], name: str, default: str | None, missing: str, invalid: str
) -> str | Refused:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            return _refuse(f"/{name}", missing)
        value = default
    if not isinstance(value, str):
        return _refuse(f"/{name}", invalid)
    try:
        check_resource_id(value, name)
    except NotFound:
        return _refuse(f"/{name}", invalid)
    return value


def _created(fields: Mapping[str, Any]) -> datetime | None:
    for name in _CREATED:
        value = fields.get(name)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                continue
        if isinstance(value, datetime):
            return value if value.utcoffset() is not None else value.replace(tzinfo=UTC)
    return None


def _model(fields: Mapping[str, Any]) -> str:
    for name in ("model", "model_name"):
        value = fields.get(name)
        if isinstance(value, str) and _MODEL_NAME.fullmatch(value.strip()):
            return value.strip()
    return IMPORTED_MODEL


def _first(data: Mapping[str, Any], names: tuple[str, ...]) -> tuple[Any, str | None]:
    """The value of the first alias present with a value, and its name."""
    for name in names:
        if data.get(name) not in (None, "", [], {}):
            return data[name], name
    return None, None


_PATIENT_FIELDS: Final = frozenset({"name"}.union(_PATIENT_NAME, _BIRTH, _SEX, _MRN))


class _Data:
    """The old report data at ``base``, read field by field into ``notes``."""

    def __init__(self, data: Mapping[str, Any], base: str, notes: read.Notes) -> None:
        self.data, self.base, self.notes = data, base, notes
        patient = data.get("patient")
        self.patient_base = f"{base}/patient"
        self.patient: Mapping[str, Any] = patient if isinstance(patient, Mapping) else {}
        self.patient_text = patient if isinstance(patient, str) else None
        for position, key in enumerate(data):
            if key not in _KNOWN and not (base == "" and key in _ENVELOPE):
                notes.add(read.child(base, str(key), position), UNKNOWN_FIELD)
        if patient is not None and not isinstance(patient, Mapping | str):
            notes.add(self.patient_base, WRONG_TYPE)
        for position, key in enumerate(self.patient):
            if key not in _PATIENT_FIELDS:
                notes.add(read.child(self.patient_base, str(key), position), UNKNOWN_FIELD)

    def patient_field(self, names: tuple[str, ...]) -> tuple[Any, str]:
        """A patient field at the top of the data, else in its ``patient`` object."""
        value, name = _first(self.data, names)
        if name is not None:
            return value, f"{self.base}/{name}"
        value, name = _first(self.patient, names)
        return value, f"{self.patient_base}/{name}"

    def field(self, names: tuple[str, ...]) -> tuple[Any, str]:
        value, name = _first(self.data, names)
        return value, f"{self.base}/{name}"

    def text(self, names: tuple[str, ...]) -> str | None:
        value, where = self.field(names)
        return read.text(value, where, self.notes)

    def every(self, names: tuple[str, ...], reader: Callable[[Any, str, read.Notes], list[T]]) -> list[T]:
        """The items of every alias present, in alias order."""
        found: list[T] = []
        for name in names:
            if self.data.get(name) is not None:
                found += reader(self.data[name], f"{self.base}/{name}", self.notes)
        return found

    def patient_name(self) -> str | None:
        value, where = self.patient_field(_PATIENT_NAME)
        if value is None:
            value, where = self.patient.get("name"), f"{self.patient_base}/name"
        if value is None and self.patient_text is not None:
            value, where = self.patient_text, self.patient_base
        return read.text(value, where, self.notes)

    def dates(self, today: date) -> tuple[str | None, str | None]:
        """The date of birth and the report date; the day/month order the two prove reads both."""
        birth, birth_at = self.patient_field(_BIRTH)
        reported, reported_at = self.field(_REPORT_DATE)
        order = infer_order(value for value in (birth, reported) if isinstance(value, str))
        return (
            read.written_date(
                birth,
                birth_at,
                self.notes,
                new_path="/patient/date_of_birth",
                kind=DateKind.BIRTH,
                order=order,
                today=today,
            ),
            read.written_date(
                reported,
                reported_at,
                self.notes,
                new_path="/report_date",
                kind=DateKind.EVENT,
                order=order,
                today=today,
            ),
        )


def _report(data: Mapping[str, Any], base: str, notes: read.Notes, *, today: date) -> ParsedReport | None:
    """The checked report the data describes, or ``None`` when it holds no fact."""
    old = _Data(data, base, notes)
    name = old.patient_name()
    birth, reported = old.dates(today)
    sex_value, sex_at = old.patient_field(_SEX)
    mrn_value, mrn_at = old.patient_field(_MRN)
    patient = Patient(
        name=name,
        date_of_birth=birth,
        sex=read.sex(sex_value, sex_at, notes),
        mrn=read.text(mrn_value, mrn_at, notes),
    )
    details = old.every(_DIAGNOSES, read.diagnoses)
    report = ParsedReport(
        patient_name=name,
        diagnosis=[item.description for item in details if item.assertion is Assertion.PRESENT],
        patient=patient if patient.model_dump(exclude_none=True) else None,
        report_type=old.text(_REPORT_TYPE),
        report_date=reported,
        facility=old.text(_FACILITY),
        physician=old.text(_PHYSICIAN),
        diagnosis_details=details,
        findings=old.every(_FINDINGS, read.findings),
        impression=old.text(_IMPRESSION),
        medications=old.every(_MEDICATIONS, read.medications),
        lab_results=old.every(_LABS, read.lab_results),
    )
    if not report.model_dump(exclude_none=True, exclude_defaults=True):
        return None
    imported = ReportWarning(code=IMPORTED, path=None, message=IMPORTED_MESSAGE)
    return check_report(report.model_copy(update={"warnings": [imported, *notes.warnings]}))


def _first_location(base: str, exc: ValidationError) -> str:
    """Where the first schema error is, by field names only (never the value)."""
    errors = exc.errors(include_input=False, include_url=False)
    loc = errors[0]["loc"] if errors else ()
    return base + "".join(f"/{part}" for part in loc) if loc else base or "/"
