"""Label vocabularies shared by the rules: which printed label is a date of which role, a physician, a label at all.

Identity labels live in :mod:`lib.extraction.identity`; this module adds the labels
that date a report (collected, exam, discharge, reported ...) and name its
physician, and :func:`is_label_phrase`, which says whether a short phrase is any
label the parser knows (used to read label grids and lines printed without colons).
"""

from __future__ import annotations

import re
from functools import lru_cache

from lib.extraction.identity import is_known_label, misread_label

__all__ = ["date_role", "is_label_phrase", "norm_label", "ocr_letters", "physician_rank"]

# Date roles by label (normalised: lower case, letters and spaces only); checked in order.
_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern))
    for role, pattern in (
        (
            "collected",
            r"(?:date\s+|time\s+)?(?:of\s+)?(?:specimen\s+|sample\s+)?collect(?:ed|ion)(?:\s+(?:date|on|at|time|date\s*time))?"
            r"|(?:date|time)\s+(?:of\s+)?collection|(?:date\s+)?drawn|draw\s+date|test\s+date|sample\s+date"
            r"|specimen\s+date|date\s+of\s+specimen|sample\s+collected(?:\s+on)?|sampled",
        ),
        (
            "procedure",
            r"procedure\s+date|date\s+of\s+procedure|surgery\s+date|date\s+of\s+surgery|operation\s+date"
            r"|date\s+of\s+operation|biopsy\s+date",
        ),
        (
            "exam",
            r"exam(?:ination)?\s+date|date\s+of\s+(?:exam(?:ination)?|study|scan|imaging)|study\s+date|scan\s+date"
            r"|(?:exam|study)\s+(?:performed|done)(?:\s+on)?|date\s+performed|performed(?:\s+on)?",
        ),
        ("service", r"date\s+of\s+service|service\s+date|dos"),
        (
            "visit",
            r"visit\s+date|date\s+of\s+visit|encounter\s+date|date\s+of\s+encounter|consult(?:ation)?\s+date"
            r"|date\s+of\s+consult(?:ation)?|appointment\s+date|clinic\s+date|seen\s+on|date\s+seen",
        ),
        ("discharge", r"discharge(?:d)?(?:\s+date|\s+on)?|date\s+of\s+discharge|d\s*c\s+date"),
        ("admission", r"admission(?:\s+date)?|date\s+of\s+admission|admit(?:ted)?(?:\s+date|\s+on)?"),
        (
            "received",
            r"(?:date\s+)?received(?:\s+(?:on|date))?|receipt\s+date|registered(?:\s+on)?|(?:date\s+)?accessioned",
        ),
        (
            "reported",
            r"(?:final\s+)?reported(?:\s+date|\s+on)?|(?:final\s+)?report\s+(?:date|on)|date\s+(?:of\s+)?report(?:ed)?"
            r"|report\s+released|released"
            r"|resulted|result\s+date|verified(?:\s+on)?|signed(?:\s+out)?(?:\s+on)?|date\s+signed|finali[sz]ed",
        ),
        ("printed", r"printed(?:\s+on)?|generated(?:\s+on)?|print\s+date"),
        ("dated", r"date"),
    )
)
_PHYSICIANS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"attending(?:\s+physician)?|consultant|physician|doctor|treating\s+physician|pathologist|radiologist",
        r"(?:ordering|referring|requesting|submitting)\s+(?:physician|provider|doctor|clinician)|ordered\s+by"
        r"|referred\s+by|requested\s+by",
        r"(?:electronically\s+)?signed(?:\s+out)?\s+by|verified\s+by|reported\s+by|dictated\s+by|provider",
    )
)
_OTHER = re.compile(
    r"accession(?:\s+(?:no|number|id))?|specimen(?:\s+(?:type|id|source))?|sample\s+type|order(?:\s+(?:no|number))?"
    r"|facility|hospital|department|location|exam|study|procedure|report\s+type|age|status|time|room|bed|ward"
)


def norm_label(label: str) -> str:
    """Lower case, letters and spaces only: "Date of Exam:" → "date of exam"."""
    return " ".join(re.sub(r"[^a-z ]+", " ", label.lower()).split())


def date_role(label: str) -> str | None:
    """The role of the date a label introduces ("collected", "exam", "discharge", "reported" ...)."""
    text = norm_label(label)
    return next((role for role, pattern in _ROLES if pattern.fullmatch(text)), None)


def physician_rank(label: str) -> int | None:
    """How clearly ``label`` names the report's physician (0 best), ``None`` if it does not."""
    text = norm_label(label)
    return next((rank for rank, pattern in enumerate(_PHYSICIANS) if pattern.fullmatch(text)), None)


_OCR_ZERO = re.compile(r"(?<=[A-Za-z.])0(?=[A-Za-z.:])")


def ocr_letters(text: str) -> str:
    """Labels have no digits: a "0" between letters is an OCR "O" ("D.0.B." → "D.O.B."). Same length."""
    return _OCR_ZERO.sub("O", text)


@lru_cache(maxsize=4096)
def is_label_phrase(text: str) -> bool:
    """Whether ``text`` (with or without a trailing ':' or '#') is a label the parser knows."""
    phrase = ocr_letters(text.strip())
    if not phrase or re.search(r"\d", phrase) or len(phrase) > 40:
        return False
    if is_known_label(phrase) or ("." in phrase and is_known_label(phrase.replace(".", ""))):
        return True
    bare = phrase.rstrip(":#").strip()
    normalised = norm_label(bare)
    if not normalised:
        return False
    return (
        date_role(bare) is not None
        or physician_rank(bare) is not None
        or bool(_OTHER.fullmatch(normalised))
        or misread_label(bare) is not None
    )
