"""The one lock every PDFium call in a process holds.

PDFium is not thread-safe, not even across separate documents (pypdfium2's docs),
and both the upload path (page counts) and the document engine (rendering for OCR)
call it. This module imports nothing, so the upload path can take the lock without
loading the document engine.
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.Lock()
