"""OCR's second looks: font sizes from ink heights, doubtful words read again, ink no word covers.

The passes are tried on arrays and a stand-in engine, so each case says exactly what
tesseract answered; the scans themselves are read in ``test_ocr.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from lib.documents.ocr import (
    DOUBTFUL_NUMBER_CONFIDENCE,
    _apostrophes_put_back,
    _arrow,
    _arrows_read_as_letters,
    _em_estimate,
    _font_sizes,
    _hooks_put_back,
    _marks_between_letters,
    _on_white,
    _own_boxes,
    _RawWord,
    _read_missed_ink,
    _reread,
    _reread_doubtful,
    _runs,
)


class _Engine:
    """Answers every read with ``answer`` (boxes in the enlarged crop's pixels) and counts the reads."""

    def __init__(self, answer: list[_RawWord]) -> None:
        self.answer = answer
        self.reads: list[tuple[int, int]] = []

    def read(
        self, image: Image.Image, dpi: int, *, timeout_ms: int, one_line: bool = False
    ) -> list[_RawWord]:
        assert one_line
        self.reads.append(image.size)
        return self.answer


@pytest.mark.parametrize(
    ("text", "height"),
    [("once", 5.3), ("DOSE", 7.3), ("daily", 9.4), ("ring", 7.4), ("4.9", 7.3)],
)
def test_a_words_font_size_follows_from_its_ink_height_and_letters(text: str, height: float) -> None:
    assert _em_estimate(text, height) == pytest.approx(10.0, abs=0.1)


def test_punctuation_has_no_font_size_of_its_own() -> None:
    assert _em_estimate("--", 1.0) is None


def test_every_word_of_a_line_gets_the_lines_median_size() -> None:
    words = [
        _RawWord("once", 0.9, (0, 0, 40, 11), line=0),  # 150 dpi pixels: 5.3 pt of x-height
        _RawWord("daily", 0.9, (45, 0, 90, 20), line=0),
        _RawWord("DOSE", 0.9, (100, 0, 140, 15), line=0),
        _RawWord("TITLE", 0.9, (0, 40, 80, 30 + 40), line=1),
    ]

    sizes = _font_sizes(words, scale=150 / 72)

    assert sizes[0] == sizes[1] == sizes[2] == pytest.approx(10.0, abs=0.5)
    assert sizes[3] == pytest.approx(19.7, abs=0.5)


def test_runs_close_small_gaps() -> None:
    mask = np.array([0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1], dtype=bool)

    assert _runs(mask, min_length=1) == [(1, 3), (4, 5), (8, 11)]
    assert _runs(mask, min_length=1, bridge=1) == [(1, 5), (8, 11)]
    assert _runs(mask, min_length=3) == [(8, 11)]


def test_a_doubtful_word_read_again_is_replaced_only_when_tesseract_is_surer() -> None:
    pixels = np.full((60, 200), 255, dtype=np.uint8)
    pixels[20:32, 50:90] = 0
    doubtful = _RawWord("oo8", 0.35, (50, 20, 90, 32), line=3)

    surer = _Engine([_RawWord("DOB", 0.93, (30, 20, 150, 100))])
    (reread,) = _reread(surer, pixels, doubtful, 150)  # type: ignore[arg-type]
    assert (reread.text, reread.confidence, reread.line) == ("DOB", 0.93, 3)
    assert reread.box[0] >= 50 and reread.box[2] <= 90  # mapped back onto the page image

    unsure = _Engine([_RawWord("o08", 0.30, (30, 20, 150, 100))])
    assert _reread(unsure, pixels, doubtful, 150) == [doubtful]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "again", "kept"),
    [
        ("1518", _RawWord("1.18", 0.84, (30, 20, 150, 100)), DOUBTFUL_NUMBER_CONFIDENCE),  # a digit changed
        ("77%", _RawWord("7.7%", 0.85, (30, 20, 150, 100)), 0.85),  # only a point found again
        ("1518", _RawWord("1.18", 0.95, (30, 20, 150, 100)), 0.95),  # sure of the second reading
    ],
)
def test_a_number_whose_second_reading_changes_a_digit_is_doubtful(
    first: str, again: _RawWord, kept: float
) -> None:
    pixels = np.full((60, 200), 255, dtype=np.uint8)
    pixels[20:32, 50:90] = 0
    doubtful = _RawWord(first, 0.56, (50, 20, 90, 32))

    (reread,) = _reread_doubtful(_Engine([again]), pixels, [doubtful], 150, time.monotonic() + 30)  # type: ignore[arg-type]

    assert (reread.text, reread.confidence) == (again.text, kept)


def _line_of_words(height: int, width: int) -> tuple[np.ndarray, list[_RawWord]]:
    """A white page ``height`` x ``width`` with a line of ten read words at its top, as ink."""
    pixels = np.full((height, width), 255, dtype=np.uint8)
    words = [_RawWord(f"w{index}", 0.95, (10 + 30 * index, 20, 35 + 30 * index, 34)) for index in range(10)]
    for raw in words:
        left, top, right, bottom = raw.box
        pixels[top:bottom, left:right] = 0
    return pixels, words


def test_ink_no_word_covers_is_read_and_kept_when_confident() -> None:
    pixels, words = _line_of_words(200, 400)
    pixels[100:114, 200:260] = 0  # a word tesseract's layout analysis passed over

    engine = _Engine([_RawWord("S26-29431", 0.9, (12, 12, 200, 60))])
    found = _read_missed_ink(engine, pixels, words, 150, time.monotonic() + 30)  # type: ignore[arg-type]

    assert len(engine.reads) == 1
    assert [(word.text, word.box[1] >= 95, word.box[3] <= 120) for word in found] == [
        ("S26-29431", True, True)
    ]

    doubtful = _Engine([_RawWord("~~", 0.4, (12, 12, 200, 60))])
    assert _read_missed_ink(doubtful, pixels, words, 150, time.monotonic() + 30) == []  # type: ignore[arg-type]


def test_a_small_label_under_the_box_of_a_big_word_below_it_is_read_as_missed_ink() -> None:
    pixels, words = _line_of_words(200, 400)
    pixels[100:110, 200:250] = 120  # a small grey label...
    pixels[120:140, 200:330] = 0  # ...over a big word, whose box tesseract drew from the label's middle
    name = _RawWord("Okonkwo-Vale,", 0.92, (200, 105, 330, 146))

    engine = _Engine([_RawWord("Member", 0.95, (12, 12, 200, 60))])
    found = _read_missed_ink(engine, pixels, [*words, name], 150, time.monotonic() + 30)  # type: ignore[arg-type]

    assert [(word.text, word.box[1] >= 95, word.box[3] <= 115) for word in found] == [("Member", True, True)]


def test_a_big_number_inside_a_bordered_card_is_read_with_its_inks_box() -> None:
    # Result cards: a value printed three lines high, framed by the card's border; the
    # border's sides join every row of the card into one strip far taller than a line.
    pixels, words = _line_of_words(300, 500)
    pixels[80:280, 100:102] = 0  # the card's left and right sides
    pixels[80:280, 400:402] = 0
    pixels[150:190, 150:230] = 0  # "74", about three word heights tall

    engine = _Engine([_RawWord("74", 0.93, (12, 0, 160, 100))])
    found = _read_missed_ink(engine, pixels, words, 150, time.monotonic() + 30)  # type: ignore[arg-type]

    assert len(engine.reads) == 1
    assert [(word.text, word.box[1], word.box[3]) for word in found] == [("74", 150, 190)]


def test_a_caption_inside_a_big_numbers_box_is_read_as_missed_ink() -> None:
    # Tesseract's box for a card's "23" took in the small caption "AST" above it.
    pixels, words = _line_of_words(300, 500)
    pixels[102:112, 100:130] = 0  # the caption
    pixels[120:160, 100:180] = 0  # the number, under a blank gap
    number = _RawWord("23", 0.92, (100, 100, 180, 160))

    engine = _Engine([_RawWord("AST", 0.9, (12, 12, 100, 40))])
    found = _read_missed_ink(engine, pixels, [*words, number], 150, time.monotonic() + 30)  # type: ignore[arg-type]

    assert [(word.text, word.box[1], word.box[3]) for word in found] == [("AST", 102, 112)]


def _glyph(name: str) -> np.ndarray:
    """A stroke 3 px wide and 18 high drawn as ink (True), with the parts that make ``name``."""
    ink = np.zeros((18, 13), dtype=bool)
    ink[:, 5:8] = True
    if name in ("up", "down"):
        for row in range(5):  # a head widening from the tip, on both sides of the stem
            ink[row, 5 - row - 1 : 8 + row + 1] = True
        ink[0, :] = False
        ink[0, 5:8] = True
        return ink if name == "up" else ink[::-1]
    if name == "T":
        ink[0:3, :] = True
    elif name == "t":
        ink[:3, :] = False
        ink[5:7, 2:11] = True
        ink[16:18, 5:11] = True
    elif name == "1":
        ink[1, 3:5] = ink[2, 2:4] = True
        ink[16:18, 2:11] = True
    return ink


@pytest.mark.parametrize(
    ("name", "arrow"), [("up", "↑"), ("down", "↓"), ("T", None), ("t", None), ("1", None), ("l", None)]
)
def test_an_arrow_is_told_from_letters_by_its_shape(name: str, arrow: str | None) -> None:
    found = _arrow(_glyph(name), usual=20.0)

    assert (found[0] if found else None) == arrow


def _page_with(glyphs: dict[int, str]) -> np.ndarray:
    pixels = np.full((60, 400), 255, dtype=np.uint8)
    for left, name in glyphs.items():
        pixels[20:38, left : left + 13][_glyph(name)] = 0
    return pixels


def test_arrows_tesseract_read_as_letters_or_a_last_digit_are_put_back() -> None:
    pixels = _page_with({100: "up", 232: "down", 300: "1"})
    words = [_RawWord(f"w{i}", 0.95, (10 * i, 0, 10 * i + 8, 18)) for i in range(8)]
    letter = _RawWord("t", 0.6, (100, 20, 113, 38))
    number = _RawWord("341", 0.9, (200, 20, 245, 38), symbols=((200, 212), (214, 226), (232, 245)))
    digit = _RawWord("1", 0.9, (300, 20, 313, 38))

    out = _arrows_read_as_letters(pixels, [*words, letter, number, digit])

    assert [raw.text for raw in out[8:]] == ["↑", "34", "↓", "1"]
    assert out[9].box == (200, 20, 226, 38)


def test_a_crop_on_a_shaded_cell_is_lifted_to_white_and_one_on_white_left_alone() -> None:
    shaded = np.full((10, 10), 200, dtype=np.uint8)
    shaded[4:6, 2:8] = 90
    white = shaded.copy()
    white[shaded == 200] = 250

    lifted = _on_white(shaded)

    assert lifted.max() == 255 and lifted.min() == 0
    assert (_on_white(white) == white).all()


def _capitals(*parts: str) -> np.ndarray:
    """Ink (True) of capitals 20 px high, 12 wide, 4 apart; ``"'"`` is an apostrophe, ``"T"`` a T,
    ``"i"`` a letter with a dot over its stem."""
    ink = np.zeros((24, 16 * len(parts) + 4), dtype=bool)
    for index, part in enumerate(parts):
        left = 4 + 16 * index
        if part == "'":
            ink[2:8, left + 4 : left + 7] = True  # a mark in the top of the line, alone
        elif part == "T":
            ink[2:5, left : left + 12] = True
            ink[2:22, left + 5 : left + 8] = True
        elif part == "i":
            ink[2:5, left + 4 : left + 8] = True  # the dot, apart from its stem
            ink[8:22, left + 5 : left + 7] = True
        else:
            ink[2:22, left : left + 3] = ink[2:22, left + 9 : left + 12] = True
            ink[2:5, left : left + 12] = ink[19:22, left : left + 12] = True
    return ink


def test_a_mark_between_letters_is_told_from_a_bar_and_a_dot() -> None:
    assert _marks_between_letters(_capitals("O", "'", "R")) == 1
    assert _marks_between_letters(_capitals("O", "'", "R", "'", "S")) == 2
    assert _marks_between_letters(_capitals("A", "T", "O")) == 0  # the bar of a T is joined to its stem
    assert _marks_between_letters(_capitals("O", "i", "O")) == 0  # a dot over a stem
    assert _marks_between_letters(_capitals("'", "O", "R")) == 0  # not between letters


def test_an_apostrophe_the_image_shows_is_put_back_only_when_the_enlarged_reading_agrees() -> None:
    pixels = np.full((60, 200), 255, dtype=np.uint8)
    pixels[20:44, 40:92][_capitals("O", "'", "R")] = 0
    word = _RawWord("OR", 0.91, (40, 20, 92, 44))
    pixels[20:44, 100:136][_capitals("O", "R")] = 0
    plain = _RawWord("OR", 0.95, (100, 20, 136, 44))
    deadline = time.monotonic() + 30

    agrees = _Engine([_RawWord("O'R", 0.4, (12, 12, 200, 90))])
    out = _apostrophes_put_back(agrees, pixels, [word, plain], 150, deadline)  # type: ignore[arg-type]
    assert [(raw.text, raw.confidence) for raw in out] == [("O'R", 0.5), ("OR", 0.95)]
    assert len(agrees.reads) == 1  # the word without a mark is not read again

    other = _Engine([_RawWord("O'K", 0.4, (12, 12, 200, 90))])
    assert _apostrophes_put_back(other, pixels, [word], 150, deadline) == [word]  # type: ignore[arg-type]


def test_a_words_box_is_narrowed_to_its_own_ink_not_a_label_above_it_nor_its_dots() -> None:
    pixels, words = _line_of_words(200, 400)
    pixels[100:110, 200:250] = 120  # a small grey label over a big word
    pixels[120:140, 200:330] = 0
    name = _RawWord("Okonkwo-Vale,", 0.92, (200, 105, 330, 146))
    pixels[160:162, 40:44] = 0  # the dot of an "i", 2 rows over its word
    pixels[164:176, 20:80] = 0
    dotted = _RawWord("Philip", 0.95, (20, 158, 80, 178))

    out = _own_boxes(pixels, [*words, name, dotted])

    assert out[:10] == words
    assert out[10].box == (200, 120, 330, 140)
    assert out[11].box == dotted.box


def _word_ending(last: str) -> np.ndarray:
    """Pixels of two capitals 20 px high and then ``last``: "J" (a stem hooked left at its
    foot), "I" (a straight stem) or "]" (a stem with bars at both ends, turning left)."""
    pixels = np.full((30, 60), 255, dtype=np.uint8)
    pixels[:24, :36][_capitals("O", "O")] = 0
    pixels[2:22, 50:53] = 0
    if last == "J":
        pixels[19:23, 45:51] = 0
    elif last == "]":
        pixels[2:5, 44:53] = pixels[19:22, 44:53] = 0
    return pixels


@pytest.mark.parametrize(("last", "text"), [("J", "OOJ"), ("I", "OO|"), ("]", "OO]")])
def test_a_bar_ending_a_word_of_capitals_is_read_as_j_only_when_its_foot_hooks_left(
    last: str, text: str
) -> None:
    pixels = _word_ending(last)
    read = _RawWord(text[:2] + ("]" if last == "]" else "|"), 0.51, (0, 0, 60, 30))

    (out,) = _hooks_put_back(pixels, [read])

    assert out.text == text
