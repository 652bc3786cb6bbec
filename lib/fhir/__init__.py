"""FHIR R4 (4.0.1) export of a parsed report: :func:`report_bundle`.

``report_bundle(report, job)`` is pure: a :class:`~lib.domain.report_schema.ParsedReport`
and the :class:`JobFacts` of its job in, a JSON-ready ``dict`` out, built from
plain dicts so the deployed package needs no FHIR library. Field by field, see
:data:`MAPPING_TABLE` (Markdown, for the README); each resource module's docstring
says why it maps as it does.

Bundle type ``collection``
    A ``document`` Bundle is an attested clinical document: it needs a Composition
    with an author who vouches for it, which a parser is not. ``transaction`` would
    tell the receiver's server how to store the resources; that is the receiver's
    call. A collection is "resources gathered for distribution", which is what this is.

Ids
    Deterministic: every fullUrl is ``urn:uuid:`` + UUIDv5 of the report id and the
    fact's JSON Pointer (:mod:`lib.fhir.ids`), so the same report always gives the
    same bundle, and a re-export updates rather than duplicates.

Codes
    Every code emitted comes from :mod:`lib.fhir.codes`, and :func:`check_bundle`
    checks a bundle against the same tables: value sets (which ``fhir.resources``
    does not enforce), UCUM on quantities, and that every reference resolves in the
    bundle. No LOINC, RxNorm or SNOMED coding: none of those tables can ship offline
    under their licences; tests, medications, routes and frequencies are text.

Warnings and facts in doubt
    Warnings are not resources: each becomes a ``parser-warning`` extension on the
    resource its path points into (the DiagnosticReport for report-wide ones). A
    fact in doubt (an ``ungrounded`` or ``uncertain_unit`` one) is exported with its
    warning, not dropped: the FHIR export carries the same facts as ``parsed_data``,
    and dropping is the parser's decision. Findings (free text) are not exported.

Validation
    Tests validate every resource and the bundle with ``fhir.resources`` 8.3
    (a test-only dependency), whose closest model to R4 is ``fhir.resources.R4B``
    (4.3.0): no plain R4 model imports under pydantic 2. R4B's changes are in
    resources we do not use (medication definition, evidence, subscriptions). The
    claim that every element we emit is unchanged was checked, on 2026-12-01, against
    ``fhir.resources`` 6.1.0 (R4 4.0.1, on pydantic 1, in a scratch venv): all 201
    element paths of the test bundles have the same type, cardinality, requiredness
    and short definition (code lists included) in both, except a reworded short
    definition of ``Device.deviceName.name``; the R4 models accepted the test bundles.
"""

from lib.fhir.bundle import report_bundle
from lib.fhir.codes import check_bundle
from lib.fhir.job import JobFacts, JobFile
from lib.fhir.mapping import MAPPING_TABLE

__all__ = ["MAPPING_TABLE", "JobFacts", "JobFile", "check_bundle", "report_bundle"]
