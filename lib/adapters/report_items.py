"""Rules that read one item of a medical report: a date, a diagnosis, a medication, a lab result.

Pure functions over text, used by :mod:`lib.adapters.report_rules`. Each rule is a
table of patterns so that a new spelling is one more row, not one more branch.
"""

from __future__ import annotations

import re
from datetime import date

from lib.domain.report_schema import LabFlag, LabResult, Medication, Sex

# --- dates -----------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ORDINAL = r"(?:st|nd|rd|th)?"
_ISO_DATE = re.compile(r"\b(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b")
_NUMERIC_DATE = re.compile(r"\b(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4})\b")
_MONTH_FIRST = re.compile(rf"\b(?P<mon>[A-Za-z]{{3,9}})\.?\s+(?P<d>\d{{1,2}}){_ORDINAL},?\s+(?P<y>\d{{4}})\b")
_DAY_FIRST = re.compile(
    rf"\b(?P<d>\d{{1,2}}){_ORDINAL}[\s-]+(?P<mon>[A-Za-z]{{3,9}})\.?,?[\s-]+(?P<y>\d{{4}})\b"
)


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def normalize_date(text: str) -> str:
    """Return the first date in ``text`` as ISO ``YYYY-MM-DD`` when it is unambiguous.

    ``03/14/1962``, ``14.03.1962``, ``1962-03-14`` and ``March 14, 1962`` all give
    ``1962-03-14``. A numeric date whose day and month could be swapped
    (``04/05/1962``) is returned as written, as is text holding no recognisable date.
    """
    written = text.strip()
    if match := _ISO_DATE.search(written):
        iso = _iso(int(match["y"]), int(match["m"]), int(match["d"]))
        return iso or written
    if match := _NUMERIC_DATE.search(written):
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        if first > 12 >= second:
            iso = _iso(year, second, first)
        elif second > 12 >= first or first == second:
            iso = _iso(year, first, second)
        else:
            return match[0]
        return iso or written
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        for match in pattern.finditer(written):
            if month := _MONTHS.get(match["mon"].lower()):
                return _iso(int(match["y"]), month, int(match["d"])) or written
    return written


# --- sex -------------------------------------------------------------------------------

_SEX_WORDS = {
    **dict.fromkeys(("f", "female", "woman", "w"), Sex.FEMALE),
    **dict.fromkeys(("m", "male", "man"), Sex.MALE),
    **dict.fromkeys(("x", "other", "intersex", "non-binary", "nonbinary", "diverse"), Sex.OTHER),
    **dict.fromkeys(("u", "unknown", "unspecified", "undisclosed", "not stated"), Sex.UNKNOWN),
}


def parse_sex(text: str) -> Sex | None:
    """Map what the report writes after "Sex:"/"Gender:" to :class:`Sex`; ``None`` if unrecognised."""
    words = text.strip().lower()
    first = re.split(r"[\s,;/()]+", words, maxsplit=1)[0].rstrip(".")
    return _SEX_WORDS.get(words) or _SEX_WORDS.get(first)


# --- diagnoses -------------------------------------------------------------------------

_ICD10 = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
_CODE_PATTERNS = (
    # "Type 2 diabetes mellitus (E11.9)", "(ICD-10: E11.9)"
    re.compile(rf"\(\s*(?:ICD(?:-?10)?(?:-CM)?\s*:?\s*)?(?P<code>{_ICD10})\s*\)"),
    # "E11.9 - Type 2 diabetes", "I10: Hypertension"
    re.compile(rf"^(?P<code>{_ICD10})\s*[-:]\s+"),
    # "E11.9 Type 2 diabetes": a bare leading code only when it has a dot (else "B12 deficiency")
    re.compile(r"^(?P<code>[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4})\s+"),
    # "Type 2 diabetes - E11.9"
    re.compile(rf"\s+[-:]\s*(?P<code>{_ICD10})$"),
)


def parse_diagnosis(text: str) -> tuple[str, str | None]:
    """Split one diagnosis into its description and ICD-10 code (``None`` when none is stated)."""
    for pattern in _CODE_PATTERNS:
        if match := pattern.search(text):
            description = text[: match.start()] + " " + text[match.end() :]
            return _tidy(description), match["code"]
    return _tidy(text), None


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" -:;,.")


# --- medications -----------------------------------------------------------------------

_DOSE_UNITS = (
    r"mcg|µg|ug|mg|g|ml|l|units?|iu|meq|mmol|%"
    r"|puffs?|tabs?|tablets?|caps?|capsules?|drops?|sprays?|patch(?:es)?"
)
_DOSE = re.compile(
    rf"(?<![\w.])\d+(?:[.,]\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?\s*(?:{_DOSE_UNITS})"
    r"(?:/(?:ml|kg|hr?|dose|actuation|spray))?(?!\w)",
    re.IGNORECASE,
)


def _words(alternatives: str) -> re.Pattern[str]:
    """Whole-word, case-insensitive alternation (dotted abbreviations like ``p.o.`` included)."""
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w])", re.IGNORECASE)


# (canonical value, spellings). First row that matches wins for routes.
_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("oral", _words(r"by mouth|orally|oral|p\.?o\.?")),
    ("IV", _words(r"intravenous(?:ly)?|i\.?v\.?")),
    ("IM", _words(r"intramuscular(?:ly)?|i\.?m\.?")),
    ("subcutaneous", _words(r"subcutaneous(?:ly)?|subcut|subq|s\.?c\.?|s\.?q\.?")),
    ("topical", _words(r"topical(?:ly)?")),
    ("inhaled", _words(r"inhaled|inhalation|via inhaler|inh")),
    ("sublingual", _words(r"sublingual(?:ly)?|s\.?l\.?")),
    ("transdermal", _words(r"transdermal(?:ly)?")),
    ("rectal", _words(r"rectal(?:ly)?|per rectum")),
)

# (canonical value, spellings). Every non-overlapping match counts: "every 6 hours as needed".
_FREQUENCIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("every {n} hours", _words(r"(?:every|q)\s*(?P<n>\d+(?:\s*-\s*\d+)?)\s*(?:hours?|hrs?|h)")),
    (
        "twice daily",
        _words(r"twice (?:a |per )?day|twice daily|(?:2|two) times (?:a |per )?day|b\.?i\.?d\.?"),
    ),
    ("three times daily", _words(r"(?:3|three) times (?:a |per )?day|three times daily|t\.?i\.?d\.?")),
    ("four times daily", _words(r"(?:4|four) times (?:a |per )?day|four times daily|q\.?i\.?d\.?")),
    ("at bedtime", _words(r"at bedtime|at night|nightly|before bed|q\.?h\.?s\.?")),
    ("every morning", _words(r"every morning|in the morning|q\.?am")),
    ("every other day", _words(r"every other day|q\.?o\.?d\.?")),
    ("once weekly", _words(r"once (?:a |per )?week|once weekly|weekly|every week")),
    ("once daily", _words(r"once (?:a |per )?day|once daily|daily|every day|q\.?d\.?")),
    ("as needed", _words(r"as needed|when needed|when required|p\.?r\.?n\.?")),
)
_NO_MEDICATION = re.compile(
    r"^(?:none|n/?a|nil|no (?:current |known |regular )?medications?)\.?$", re.IGNORECASE
)


def _frequency(text: str) -> tuple[str | None, list[tuple[int, int]]]:
    hits: list[tuple[int, int, str]] = []
    for canonical, pattern in _FREQUENCIES:
        for match in pattern.finditer(text):
            value = canonical.format(n=re.sub(r"\s+", "", match["n"])) if "{n}" in canonical else canonical
            hits.append((match.start(), match.end(), value))
    chosen: list[tuple[int, int, str]] = []
    # Earliest first, longest first: "twice daily" beats the "daily" inside it.
    for start, end, value in sorted(hits, key=lambda hit: (hit[0], hit[0] - hit[1])):
        if all(end <= kept[0] or start >= kept[1] for kept in chosen):
            chosen.append((start, end, value))
    if not chosen:
        return None, []
    return " ".join(value for _, _, value in chosen), [(start, end) for start, end, _ in chosen]


def parse_medication(text: str, page: int | None) -> Medication | None:
    """Read "Metformin 500 mg oral twice daily" into name, dose, route and frequency.

    Routes and frequencies come back in a canonical spelling ("PO" → "oral",
    "BID" → "twice daily", "q6h" → "every 6 hours"); the dose stays as written.
    Returns ``None`` for "none"-style lines.
    """
    if not text or _NO_MEDICATION.match(text):
        return None
    spans: list[tuple[int, int]] = []
    dose = None
    if match := _DOSE.search(text):
        dose = re.sub(r"\s+", " ", match[0])
        spans.append(match.span())
    route = None
    for canonical, pattern in _ROUTES:
        if match := pattern.search(text):
            route = canonical
            spans.append(match.span())
            break
    frequency, frequency_spans = _frequency(text)
    spans += frequency_spans
    cut = min((start for start, _ in spans), default=len(text))
    name = _tidy(text[:cut])
    if not name:  # the line starts with a dose or route: keep whatever the matches leave
        leftover = "".join(" " if any(s <= i < e for s, e in spans) else ch for i, ch in enumerate(text))
        name = _tidy(leftover)
    if not name:
        return None
    return Medication(name=name, dose=dose, route=route, frequency=frequency, page=page)


# --- lab results -----------------------------------------------------------------------

_QUALITATIVE = r"positive|negative|not detected|detected|non-?reactive|reactive|trace"
_LAB_VALUE = re.compile(
    rf"(?:(?<=\s)|(?<=:))(?P<value>[<>≤≥]=?\s?\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?|{_QUALITATIVE})(?=\s|$|%)",
    re.IGNORECASE,
)
_LAB_RANGE = re.compile(
    r"(?:(?:ref(?:erence)?(?:\s+range)?|normal\s+range|range)\s*:?\s*)?[(\[]?\s*"
    r"(?P<range>\d+(?:\.\d+)?\s*(?:-|\u2013|to)\s*\d+(?:\.\d+)?|[<>≤≥]=?\s*\d+(?:\.\d+)?)\s*[)\]]?",
    re.IGNORECASE,
)
# Single letters only in capitals, so a unit such as "mmol/l" never reads as a flag.
_LAB_FLAG = re.compile(
    r"(?:flag\s*:?\s*)?(?<!\S)(?P<flag>(?-i:HH|LL|H|L|N|A|C)|critical(?:\s+(?:high|low))?|crit|panic"
    r"|high|low|normal|abnormal|abn|\*+)(?!\S)(?!\s+range)",
    re.IGNORECASE,
)
_FLAGS = {
    **dict.fromkeys(("h", "high"), LabFlag.HIGH),
    **dict.fromkeys(("l", "low"), LabFlag.LOW),
    **dict.fromkeys(("n", "normal"), LabFlag.NORMAL),
    **dict.fromkeys(("a", "abnormal", "abn"), LabFlag.ABNORMAL),
    **dict.fromkeys(
        ("hh", "ll", "c", "crit", "critical", "critical high", "critical low", "panic"), LabFlag.CRITICAL
    ),
}


def _lab_flag(word: str) -> LabFlag:
    word = re.sub(r"\s+", " ", word.lower())
    return LabFlag.ABNORMAL if word.startswith("*") else _FLAGS[word]


def parse_lab_result(text: str, page: int | None) -> LabResult | None:
    """Read "HbA1c 7.2 % (4.0-5.6) H" or "Hemoglobin: 13.5 g/dL  Ref: 12.0-16.0" into a result.

    The flag is the report's own (H/High → high, L/Low → low, N → normal, A → abnormal,
    HH/LL/critical → critical), never computed from the range. Returns ``None`` for
    lines with no value, such as a table's column headings.
    """
    value_match = _LAB_VALUE.search(text)
    if value_match is None:
        return None
    test = _tidy(text[: value_match.start()])
    if not re.search(r"[A-Za-z]", test):
        return None
    rest = text[value_match.end() :]
    flag = None
    flags = list(_LAB_FLAG.finditer(rest))
    if flags:
        flag = _lab_flag(flags[-1]["flag"])
        rest = rest[: flags[-1].start()] + " " + rest[flags[-1].end() :]
    reference_range = None
    if range_match := _LAB_RANGE.search(rest):
        reference_range = re.sub(r"\s+", " ", range_match["range"])
        rest = rest[: range_match.start()] + " " + rest[range_match.end() :]
    unit = re.sub(r"\s+", " ", rest).strip(" ,;()[]") or None
    value = re.sub(r"^([<>≤≥]=?)\s+", r"\1", value_match["value"])
    return LabResult(test=test, value=value, unit=unit, reference_range=reference_range, flag=flag, page=page)
