"""The field-by-field mapping, as Markdown for the README (:data:`MAPPING_TABLE`)."""

from __future__ import annotations

__all__ = ["MAPPING_TABLE"]

MAPPING_TABLE = """\
| our field (`parsed_data` / job) | FHIR R4 element | note |
|---|---|---|
| job `job_id` | `Bundle.identifier` (system `urn:medical-report-parser:job`) | Bundle `type` = `collection` |
| job `completed_at` | `Bundle.timestamp`, `Provenance.recorded` | UTC instant, ms |
| job `tenant_id`, `project_id` | `Bundle.meta.source` (`urn:medical-report-parser:tenant:<t>:project:<p>`) | |
| `patient.name` (else `patient_name`) | `Patient.name.text` | `family`/`given` only from "Family, Given" |
| `patient.date_of_birth` | `Patient.birthDate` | only a valid ISO date; else omitted |
| `patient.sex` | `Patient.gender` | same codes |
| `patient.mrn` | `Patient.identifier` (type v2-0203 `MR`, system `urn:medical-report-parser:tenant:<t>:mrn`) | per-tenant system |
| `report_id` | `DiagnosticReport.identifier` (system `urn:medical-report-parser:report`) | |
| `report_type` | `DiagnosticReport.code.text` | "Medical report" when absent |
| `report_date` | `DiagnosticReport.effectiveDateTime`, `Observation.effectiveDateTime`, `Condition.recordedDate`, `FamilyMemberHistory.date`, `MedicationStatement.dateAsserted` | only a valid ISO date |
| `facility`, `physician` | `DiagnosticReport.performer.display` | display-only references |
| `impression` | `DiagnosticReport.conclusion` | |
| `lab_results[i]` | `Observation` (status `final`, category `laboratory`), in `DiagnosticReport.result` | |
| `lab_results[i].test` | `Observation.code.text` | no LOINC (licence; no table offline) |
| `.value_number`, `.comparator` | `Observation.valueQuantity.value`, `.comparator` | |
| `.unit` / `.unit_ucum` | `valueQuantity.unit` / `.system` `http://unitsofmeasure.org` + `.code` | UCUM only when known |
| `.value` (no `value_number`) | `Observation.valueString` | no value at all: `dataAbsentReason` `unknown` |
| `.reference_range` | `Observation.referenceRange.text`; `.low`/`.high` | bounds only when inclusive numbers |
| `.flag` | `Observation.interpretation` (v3-ObservationInterpretation N, L, H, A; critical: HH/LL by side, else AA) | |
| `.flag_computed` | extension `…/interpretation-computed` on the interpretation + `Observation.note` | |
| `diagnosis_details[i]` (else `diagnosis[i]`) | `Condition` (category `encounter-diagnosis`) | |
| `.description` | `Condition.code.text` | |
| `.code`, `.code_description` | `Condition.code.coding` (system `http://hl7.org/fhir/sid/icd-10-cm`, dotted code, display) | only when validated (`code_description` set) |
| `.assertion` present / possible / historical / negated | `verificationStatus` confirmed / unconfirmed / confirmed / refuted; `clinicalStatus` active / active / inactive / none | |
| `.assertion` family | `FamilyMemberHistory` (status `partial`, relationship v3-RoleCode `FAMMEMB`, `condition.code`) | never the patient's Condition |
| `medications[i]` | `MedicationStatement` (status `unknown`) | |
| `.name` | `medicationCodeableConcept.text` | no RxNorm (licence) |
| `.sig` (else `.dose`) | `dosage.text` | |
| `.route` / `.frequency` | `dosage.route.text` / `dosage.timing.code.text` | |
| job `files[n]` | `DocumentReference` (status `current`, `subject`, `date` = job `created_at`) | never the bytes |
| `files[n].sha256` | `DocumentReference.masterIdentifier` = `ni:///sha-256;…` (RFC 6920, system `urn:ietf:rfc:3986`) | not `Attachment.hash` (SHA-1) |
| `files[n].size_bytes`, content type | `content.attachment.size`, `.contentType` | |
| job id + file number | `DocumentReference.identifier` (system `urn:medical-report-parser:job-file`, `<job_id>/<n>`) | |
| job `model` | `Device` (`deviceName.type` `model-name`), `Provenance.agent` type `performer` | |
| our service | `Device` (`user-friendly-name` `medical-report-parser`), `Provenance.agent` type `assembler` | |
| `provenance[pointer]` | `Provenance` (`target` → the resource, `entity.role` `source` → the file's DocumentReference) | one per fact |
| `provenance[pointer].page`, `.quote`, `.bbox` | extension `…/source-location` on `Provenance.entity` (`pointer`, `page`, `filePage`, `quote`, `bbox`) | |
| `warnings[k]` | extension `…/parser-warning` (`code`, `path`, `message`) on the resource of its path; the DiagnosticReport otherwise | |
| `findings` | not exported | free text, no code: stays in `parsed_data` |

`…` is `https://medical-report-parser.example/fhir/StructureDefinition`.
"""
