"""read_document: files of one report, its limits, its errors, and pages read by OCR."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from PIL import Image

from lib.documents import BBox, ReadLimits, TextSource, Word, read_document
from lib.domain.errors import PermanentParseError
from tests.unit.documents.pdfs import Draw, encrypt, make_pdf, text_at, texts


def hello(text: str) -> Draw:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 60, text)

    return draw


def scanned_page(pdf: FPDF) -> None:
    pdf.image(Image.new("L", (200, 280), 255), x=0, y=0, w=pdf.w, h=pdf.h)


def error_of(files: list[bytes], limits: ReadLimits | None = None) -> PermanentParseError:
    with pytest.raises(PermanentParseError) as caught:
        read_document(files, limits, ocr=UnreadableOcr())
    return caught.value


@dataclass(frozen=True)
class FakeOcrPage:
    words: tuple[Word, ...]
    readable: bool
    skew_degrees: float = 0.0


@dataclass
class FakeOcr:
    """Reads every page as the given lines of (x, top, text) words; records its calls."""

    lines: list[list[tuple[float, float, str]]]
    calls: list[tuple[int, int]] = field(default_factory=list)
    clips: list[BBox | None] = field(default_factory=list)

    def __call__(
        self, pdf: bytes, page_index: int, *, page_number: int, deadline: float, clip: BBox | None = None
    ) -> FakeOcrPage:
        self.calls.append((page_index, page_number))
        self.clips.append(clip)
        words = tuple(
            Word(text, BBox(x, top, x + 6 * len(text), top + 10), page_number, TextSource.OCR, confidence=0.9)
            for line in self.lines
            for x, top, text in line
        )
        return FakeOcrPage(words, readable=True)


class UnreadableOcr:
    def __call__(
        self, pdf: bytes, page_index: int, *, page_number: int, deadline: float, clip: BBox | None = None
    ) -> FakeOcrPage:
        return FakeOcrPage((), readable=False)


def test_pages_are_numbered_across_files_in_upload_order() -> None:
    first = make_pdf(hello("First file, page one"), hello("First file, page two"))
    second = make_pdf(hello("Second file"))

    document = read_document([first, second])

    assert [page.number for page in document.pages] == [1, 2, 3]
    assert [texts(page) for page in document.pages] == [
        ["First file, page one"],
        ["First file, page two"],
        ["Second file"],
    ]
    assert all(word.page == 3 for word in document.pages[2].words)
    assert document.text == "First file, page one\nFirst file, page two\nSecond file"
    assert document.warnings == ()


def test_a_page_without_text_is_read_by_ocr_through_the_same_layout() -> None:
    ocr = FakeOcr(
        [[(40, 60, "Name:"), (76, 60, "DOE,"), (106, 60, "Jane"), (200, 60, "MRN:"), (230, 60, "123")]]
    )

    document = read_document([make_pdf(hello("Cover letter"), scanned_page)], ocr=ocr)

    cover, scan = document.pages
    assert cover.source is TextSource.TEXT_LAYER
    assert scan.source is TextSource.OCR
    assert ocr.calls == [(1, 2)]
    assert texts(scan) == ["Name: DOE, Jane MRN: 123"]
    assert [(kv.label, kv.value) for kv in scan.key_values] == [("Name", "DOE, Jane"), ("MRN", "123")]
    assert not scan.unread


def test_a_page_nothing_can_read_is_kept_and_reported() -> None:
    document = read_document([make_pdf(hello("Cover letter"), scanned_page)], ocr=UnreadableOcr())

    assert [page.unread for page in document.pages] == [False, True]
    assert [(w.code, w.page) for w in document.warnings] == [("unread_pages", 2)]


def test_a_blank_page_is_empty_not_unread() -> None:
    ocr = FakeOcr([])

    document = read_document([make_pdf(hello("Page one"), lambda pdf: None)], ocr=ocr)

    assert ocr.calls == []
    assert document.pages[1].lines == ()
    assert not document.pages[1].unread


def test_too_many_pages_are_refused_before_any_page_is_parsed() -> None:
    files = [make_pdf(hello("a"), hello("b")), make_pdf(hello("c"))]

    error = error_of(files, ReadLimits(max_pages=2))

    assert error.code == "too_many_pages"
    assert "2 pages" in error.message


def test_a_report_over_its_time_budget_is_too_complex() -> None:
    assert (
        error_of([make_pdf(hello("Potassium 4.1"))], ReadLimits(time_budget_seconds=0)).code
        == "pdf_too_complex"
    )


def test_a_page_over_the_content_limit_is_too_complex() -> None:
    error = error_of([make_pdf(hello("Potassium 4.1 mmol/L"))], ReadLimits(max_page_content_bytes=20))
    assert error.code == "pdf_too_complex"


def test_a_page_drawing_too_many_objects_is_too_complex() -> None:
    error = error_of([make_pdf(hello("Potassium 4.1 mmol/L"))], ReadLimits(max_page_objects=5))
    assert error.code == "pdf_too_complex"


def test_an_encrypted_file_is_refused_by_position_without_content() -> None:
    files = [make_pdf(hello("Readable")), encrypt(make_pdf(hello("Secret Patient Name")))]

    error = error_of(files)

    assert error.code == "pdf_encrypted"
    assert "document 2" in error.message
    assert "Secret" not in error.message


@pytest.mark.parametrize("garbage", [b"", b"not a pdf at all", b"%PDF-1.7\n" + bytes(range(256)) * 8])
def test_garbage_is_unreadable(garbage: bytes) -> None:
    error = error_of([garbage])

    assert error.code == "pdf_unreadable"
    assert error.message == "document 1 is not a readable PDF"


def test_a_scan_pasted_on_a_text_page_is_read_by_ocr_within_its_box() -> None:
    def letter(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Cover letter")
        pdf.image(Image.new("L", (400, 300), 255), x=40, y=300, w=400, h=300)

    ocr = FakeOcr([[(60, 320, "Potassium"), (200, 320, "4.1")]])

    page = read_document([make_pdf(letter)], ocr=ocr).pages[0]

    assert ocr.clips == [BBox(40, 300, 440, 600)]
    assert texts(page) == ["Cover letter", "Potassium 4.1"]
    assert page.source is TextSource.TEXT_LAYER
    assert [word.source for word in page.lines[1].words] == [TextSource.OCR, TextSource.OCR]


def test_the_installed_ocr_engine_reads_a_scanned_page_into_the_same_model() -> None:
    def typed(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Patient Name: Jane Q. Doe", size=12)
        text_at(pdf, 40, 70, "Potassium 4.1 mmol/L", size=12)

    rendered = (
        pdfium.PdfDocument(make_pdf(typed))[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    )
    scan = io.BytesIO()
    rendered.save(scan, "PDF", resolution=200.0)

    page = read_document([scan.getvalue()]).pages[0]

    assert page.source is TextSource.OCR
    assert "Potassium 4.1 mmol/L" in texts(page)
    assert ("Patient Name", "Jane Q. Doe") in [(kv.label, kv.value) for kv in page.key_values]


@pytest.mark.parametrize("seed", range(40))
def test_a_damaged_file_is_read_or_refused_never_crashes(seed: int) -> None:
    pdf = FPDF(unit="pt")
    pdf.compress = seed % 2 == 0
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    text_at(pdf, 40, 40, "Name: DOE, Jane   DOB: 01/02/1960")
    data = bytearray(pdf.output())
    rnd = random.Random(seed)
    for _ in range(rnd.randint(1, 12)):
        data[rnd.randrange(len(data))] = rnd.choice(b"0123456789.-[]()<>/ \nTJTfBTETqQ")
    if seed % 5 == 0:
        del data[rnd.randrange(len(data)) :]

    try:
        outcome = f"{len(read_document([bytes(data)], ocr=UnreadableOcr()).pages)} page"
    except PermanentParseError as error:
        outcome = error.code
    assert outcome in {"1 page", "pdf_unreadable"}


def test_each_page_knows_its_file_and_the_document_counts_pages_per_file() -> None:
    one = make_pdf(lambda pdf: text_at(pdf, 72, 72, "Patient: Jane Doe"))
    two = make_pdf(lambda pdf: text_at(pdf, 72, 72, "Page one"), lambda pdf: text_at(pdf, 72, 72, "Page two"))

    document = read_document([two, one])

    assert [page.file for page in document.pages] == [1, 1, 2]
    assert document.file_pages == (2, 1)
