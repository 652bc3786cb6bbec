"""The document layer: report PDFs as pages, words, lines, blocks, tables and pairs.

``read_document(files, limits)`` reads every file of one report (see
:mod:`lib.documents.reader`); the model it returns is in :mod:`lib.documents.model`.
"""

from lib.documents.limits import ReadLimits
from lib.documents.model import (
    BBox,
    Block,
    Cell,
    Document,
    DocumentWarning,
    KeyValue,
    Line,
    Page,
    Rule,
    Table,
    TextSource,
    Word,
)
from lib.documents.reader import OcrEngine, OcrResult, read_document

__all__ = [
    "BBox",
    "Block",
    "Cell",
    "Document",
    "DocumentWarning",
    "KeyValue",
    "Line",
    "OcrEngine",
    "OcrResult",
    "Page",
    "ReadLimits",
    "Rule",
    "Table",
    "TextSource",
    "Word",
    "read_document",
]
