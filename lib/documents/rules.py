"""Ruling lines of a scanned table, found in the page image.

A text-layer page hands the table finder its strokes (:mod:`lib.documents.pdf`); a
scan has only pixels. :func:`find_rules` finds the long, thin horizontal and
vertical runs of ink in a level (straightened) page image: the image is binarised,
each pair of pixel rows (columns) is merged so a one-pixel line blurred over two
rows still reads as one, gaps of a pixel or two (JPEG, noise) are closed, and runs
at least :data:`MIN_HORIZONTAL_POINTS` (:data:`MIN_VERTICAL_POINTS`) long are kept;
touching runs on neighbouring rows become one rule unless together they are thicker
than :data:`MAX_RULE_POINTS` (a filled bar). Only rules that meet :data:`MIN_CROSSINGS` rules across them are kept:
the spaces between words break most runs through text, but a heading in heavy type
can still give one, and it meets no other rule.

Rules come back in pixels of the image; the OCR module maps them onto the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Shorter horizontal runs are text strokes or underlines (a rule across one cell is
# still longer); a vertical rule may be as short as one table row (beside a
# full-width section heading a column rule is broken row by row).
MIN_HORIZONTAL_POINTS = 36.0
MIN_VERTICAL_POINTS = 12.0
# A thicker run is a filled bar or a heading in heavy type, not a rule.
MAX_RULE_POINTS = 3.5
# A rule is kept when it meets this many rules across it (the two sides of a cell).
MIN_CROSSINGS = 2
# Pixels by which a rule's end may stop short of the rule it meets.
_CROSSING_SLACK = 3.0
# Ink is darker than this (the image is median-filtered first: no specks).
_INK_LEVEL = 200
# Gaps up to this many pixels within a rule are closed (JPEG and noise break thin lines).
_MAX_GAP_PIXELS = 2


@dataclass(frozen=True)
class PixelRule:
    """A ruling line in image pixels: ``horizontal`` from ``(start, at)`` to ``(end, at)``, else
    from ``(at, start)`` to ``(at, end)``."""

    horizontal: bool
    at: float
    start: float
    end: float
    thickness: float = 1.0


def find_rules(pixels: npt.NDArray[np.uint8], pixels_per_point: float) -> list[PixelRule]:
    """The horizontal and vertical rules in the greyscale image ``pixels`` (see the module docstring)."""
    ink = pixels < _INK_LEVEL
    max_thickness = max(2.0, MAX_RULE_POINTS * pixels_per_point)
    horizontal = _rules(ink, _pixels(MIN_HORIZONTAL_POINTS, pixels_per_point), max_thickness, horizontal=True)
    vertical = _rules(ink.T, _pixels(MIN_VERTICAL_POINTS, pixels_per_point), max_thickness, horizontal=False)
    # Only rules that meet others make a table, and a run through a word in heavy
    # type (a bold column heading) meets none: erasing it would erase the word.
    for _ in range(2):
        vertical = [v for v in vertical if sum(_crosses(h, v) for h in horizontal) >= MIN_CROSSINGS]
        horizontal = [h for h in horizontal if sum(_crosses(h, v) for v in vertical) >= MIN_CROSSINGS]
    return horizontal + vertical


def erase_rules(pixels: npt.NDArray[np.uint8], rules: list[PixelRule]) -> npt.NDArray[np.uint8]:
    """A copy of ``pixels`` with ``rules`` painted over in white.

    Tesseract reads a rule under or beside a number as part of it: on 150-200 dpi
    scans of ruled lab tables "11.2" came back as "192" and "1.1" as "11" with the
    rules in place.
    """
    out = pixels.copy()
    for rule in rules:
        # The merged rows (see _rules) and the blur both widen a line by about a pixel.
        low = max(0, int(rule.at - rule.thickness / 2 - 1.5))
        high = int(rule.at + rule.thickness / 2 + 2.5)
        start, end = max(0, int(rule.start)), int(rule.end) + 1
        if rule.horizontal:
            out[low:high, start:end] = 255
        else:
            out[start:end, low:high] = 255
    return out


def _crosses(horizontal: PixelRule, vertical: PixelRule) -> bool:
    slack = _CROSSING_SLACK + max(horizontal.thickness, vertical.thickness) / 2
    return (
        horizontal.start - slack <= vertical.at <= horizontal.end + slack
        and vertical.start - slack <= horizontal.at <= vertical.end + slack
    )


def _pixels(points: float, pixels_per_point: float) -> int:
    return max(8, round(points * pixels_per_point))


def _rules(
    ink: npt.NDArray[np.bool_], min_length: int, max_thickness: float, *, horizontal: bool
) -> list[PixelRule]:
    """Rules along the rows of ``ink`` (pass the transposed image for vertical rules)."""
    if ink.shape[0] < 2 or ink.shape[1] < min_length:
        return []
    merged = ink[:-1] | ink[1:]
    closed = merged.copy()
    for gap in range(1, _MAX_GAP_PIXELS + 1):
        # A pixel between ink on both sides (within ``gap``) is ink.
        closed[:, gap:-gap] |= merged[:, : -2 * gap] & merged[:, 2 * gap :]
    edges = np.diff(np.pad(closed.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    long = (ends - starts) >= min_length
    runs = sorted(zip(rows[long].tolist(), starts[long].tolist(), ends[long].tolist(), strict=True))
    # Group runs on consecutive rows that overlap along the line: one rule, several pixels thick.
    groups: list[list[tuple[int, int, int]]] = []
    open_groups: list[list[tuple[int, int, int]]] = []
    for row, start, end in runs:
        still_open = [group for group in open_groups if group[-1][0] >= row - 1]
        for group in still_open:
            _, last_start, last_end = group[-1]
            if group[-1][0] == row - 1 and min(end, last_end) - max(start, last_start) > 0.5 * min_length:
                group.append((row, start, end))
                break
        else:
            group = [(row, start, end)]
            groups.append(group)
            still_open.append(group)
        open_groups = still_open
    rules: list[PixelRule] = []
    for group in groups:
        # Merged rows make every line one pixel thicker than it is.
        thickness = group[-1][0] - group[0][0]
        if thickness > max_thickness:
            continue
        at = (group[0][0] + group[-1][0] + 1) / 2
        start = min(start for _, start, _ in group)
        end = max(end for _, _, end in group)
        rules.append(PixelRule(horizontal, at, float(start), float(end), float(thickness + 1)))
    return rules
