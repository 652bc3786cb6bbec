"""Document text never reaches a log line, whoever writes it.

PDF, OCR and NLP libraries quote what they read: pypdf warns "Ignoring page tree
entry that is not a dictionary: <the entry>", pdfminer names broken objects and
fonts by their content, and medspaCy's sentence splitter logs every token at DEBUG
through loguru. Whatever they say is about a document, so it is dropped at the
source: each library's logger gets a level above CRITICAL, a handler that discards,
and no propagation (without a handler of its own, :data:`logging.lastResort` would
still print its warnings). Two clients of ours quote documents below WARNING only:
pymongo's command log (DEBUG) shows the parsed reports it writes and reads, and
google-genai's DEBUG lines show the model's answers; they keep their warnings.
Our own modules log ids and counts only.

:func:`silence_document_loggers` runs where the app is composed (``lib.bootstrap``),
in the local host, and first thing in every parse child. A library added to the
parse path joins :data:`DOCUMENT_LOGGERS`; the log-capture test in
``tests/reliability/test_hostile_input.py`` feeds PDFs built to make libraries
quote content and fails on any line that shows it.
"""

from __future__ import annotations

import logging

# Top-level logger names of every library that reads document content.
DOCUMENT_LOGGERS = (
    "pypdf",
    "pdfminer",
    "pdfplumber",
    "pypdfium2",
    "PIL",
    "tesserocr",
    "spacy",
    "medspacy",
    "PyRuSH",
    "fhir",
    "simple_icd_10_cm",
)


# Loggers that quote document content only below a level: nothing under it is kept.
QUOTING_BELOW = {"pymongo.command": logging.CRITICAL + 1, "google_genai": logging.WARNING}


def silence_document_loggers() -> None:
    """Drop every record of the document libraries' loggers, and loguru's default output."""
    for name in DOCUMENT_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
        logger.handlers = [logging.NullHandler()]
    for name, level in QUOTING_BELOW.items():
        logging.getLogger(name).setLevel(level)
    _silence_loguru()


def _silence_loguru() -> None:
    # medspaCy's PyRuSH sentence splitter logs each token through loguru, whose default
    # handler writes to stderr; nothing of ours uses loguru.
    try:
        from loguru import logger
    except ImportError:
        return
    logger.remove()
