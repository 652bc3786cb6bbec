"""The checking layer: normalise a parsed report and flag what cannot be right.

:func:`check_report` is the one entry point; :data:`WARNING_CODES` is the public
table of warning codes it emits. ICD-10-CM codes are validated against the CDC's
April 2026 release (``simple-icd-10-cm`` 1.5.0, :data:`ICD10_CM_RELEASE`), loaded
lazily on first use. The rules are documented in each module: :mod:`.diagnoses`
and :mod:`.icd10`, :mod:`.labs`, :mod:`.units`, :mod:`.lab_knowledge`,
:mod:`.plausibility`, :mod:`.patient_dates`, :mod:`.medications`.
"""

from lib.checks.icd10 import ICD10_CM_RELEASE
from lib.checks.report import check_report
from lib.checks.warning_codes import WARNING_CODES

__all__ = ["ICD10_CM_RELEASE", "WARNING_CODES", "check_report"]
