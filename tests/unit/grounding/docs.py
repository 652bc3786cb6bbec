"""Documents built straight from the model: each line of text becomes words with boxes.

Words are 6 pt per character wide and 10 pt high, lines 14 pt apart from ``top``; a
line may hold columns separated by "|" (each column starts 150 pt further right).
"""

from __future__ import annotations

from collections.abc import Sequence

from lib.documents import BBox, Document, KeyValue, Line, Page, TextSource, Word

CHAR = 6.0


def line(
    number: int,
    text: str,
    top: float,
    *,
    left: float = 40.0,
    source: TextSource = TextSource.TEXT_LAYER,
    confidence: float | None = None,
) -> Line:
    """One line of ``text`` on page ``number``; "|" starts a new column."""
    words: list[Word] = []
    for column, part in enumerate(text.split("|")):
        x = left + 150.0 * column
        for piece in part.split():
            box = BBox(x, top, x + CHAR * len(piece), top + 10.0)
            words.append(Word(piece, box, number, source=source, confidence=confidence))
            x = box.x1 + CHAR
    return Line(tuple(words), number)


def page(
    number: int,
    texts: Sequence[str],
    *,
    header: Sequence[str] = (),
    key_values: Sequence[tuple[str, str]] = (),
    source: TextSource = TextSource.TEXT_LAYER,
    confidence: float | None = None,
) -> Page:
    """A page of content ``texts`` (from 100 pt down), a running ``header`` and key-value pairs."""
    lines = tuple(
        line(number, text, 100.0 + 14.0 * i, source=source, confidence=confidence)
        for i, text in enumerate(texts)
    )
    furniture = tuple(line(number, text, 30.0 + 14.0 * i) for i, text in enumerate(header))
    pairs = tuple(KeyValue(label, value, number, None, None) for label, value in key_values)
    return Page(
        number=number,
        width=595.0,
        height=842.0,
        words=tuple(word for item in lines for word in item.words),
        lines=lines,
        blocks=(),
        key_values=pairs,
        furniture=furniture,
        source=source,
    )


def document(*pages: Page) -> Document:
    """The pages as one document."""
    return Document(tuple(pages))
