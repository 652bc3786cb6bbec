"""PDFs written byte by byte to attack the parsers, since no generator would make them.

Each builds the objects of a minimal PDF and a correct cross-reference table, so
every reader gets past opening the file and meets the attack itself:

* :func:`many_pages_pdf`: a flat page tree of ``pages`` empty pages (50,000 pages in 6 MB);
* :func:`shared_stream_bomb_pdf`: every page points at one deflated content stream that
  inflates to ``inflated_mb`` (a 70 MB stream compresses to about 200 KB);
* :func:`phi_quoting_pdfs`: files whose damage makes PDF libraries quote the document in
  their warnings (a string in the page tree, a broken resource, odd encodings), and a
  scanned page that only OCR can read, each carrying :data:`PHI_MARKERS`, which no log
  line may ever show.
"""

from __future__ import annotations

import io
import zlib

import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image

# Fictitious patient data that appears nowhere else, so a log line that shows it can only
# have come from one of these files.
PHI_NAME = "Zyxwvut Qwertyson"
PHI_MRN = "MRN 99887766"
PHI_MARKERS = ("Zyxwvut", "Qwertyson", "99887766")
_PHI = f"Patient: {PHI_NAME} DOB 1951-06-10 {PHI_MRN}".encode()
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def build_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF whose object ``n`` (1-based) is ``objects[n-1]``; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, *, deflate: bool = False) -> bytes:
    if deflate:
        packed = zlib.compress(data, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def _pages(kids: list[bytes], count: int) -> bytes:
    return b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), count)


def _page(content_ref: bytes, resources: bytes = b"<< /Font << /F1 4 0 R >> >>") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %s /Resources %s >>" % (
        content_ref,
        resources,
    )


def _text_content(line: bytes) -> bytes:
    return b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % line


def many_pages_pdf(pages: int) -> bytes:
    """``pages`` pages that share one empty content stream, in one flat page tree."""
    first = 5
    kids = [b"%d 0 R" % (first + index) for index in range(pages)]
    head = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages(kids, pages), _stream(b""), _FONT]
    return build_pdf(head + [_page(b"3 0 R")] * pages)


def shared_stream_bomb_pdf(pages: int = 5, inflated_mb: int = 70) -> bytes:
    """``pages`` pages that all draw the same content stream, which inflates to ``inflated_mb`` MB."""
    line = _text_content(b"x") + b"\n"
    content = line * (inflated_mb * 1024 * 1024 // len(line))
    kids = [b"%d 0 R" % (5 + index) for index in range(pages)]
    head = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages(kids, pages), _stream(content, deflate=True), _FONT]
    return build_pdf(head + [_page(b"3 0 R")] * pages)


def phi_quoting_pdfs() -> dict[str, bytes]:
    """Files built to make PDF libraries quote their content in warnings, by what each does."""
    text = _stream(_text_content(_PHI))
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    return {
        # pypdf: "Ignoring page tree entry that is not a dictionary: <the string>".
        "string in the page tree": build_pdf(
            [catalog, _pages([b"5 0 R", b"(" + _PHI + b")"], 2), text, _FONT, _page(b"3 0 R")]
        ),
        # A font resource that is a string, not a dictionary: readers complain and name it.
        "string as a font resource": build_pdf(
            [catalog, _pages([b"5 0 R"], 1), text, b"(" + _PHI + b")", _page(b"3 0 R")]
        ),
        # An unknown content operator spelled with the patient's data.
        "content operator made of patient data": build_pdf(
            [
                catalog,
                _pages([b"5 0 R"], 1),
                _stream(_text_content(b"ok") + b"\n" + _PHI.replace(b" ", b"_") + b"\n"),
                _FONT,
                _page(b"3 0 R"),
            ]
        ),
        # A font name with the patient's data and an encoding that does not exist.
        "odd font encoding": build_pdf(
            [
                catalog,
                _pages([b"5 0 R"], 1),
                text,
                b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /%s >>"
                % (_PHI.replace(b" ", b"-"), _PHI.replace(b" ", b"_")),
                _page(b"3 0 R"),
            ]
        ),
        # A scan: the data reaches the process only through OCR (tesseract, the engine's scan path).
        "scanned page read by OCR": _scanned(_PHI.decode()),
        # Metadata and an outline entry holding the data, with a broken reference.
        "info dictionary with broken references": build_pdf(
            [
                catalog,
                _pages([b"5 0 R"], 1),
                text,
                _FONT,
                _page(b"3 0 R"),
                b"<< /Title (%s) /Author 99 0 R >>" % _PHI,
            ],
            trailer_extra=b"/Info 6 0 R ",
        ),
    }


def _scanned(line: str) -> bytes:
    """An image-only PDF page showing ``line`` in large print, drawn at 200 dpi as a scanner would."""
    text = FPDF(unit="pt", format="A4")
    text.add_page()
    text.set_font("Helvetica", size=18)
    text.text(60, 120, line)
    document = pdfium.PdfDocument(bytes(text.output()))
    image = document[0].render(scale=200 / 72).to_pil().convert("L")
    document.close()
    out = io.BytesIO()
    Image.Image.save(image, out, "PDF", resolution=200.0)
    return out.getvalue()
