"""Document text never reaches a log line, whoever writes it.

PDF and OCR libraries quote what they read: pypdf warned "Ignoring page tree entry
that is not a dictionary: <the entry>" (it is no longer on the parse path), and
pdfminer names broken objects and fonts by their content. Whatever they say is about
a document, so it is dropped at the source: each library's logger gets a level above CRITICAL, a handler that discards,
and no propagation (without a handler of its own, :data:`logging.lastResort` would
still print its warnings). Two clients of ours quote documents below WARNING only:
pymongo's command log (DEBUG) shows the parsed reports it writes and reads, and
google-genai's DEBUG lines show the model's answers; they keep their warnings.
Our own modules log ids and counts only.

:func:`silence_document_loggers` runs where the app is composed (``lib.bootstrap``),
in the local host, and first thing in every parse process. A library added to the
parse path joins :data:`DOCUMENT_LOGGERS`; the log-capture test in
``tests/reliability/test_hostile_cost.py`` feeds PDFs built to make libraries
quote content and fails on any line that shows it.
"""

from __future__ import annotations

import logging

# Top-level logger names of every library that reads document content.
DOCUMENT_LOGGERS = (
    "pdfminer",
    "pdfplumber",
    "pypdfium2",
    "PIL",
    "tesserocr",
)


# Loggers that quote document content only below a level: nothing under it is kept.
QUOTING_BELOW = {"pymongo.command": logging.CRITICAL + 1, "google_genai": logging.WARNING}


def silence_document_loggers() -> None:
    """Drop the document libraries' records, and the quoting clients' records below their level."""
    for name in DOCUMENT_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
        logger.handlers = [logging.NullHandler()]
    for name, level in QUOTING_BELOW.items():
        logging.getLogger(name).setLevel(level)
