"""The Unicode fonts back ends embed when a report prints characters beyond Latin-1 (arrows, Greek mu, en dash)."""

from __future__ import annotations

from pathlib import Path

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
DEJAVU: dict[str, dict[str, Path]] = {
    "DejaVuSans": {"": DEJAVU_DIR / "DejaVuSans.ttf", "B": DEJAVU_DIR / "DejaVuSans-Bold.ttf"},
    "DejaVuSerif": {"": DEJAVU_DIR / "DejaVuSerif.ttf", "B": DEJAVU_DIR / "DejaVuSerif-Bold.ttf"},
    "DejaVuSansMono": {"": DEJAVU_DIR / "DejaVuSansMono.ttf", "B": DEJAVU_DIR / "DejaVuSansMono-Bold.ttf"},
}


def needs_unicode(text: str) -> bool:
    """Whether ``text`` has a character the PDF core fonts (Latin-1) cannot show."""
    return any(ord(char) > 0xFF for char in text)


def missing() -> list[Path]:
    """DejaVu files that are not installed (Debian package ``fonts-dejavu-core``)."""
    return [path for styles in DEJAVU.values() for path in styles.values() if not path.exists()]
