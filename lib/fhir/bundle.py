""":func:`report_bundle`: a parsed report and its job as one FHIR R4 ``collection`` Bundle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib.domain.report_schema import ParsedReport
from lib.fhir.conditions import condition_entries, diagnosis_aliases
from lib.fhir.datatypes import fhir_date, instant
from lib.fhir.documents import document_entries
from lib.fhir.extensions import JOB_SYSTEM, project_source, warning_extension
from lib.fhir.ids import Entry, Ids
from lib.fhir.job import JobFacts
from lib.fhir.labs import lab_entries
from lib.fhir.medications import medication_entries
from lib.fhir.patient import PATIENT_KEY, patient_entry
from lib.fhir.provenance import device_entries, provenance_entries
from lib.fhir.report import REPORT_KEY, REPORT_POINTERS, report_entry

__all__ = ["report_bundle"]


def report_bundle(report: ParsedReport, job: JobFacts) -> dict[str, Any]:
    """The FHIR R4 (4.0.1) Bundle of ``report``: JSON-ready, the same for the same input.

    Entries, in order: Patient, DiagnosticReport, Observations, Conditions and
    FamilyMemberHistories, MedicationStatements, DocumentReferences, the two
    Devices, Provenances. Warnings are extensions on the resource they concern.
    """
    ids = Ids(job.report_id)
    effective = fhir_date(report.report_date)
    patient = patient_entry(report, ids, job.tenant_id)
    labs = lab_entries(report.lab_results, ids, patient.full_url, effective)
    facts: list[Entry] = [
        patient,
        report_entry(report, ids, patient.full_url, effective, [entry.full_url for entry in labs]),
        *labs,
        *condition_entries(report, ids, patient.full_url, effective),
        *medication_entries(report.medications, ids, patient.full_url, effective),
    ]
    targets = _Targets(
        {entry.key: entry for entry in facts},
        {
            "/patient_name": PATIENT_KEY,
            **dict.fromkeys(REPORT_POINTERS, REPORT_KEY),
            **diagnosis_aliases(report),
        },
    )
    for warning in report.warnings:
        key = targets.key_of(warning.path) if warning.path is not None else None
        resource = targets.by_key[REPORT_KEY if key is None else key].resource
        resource.setdefault("extension", []).append(warning_extension(warning))

    devices = device_entries(job.model)
    entries = [
        *facts,
        *document_entries(job, ids, patient.full_url),
        *devices,
        *provenance_entries(
            report.provenance, targets.url_of, job, ids, (devices[0].full_url, devices[1].full_url)
        ),
    ]
    return {
        "resourceType": "Bundle",
        "id": ids.url("#bundle").removeprefix("urn:uuid:"),
        "meta": {"source": project_source(job.tenant_id, job.project_id)},
        "identifier": {"system": JOB_SYSTEM, "value": job.job_id},
        "type": "collection",
        "timestamp": instant(job.completed_at),
        "entry": [{"fullUrl": entry.full_url, "resource": entry.resource} for entry in entries],
    }


@dataclass(frozen=True)
class _Targets:
    """Which resource a fact went into, from its JSON Pointer: ``by_key`` entries, and aliases."""

    by_key: dict[str, Entry]
    aliases: dict[str, str]

    def key_of(self, pointer: str) -> str | None:
        """The key of the resource with the fact at ``pointer``: its own, or its nearest parent's."""
        if pointer in self.aliases:
            return self.aliases[pointer]
        candidate = pointer
        # Stop before "": the report root is a target only for its own named facts (the aliases).
        while candidate:
            if candidate in self.by_key:
                return candidate
            candidate = candidate.rpartition("/")[0]
        return None

    def url_of(self, pointer: str) -> str | None:
        """The fullUrl of that resource; ``None`` for a fact no resource holds."""
        key = self.key_of(pointer)
        return None if key is None else self.by_key[key].full_url
