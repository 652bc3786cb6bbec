"""Our own canonical URLs: extensions and identifier systems, each documented here.

``BASE`` is a placeholder domain (``.example`` is reserved, RFC 2606); a deployment
that publishes StructureDefinitions changes it in one place (and with it every id,
see :mod:`lib.fhir.ids`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from lib.domain.report_schema import Provenance, ReportWarning

__all__ = [
    "BASE",
    "FLAG_COMPUTED",
    "JOB_FILE_SYSTEM",
    "JOB_SYSTEM",
    "PARSER_WARNING",
    "REPORT_SYSTEM",
    "SOURCE_LOCATION",
    "mrn_system",
    "project_source",
    "source_location",
    "warning_extension",
]

BASE = "https://medical-report-parser.example/fhir"

SOURCE_LOCATION = f"{BASE}/StructureDefinition/source-location"
"""On ``Provenance.entity``: where in the source file the fact was read. Sub-extensions:
``pointer`` (valueString, the fact's JSON Pointer in ``parsed_data``), ``page``
(valuePositiveInt, 1-based across all files of the report, as in ``parsed_data``),
``filePage`` (valuePositiveInt, within the referenced file; only when known),
``quote`` (valueString, the exact text), ``bbox`` (only when known: sub-extensions
``x0``, ``y0``, ``x1``, ``y1``, valueDecimal, PDF points, origin top left)."""

PARSER_WARNING = f"{BASE}/StructureDefinition/parser-warning"
"""On the resource a warning is about (the DiagnosticReport for report-wide ones):
sub-extensions ``code`` (valueCode), ``path`` (valueString, JSON Pointer, when
given) and ``message`` (valueString; never quotes the report)."""

FLAG_COMPUTED = f"{BASE}/StructureDefinition/interpretation-computed"
"""On ``Observation.interpretation``: valueBoolean ``true`` when the report printed no
flag and the parser computed it from the value and the printed reference range."""

REPORT_SYSTEM = "urn:medical-report-parser:report"
"""Identifier system of our ``report_id`` (on the DiagnosticReport)."""

JOB_SYSTEM = "urn:medical-report-parser:job"
"""Identifier system of our ``job_id`` (on the Bundle)."""

JOB_FILE_SYSTEM = "urn:medical-report-parser:job-file"
"""Identifier system of an uploaded file: value ``<job_id>/<file number>``."""


def mrn_system(tenant_id: str) -> str:
    """The MRN identifier system for a tenant: ``urn:medical-report-parser:tenant:<id>:mrn``.

    MRNs are unique only within the hospital that assigns them, and we do not know
    its system URI, so each tenant gets its own; a receiver maps it to the real one.
    """
    return f"urn:medical-report-parser:tenant:{quote(tenant_id, safe='')}:mrn"


def project_source(tenant_id: str, project_id: str) -> str:
    """``Bundle.meta.source``: ``urn:medical-report-parser:tenant:<id>:project:<id>``."""
    return (
        f"urn:medical-report-parser:tenant:{quote(tenant_id, safe='')}:project:{quote(project_id, safe='')}"
    )


def source_location(pointer: str, where: Provenance, file_page: int | None) -> dict[str, Any]:
    """The :data:`SOURCE_LOCATION` extension for one fact."""
    parts: list[dict[str, Any]] = [
        {"url": "pointer", "valueString": pointer},
        {"url": "page", "valuePositiveInt": where.page},
    ]
    if file_page is not None:
        parts.append({"url": "filePage", "valuePositiveInt": file_page})
    parts.append({"url": "quote", "valueString": where.quote})
    if where.bbox is not None:
        corners = zip(("x0", "y0", "x1", "y1"), where.bbox, strict=True)
        parts.append(
            {"url": "bbox", "extension": [{"url": name, "valueDecimal": value} for name, value in corners]}
        )
    return {"url": SOURCE_LOCATION, "extension": parts}


def warning_extension(warning: ReportWarning) -> dict[str, Any]:
    """The :data:`PARSER_WARNING` extension for one warning."""
    parts: list[dict[str, Any]] = [{"url": "code", "valueCode": warning.code}]
    if warning.path is not None:
        parts.append({"url": "path", "valueString": warning.path})
    parts.append({"url": "message", "valueString": warning.message})
    return {"url": PARSER_WARNING, "extension": parts}
