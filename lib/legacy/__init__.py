"""Reports of the old synchronous service, mapped to the new schema: pure, no I/O.

The old service wrote one document per parse into ``parsed_reports`` with a flat
``parsed_data`` (or the data at the top level). :func:`map_legacy_document` turns
one such document into a completed :class:`~lib.domain.jobs.Job` and its
:class:`~lib.domain.report_schema.ParsedReport`, or refuses it with a reason; see
:mod:`lib.legacy.mapping`. Reading the old documents and writing the new ones is
:mod:`lib.adapters.legacy_reports`; the use case is :mod:`lib.services.import_legacy`.
"""

from lib.legacy.mapping import map_legacy_document
from lib.legacy.model import (
    IMPORTED,
    Defaults,
    Imported,
    LegacyDocument,
    Problem,
    Refused,
    imported_ids,
)

__all__ = [
    "IMPORTED",
    "Defaults",
    "Imported",
    "LegacyDocument",
    "Problem",
    "Refused",
    "imported_ids",
    "map_legacy_document",
]
