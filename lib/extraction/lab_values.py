"""The parts of one lab result: value (with a glued flag), unit, reference range, flag.

Numbers
    ``1,234`` is one thousand two hundred and thirty-four (a comma before exactly
    three digits groups thousands); any other comma is a decimal comma (``5,8``).

Units
    :func:`normalise_unit` gives one spelling per unit so results can be compared:
    the micro prefix in all its printed forms (``µ`` U+00B5, ``μ`` U+03BC, ``u``,
    ``mc`` as in ``mcg``) becomes ``µ`` U+00B5; litres are ``L`` (``mg/dl`` →
    ``mg/dL``); counts per volume are ``10^N/…`` (``x10^3/uL``, ``10*3/uL``,
    ``x10E3/uL``, a multiplication sign or superscript digits, ``K/uL``, ``thou/uL`` → ``10^3/µL``; ``M/uL`` →
    ``10^6/µL``). ``U/L`` (units) is never read as micro. The printed unit is always kept.

Flags
    :func:`parse_flag` maps the printed flag to :class:`LabFlag`: H/High/Hi/↑/"+ HIGH"
    → high, L/Low/Lo/↓ → low, HH/LL/Critical/Crit/Panic/"!!" → critical,
    A/Abn/Abnormal/``*`` → abnormal, N/Normal → normal. Single letters count only in
    capitals, so a unit or word is never mistaken for one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from lib.domain.report_schema import LabFlag

__all__ = [
    "LabValue",
    "ReferenceRange",
    "flag_from_range",
    "looks_like_unit",
    "normalise_unit",
    "parse_flag",
    "parse_number",
    "parse_range",
    "parse_value",
]

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:[.,]\d+)?|[-+]?[.,]\d+"
_COMPARATORS = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}
_COMPARATOR = r"(?:<=|>=|=<|=>|[<>≤≥])"


def parse_number(text: str) -> float | None:
    """The number ``text`` spells ("1,234" → 1234.0, "5,8" → 5.8, ".5" → 0.5), or ``None``."""
    written = text.strip()
    if not re.fullmatch(_NUMBER, written):
        return None
    if re.search(r",\d{3}(?:,|\.|$)", written):
        written = written.replace(",", "")
    number = float(written.replace(",", "."))
    return number if math.isfinite(number) else None


# --- flags -----------------------------------------------------------------------------

_FLAG_WORDS: dict[str, LabFlag] = {
    **dict.fromkeys(("high", "hi", "↑", "h*", "abnormal high", "above high normal"), LabFlag.HIGH),
    **dict.fromkeys(("low", "lo", "↓", "l*", "abnormal low", "below low normal"), LabFlag.LOW),
    **dict.fromkeys(
        ("critical", "crit", "panic", "critical high", "critical low", "!!", "↑↑", "↓↓", "alert"),
        LabFlag.CRITICAL,
    ),
    **dict.fromkeys(("abnormal", "abn", "*", "**", "!", "a*"), LabFlag.ABNORMAL),
    **dict.fromkeys(("normal", "norm", "wnl", "within normal limits"), LabFlag.NORMAL),
}
# Case matters for single letters: "H" is a flag, "h" (hours) is not.
_FLAG_LETTERS: dict[str, LabFlag] = {
    "H": LabFlag.HIGH,
    "L": LabFlag.LOW,
    "HH": LabFlag.CRITICAL,
    "LL": LabFlag.CRITICAL,
    "C": LabFlag.CRITICAL,
    "CH": LabFlag.CRITICAL,
    "CL": LabFlag.CRITICAL,
    "A": LabFlag.ABNORMAL,
    "AH": LabFlag.HIGH,  # abnormal high, abnormal low (Cerner and other lab systems)
    "AL": LabFlag.LOW,
    "AA": LabFlag.CRITICAL,
    "N": LabFlag.NORMAL,
}


def parse_flag(text: str) -> LabFlag | None:
    """The :class:`LabFlag` a printed flag means, or ``None`` (empty or not a flag)."""
    # A sign before the word repeats it: "+ HIGH", "- LOW".
    written = re.sub(r"\s+", " ", text.strip().strip("()[]").strip())
    if re.fullmatch(r"[+\-\u2013]\s*[A-Za-z]{2,}", written):
        written = written[1:]
    written = written.lstrip("+ ").strip()
    if written in _FLAG_LETTERS:
        return _FLAG_LETTERS[written]
    # A mark beside the flag only draws the eye to it: "*H", "!H", "H!", "High*".
    bare = written.strip("*! ")
    if bare != written and bare and not _FLAG_WORDS.get(written.lower()):
        return _FLAG_LETTERS.get(bare) or _FLAG_WORDS.get(bare.lower())
    return _FLAG_WORDS.get(written.lower())


# A flag glued to a value: "5.8H", "5.8 H", "5.8 (H)", "*5.8", "↑5.8", "5.8*".
_TRAILING_FLAG = re.compile(
    r"\s*(?P<flag>\((?:HH|LL|H|L|A|C)\)|\[(?:HH|LL|H|L|A|C)\]|(?<![A-Za-z])(?:HH|LL|H|L|A|C)(?![A-Za-z])"
    r"|\*{1,2}|!{1,2}|[↑↓]{1,2}|(?:[+\-\u2013]\s*)?(?<![A-Za-z])(?i:critical|crit|high|low|abnormal|abn))\s*$"
)
_LEADING_FLAG = re.compile(r"^\s*(?P<flag>\*{1,2}|!{1,2}|[↑↓]{1,2})\s*")


@dataclass(frozen=True)
class LabValue:
    """A result as printed, its number and comparator ("<0.5" → 0.5, "<"), and a flag glued to it."""

    text: str
    number: float | None
    comparator: str | None
    flag: LabFlag | None
    flag_text: str | None


_VALUE = re.compile(rf"(?P<cmp>{_COMPARATOR})?\s*(?P<num>{_NUMBER})")


def parse_value(text: str) -> LabValue:
    """Split a result cell into value and glued flag: "5.8 H", "5.8H", "*5.8", "<0.5", "Positive".

    ``text`` of the result is the value without its flag (and without a unit that
    follows a number: the caller reads that separately). Non-numeric results keep
    their words ("Positive", "Not detected") with ``number`` ``None``.
    """
    written = re.sub(r"\s+", " ", text).strip()
    flag_text = None
    if match := _LEADING_FLAG.match(written):
        flag_text, written = match["flag"], written[match.end() :]
    elif (match := _TRAILING_FLAG.search(written)) and match.start() > 0:
        flag_text, written = match["flag"], written[: match.start()].rstrip()
    flag = parse_flag(flag_text) if flag_text else None
    if value := _VALUE.fullmatch(written):
        comparator = _COMPARATORS[value["cmp"]] if value["cmp"] else None
        shown = f"{comparator}{value['num']}" if comparator else value["num"]
        return LabValue(shown, parse_number(value["num"]), comparator, flag, flag_text)
    return LabValue(written, None, None, flag, flag_text)


# --- units -----------------------------------------------------------------------------

_MICRO = re.compile(r"(?<![A-Za-z])(?:mc|u|µ|μ)(?=(?:g|l|L|mol|IU|iu|Eq|eq|U/|m\b|kat)(?![a-z]{2}))")
_POWER = re.compile(
    r"^(?:x|\u00d7|\*)?\s*10\s*(?:\^|\*|e|E|\*\*)\s*(?P<exp>\d{1,2})|^(?:x|\u00d7)?\s*10(?P<sup>[¹²³⁴⁵⁶⁷⁸⁹⁰]+)",
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_COUNT_PREFIX = {"k": "10^3", "thou": "10^3", "thous": "10^3", "m": "10^6", "mill": "10^6", "mil": "10^6"}


def normalise_unit(text: str) -> str:
    """One spelling per unit (see the module docstring); unknown units come back tidied only."""
    unit = re.sub(r"\s+", "", text.strip())
    if power := _POWER.match(unit):
        exponent = power["exp"] or power["sup"].translate(_SUPERSCRIPTS)
        unit = f"10^{exponent}{unit[power.end() :]}"
    elif prefix := re.match(r"(?i)(k|thous?|mill?|m)(?=/(?:mc|[uµμ])?l$|/mm3$|/cumm$)", unit):
        unit = _COUNT_PREFIX[prefix[1].lower()] + unit[prefix.end() :]
    unit = _MICRO.sub("µ", unit)
    unit = re.sub(r"(?i)(?<![a-z])gm(?=/|$)", "g", unit)
    unit = re.sub(r"(?<=[µmdcn])l\b|(?<=/)l\b|^l$", "L", unit)
    unit = re.sub(r"(?i)meq", "mEq", unit)
    unit = re.sub(r"(?i)(?<![a-z])iu(?=/|$)", "IU", unit)
    unit = re.sub(r"(?<![a-zA-Z])fl$", "fL", unit)
    unit = re.sub(r"/(?:mm3|cumm|cmm)$", "/µL", unit)
    return unit


_UNIT_PIECE = re.compile(
    r"[kmµcdnpf]?(?:g|mol|L|Eq|IU|U|kat)|%|mmHg|fL|sec|s|min|h|hr|d|wk|ratio|index|cells|copies|titer|titre"
    r"|m?Osm|hpf|lpf|bpm|cm|mm|kg|m2|units?|\d+(?:\.\d+)?m2|10\^\d+|10\^\d+[µm]?L",
    re.IGNORECASE,
)


def looks_like_unit(text: str) -> bool:
    """Whether a cell or token reads as a unit ("mg/dL", "%", "x10^3/uL", "mmol/L", "IU/L")."""
    written = text.strip()
    if not written or len(written) > 24 or written.count(" ") > 2:
        return False
    if parse_number(written) is not None or parse_flag(written) is not None:
        return False
    head, *per = normalise_unit(written).split("/")
    # "/hpf" has no head; every part after a slash must be a unit.
    head_ok = (not head and bool(per)) or bool(_UNIT_PIECE.fullmatch(head))
    return head_ok and all(_UNIT_PIECE.fullmatch(piece) for piece in per)


# --- reference ranges ------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceRange:
    """A printed reference range and its bounds.

    ``"3.5-5.1"`` → low 3.5, high 5.1 (both inclusive); ``"<5.0"`` → high 5.0,
    exclusive; ``">=60"`` → low 60, inclusive. Qualitative ranges ("Negative")
    have neither bound. ``unit`` is a unit printed with the range ("3.5-5.1 mmol/L").
    """

    text: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    unit: str | None = None


_RANGE_DASH = r"\s*(?:-|\u2013|\u2014|to|\.\.)\s*"
_TWO_SIDED = re.compile(rf"(?P<low>{_NUMBER}){_RANGE_DASH}(?P<high>{_NUMBER})")
_ONE_SIDED = re.compile(rf"(?P<cmp>{_COMPARATOR})\s*(?P<bound>{_NUMBER})")
# Worded one-sided ranges, as (pattern, comparator they stand for).
_WORDED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"(?i)(?:{words})\s*(?P<bound>{_NUMBER})"), comparator)
    for words, comparator in (
        (r"up\s+to|at\s+most|not\s+more\s+than|<\s*or\s*=", "<="),
        (r"less\s+than|below|under", "<"),
        (r"at\s+least|not\s+less\s+than|>\s*or\s*=", ">="),  # "> OR = 60", as Quest prints it
        (r"greater\s+than|more\s+than|above|over", ">"),
    )
)
_QUALITATIVE_RANGE = re.compile(
    r"(?i)negative|positive|non-?reactive|reactive|not\s+detected|detected|absent|none(?:\s+seen)?|normal|nil"
)
_RANGE_LABEL = re.compile(
    r"(?i)^\s*(?:ref(?:erence)?(?:\s+(?:range|interval))?|normal(?:\s+range)?|range)\s*[:=]?\s*"
)


def parse_range(text: str) -> ReferenceRange | None:
    """Read a reference range cell or bracket: "3.5-5.1", "(3.5 - 5.1)", "<5.0", ">60", "Negative".

    A unit printed after the numbers is kept apart ("70-99 mg/dL"). Returns ``None``
    when ``text`` is no range.
    """
    written = _RANGE_LABEL.sub("", re.sub(r"\s+", " ", text).strip()).strip().strip("()[]").strip()
    if not written:
        return None
    candidates = [(_TWO_SIDED, None), (_ONE_SIDED, None), *_WORDED, (_QUALITATIVE_RANGE, None)]
    for pattern, worded in candidates:
        if (match := pattern.match(written)) is None:
            continue
        rest = written[match.end() :].strip()
        if rest and not looks_like_unit(rest):
            return None
        unit = rest or None
        groups = match.groupdict()
        comparator = worded or (_COMPARATORS[match["cmp"]] if groups.get("cmp") else None)
        if comparator is not None:
            bound = parse_number(match["bound"])
            inclusive = comparator.endswith("=")
            if comparator.startswith("<"):
                return ReferenceRange(written, high=bound, high_inclusive=inclusive, unit=unit)
            return ReferenceRange(written, low=bound, low_inclusive=inclusive, unit=unit)
        low = parse_number(groups["low"]) if groups.get("low") else None
        high = parse_number(groups["high"]) if groups.get("high") else None
        if low is not None and high is not None and low > high:
            return None
        return ReferenceRange(written, low=low, high=high, unit=unit)
    return None


def flag_from_range(value: LabValue | str, reference: ReferenceRange | str) -> LabFlag | None:
    """The flag a value earns against its range: normal, low or high; ``None`` when undecidable.

    A comparator widens the value to an interval ("<0.5" is anything below 0.5): the
    flag is given only when the whole interval falls on one side. Qualitative
    values and ranges give ``None``; critical limits are not known here.
    """
    result = parse_value(value) if isinstance(value, str) else value
    bounds = parse_range(reference) if isinstance(reference, str) else reference
    if result.number is None or bounds is None or (bounds.low is None and bounds.high is None):
        return None
    number, comparator = result.number, result.comparator
    # The value as an interval from least to most; a strict comparator leaves that end open.
    least = -math.inf if comparator in ("<", "<=") else number
    most = math.inf if comparator in (">", ">=") else number
    least_open, most_open = comparator == ">", comparator == "<"
    low, high = bounds.low, bounds.high
    if low is not None and (most < low or (most == low and (most_open or not bounds.low_inclusive))):
        return LabFlag.LOW
    if high is not None and (least > high or (least == high and (least_open or not bounds.high_inclusive))):
        return LabFlag.HIGH
    above_low = low is None or least > low or (least == low and (bounds.low_inclusive or least_open))
    below_high = high is None or most < high or (most == high and (bounds.high_inclusive or most_open))
    return LabFlag.NORMAL if above_low and below_high else None
