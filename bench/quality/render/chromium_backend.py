"""The HTML back end: the document as HTML and CSS, printed to PDF by headless Chromium.

Chromium lays text out as hospital systems that print from a browser do: its own line
breaking, CSS page margin boxes for the running header and "Page X of Y", fixed
elements repeated on every page (the watermark). A table drawn "column by column" is a
row of column boxes, so the DOM (and hence the content stream) holds it column-major.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from html import escape
from pathlib import Path

from bench.quality.document import (
    Block,
    Cards,
    Columns,
    Document,
    DrawOrder,
    Fields,
    FieldStyle,
    ItemList,
    Letterhead,
    PageBreak,
    Row,
    Rule,
    Section,
    Table,
    TableStyle,
    Title,
    text_lines,
)

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)
_TIMEOUT_SECONDS = 60


def executable() -> str | None:
    """The Chromium binary (Debian package ``chromium``), or ``None`` when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def version() -> str:
    """What ``chromium --version`` prints, e.g. "Chromium 156.0.8078.114 built on Debian GNU/Linux 12"."""
    binary = executable()
    if binary is None:
        return "not installed"
    completed = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    return completed.stdout.strip() or f"unknown (exit code {completed.returncode})"


def _content(text: str) -> str:
    """A CSS ``content`` value for ``text``, with ``{page}``/``{pages}`` as page counters."""
    parts = re.split(r"(\{pages?\})", text)
    return " ".join(
        f"counter({part[1:-1]})" if part in ("{page}", "{pages}") else json.dumps(part)
        for part in parts
        if part
    )


def _css(document: Document) -> str:
    family = '"DejaVu Serif", serif' if document.serif else '"DejaVu Sans", "Liberation Sans", sans-serif'
    header = (
        f"@top-left {{ content: {_content(document.header)}; font-size: 7.5pt; }}" if document.header else ""
    )
    first = "" if document.header_on_first else "@page :first { @top-left { content: none; } }"
    footer = (
        f"@bottom-center {{ content: {_content(document.footer)}; font-size: 7.5pt; }}"
        if document.footer
        else ""
    )
    size = "A4" if document.page_size == "a4" else "Letter"
    return f"""
@page {{ size: {size}; margin: 18mm 16mm 18mm 16mm; font-family: {family}; {header} {footer} }}
{first}
body {{ font-family: {family}; font-size: {document.font_size}pt; line-height: 1.3; margin: 0; }}
.lh {{ border-bottom: 1px solid #444; margin-bottom: 6pt; }}
.lh .name {{ font-size: 15pt; font-weight: bold; }}
.lh .line {{ font-size: 8pt; }}
h1 {{ font-size: 14pt; text-align: center; margin: 6pt 0; }}
h2 {{ font-size: {document.font_size + 1}pt; margin: 8pt 0 2pt 0; }}
p {{ margin: 2pt 0 4pt 0; }}
table {{ border-collapse: collapse; width: 100%; margin: 4pt 0; }}
td, th {{ padding: 1.5pt 3pt; text-align: left; vertical-align: top; }}
table.grid td, table.grid th, .cols.grid div.c {{ border: 0.6pt solid #000; }}
table.grid th, table.grid tr.sub td {{ background: #e6e6e6; }}
table.lines thead th {{ border-bottom: 0.8pt solid #000; }}
table.lines {{ border-bottom: 0.8pt solid #000; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; }}
.fields td.l {{ background: #ececec; font-weight: bold; font-size: 0.9em; border: 0.6pt solid #000; }}
.fields td.v {{ border: 0.6pt solid #000; }}
.stacked .l {{ color: #595959; font-size: 0.8em; }}
.stacked .v {{ font-weight: bold; }}
.inline span.pair {{ margin-right: 16pt; white-space: nowrap; }}
.cols {{ display: flex; margin: 4pt 0; }}
.cols .col {{ display: flex; flex-direction: column; }}
.cols div.c {{ height: 1.45em; padding: 0 3pt; white-space: nowrap; overflow: hidden; }}
.cols div.h {{ font-weight: bold; height: 2.7em; white-space: normal; }}
.cols div.s {{ overflow: visible; }}
pre {{ font-family: "DejaVu Sans Mono", monospace; font-size: {document.font_size - 1}pt; margin: 4pt 0; }}
.cards {{ display: grid; gap: 8pt; margin: 6pt 0; }}
.card {{ border: 1pt solid #678; border-radius: 6pt; padding: 6pt 9pt; background: #eef5fb; }}
.card.hi {{ background: #fdece4; }}
.card .cap {{ font-size: 0.85em; font-weight: bold; color: #444; }}
.card .big {{ font-size: 22pt; font-weight: bold; }}
.card .note {{ font-size: 0.8em; }}
.wm {{ position: fixed; top: 40%; left: 8%; font-size: 64pt; font-weight: bold; color: #dedede;
       transform: rotate(-40deg); z-index: -1; }}
"""


def _cells(row: Row, tag: str) -> str:
    return "".join(
        f"<{tag}>{'<b>' if cell.bold else ''}{escape(cell.text)}{'</b>' if cell.bold else ''}</{tag}>"
        for cell in row.cells
    )


def _table(block: Table) -> str:
    caption = f"<h2>{escape(block.caption)}</h2>" if block.caption else ""
    if block.style in (TableStyle.PIPE, TableStyle.MONO):
        lines = text_lines(block)
        if block.style is TableStyle.MONO:
            return caption + "<pre>" + "\n".join(escape(text) for text, _ in lines) + "</pre>"
        return caption + "".join(
            f"<p>{'<b>' if bold else ''}{escape(text)}{'</b>' if bold else ''}</p>" for text, bold in lines
        )
    if block.order is not DrawOrder.ROWS:
        return caption + _column_table(block)
    head = (
        "<thead><tr>" + "".join(f"<th>{escape(text)}</th>" for text in block.header) + "</tr></thead>"
        if block.header
        else ""
    )
    colgroup = "".join(f'<col style="width:{fraction * 100:.1f}%">' for fraction in block.widths)
    body = ""
    for row in block.rows:
        if row.heading:
            body += f'<tr class="sub"><td colspan="{len(block.widths)}"><b>{escape(row.cells[0].text)}</b></td></tr>'
        else:
            body += "<tr>" + _cells(row, "td") + "</tr>"
    return f'{caption}<table class="{block.style.value}"><colgroup>{colgroup}</colgroup>{head}<tbody>{body}</tbody></table>'


def _column_table(block: Table) -> str:
    """Columns side by side, each a box of cells, so the DOM holds the table column by column.

    Panel sub-headings cannot span such a table; they sit in the first column and leave
    the other columns' cells empty.
    """
    columns = list(range(len(block.widths)))
    order = list(reversed(columns)) if block.order is DrawOrder.REVERSED else columns
    boxes = []
    for column in order:
        cells = [f'<div class="c h">{escape(block.header[column])}</div>'] if block.header else []
        for row in block.rows:
            text = (
                row.cells[0].text
                if row.heading and column == 0
                else ""
                if row.heading
                else row.cells[column].text
            )
            bold = row.heading or row.cells[min(column, len(row.cells) - 1)].bold
            cells.append(
                f'<div class="c">{"<b>" if bold and text else ""}{escape(text)}{"</b>" if bold and text else ""}</div>'
            )
        style = f"width:{block.widths[column] * 100:.1f}%; order:{column}"
        boxes.append(f'<div class="col" style="{style}">{"".join(cells)}</div>')
    return f'<div class="cols {block.style.value}">{"".join(boxes)}</div>'


def _fields(block: Fields) -> str:
    rows = [block.pairs[start : start + block.columns] for start in range(0, len(block.pairs), block.columns)]
    if block.style is FieldStyle.INLINE:
        return '<div class="inline">' + "".join(
            "<div>" + "".join(f'<span class="pair"><b>{escape(label)}</b> {escape(value)}</span>' for label, value in row) + "</div>"
            for row in rows
        ) + "</div>"  # fmt: skip
    if block.style is FieldStyle.STACKED:
        body = "".join(
            "<tr>" + "".join(f'<td><div class="l">{escape(label)}</div><div class="v">{escape(value)}</div></td>' for label, value in row) + "</tr>"
            for row in rows
        )  # fmt: skip
        return f'<table class="stacked">{body}</table>'
    body = "".join(
        "<tr>" + "".join(f'<td class="l">{escape(label)}</td><td class="v">{escape(value)}</td>' for label, value in row) + "</tr>"
        for row in rows
    )  # fmt: skip
    return f'<table class="fields">{body}</table>'


def _block(block: Block) -> str:
    match block:
        case Letterhead():
            align = ' style="text-align:center"' if block.centered else ""
            lines = "".join(f'<div class="line">{escape(line)}</div>' for line in block.lines)
            return f'<div class="lh"{align}><div class="name">{escape(block.name)}</div>{lines}</div>'
        case Title():
            return f'<h1 style="font-size:{block.size}pt">{escape(block.text)}</h1>'
        case Fields():
            return _fields(block)
        case Table():
            return _table(block)
        case Section():
            if block.inline and block.paragraphs:
                first = f"<p><b>{escape(block.heading)}</b> {escape(block.paragraphs[0])}</p>"
                return first + "".join(f"<p>{escape(text)}</p>" for text in block.paragraphs[1:])
            return f"<h2>{escape(block.heading)}</h2>" + "".join(
                f"<p>{escape(text)}</p>" for text in block.paragraphs
            )
        case ItemList():
            tag = "ol" if block.numbered else "ul"
            head = f"<h2>{escape(block.heading)}</h2>" if block.heading else ""
            items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
            return f"{head}<{tag}>{items}</{tag}>" if items else head
        case Cards():
            cards = "".join(
                f'<div class="card{" hi" if card.highlight else ""}"><div class="cap">{escape(card.caption)}</div>'
                f'<div class="big">{escape(card.big)}</div><div class="note">{escape(card.note)}</div></div>'
                for card in block.cards
            )
            return f'<div class="cards" style="grid-template-columns: repeat({block.columns}, 1fr)">{cards}</div>'
        case Columns():
            inner = "".join(
                '<div style="flex: 1">' + "".join(_block(item) for item in column) + "</div>"
                for column in block.columns
            )
            return f'<div style="display: flex; gap: 14pt">{inner}</div>'
        case Rule():
            return "<hr>"
        case PageBreak():
            return '<div style="break-after: page"></div>'
    raise TypeError(block)


def html(document: Document) -> str:
    """``document`` as a standalone HTML page."""
    watermark = f'<div class="wm">{escape(document.watermark)}</div>' if document.watermark else ""
    body = "\n".join(_block(block) for block in document.blocks)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(document.title)}</title>'
        f"<style>{_css(document)}</style></head><body>{watermark}{body}</body></html>"
    )


def render(document: Document) -> bytes:
    """``document`` printed to PDF by headless Chromium (its own temporary profile, no network use).

    Raises ``RuntimeError`` when Chromium is not installed or fails.
    """
    binary = executable()
    if binary is None:
        raise RuntimeError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="quality-chromium-") as folder:
        page, output = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html(document), encoding="utf-8")
        argv = [
            binary,
            *_FLAGS,
            f"--user-data-dir={folder}/profile",
            f"--print-to-pdf={output}",
            page.as_uri(),
        ]
        completed = subprocess.run(argv, capture_output=True, timeout=_TIMEOUT_SECONDS, check=False)  # noqa: S603 - fixed argv
        if completed.returncode != 0 or not output.exists():
            raise RuntimeError(f"chromium failed with exit code {completed.returncode}")
        return output.read_bytes()
