"""When a parsed value counts as the true one. Pure functions; the rules are stated in each docstring.

All text is compared after Unicode NFKC (so the "fi" ligature Chromium emits equals
"fi"), case folding and whitespace collapsing.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from bench.quality.dates import DateTruth

TEST_NAME_THRESHOLD = 90  # rapidfuzz token_sort_ratio for lab test names
DRUG_NAME_THRESHOLD = 90  # rapidfuzz token_set_ratio for medication names
DIAGNOSIS_THRESHOLD = 85  # rapidfuzz token_set_ratio for diagnoses and negated mentions

_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr"}
# Words that qualify a condition without naming one.
_QUALIFIERS = frozenset((
    "acute", "chronic", "unspecified", "other", "primary", "secondary", "disease", "disorder", "left", "right", "history", "of", "with",
    "without", "and", "or", "in", "the", "a", "stage", "type", "site", "not", "specified", "elsewhere", "classified",
))  # fmt: skip
_COMPARATORS = {"≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}
_NUMBER = re.compile(r"^(?P<cmp><=|>=|=<|=>|<|>|≤|≥)?\s*(?P<num>[-+]?\d+(?:\.\d+)?)$")
_DOSE = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[a-zµμ]+)?")
_DOSE_UNITS = {
    "µg": "mcg",
    "μg": "mcg",
    "ug": "mcg",
    "unit": "units",
    "u": "units",
    "iu": "units",
    "meq": "meq",
}


def norm(text: str | None) -> str:
    """NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", norm(text).replace("\u2019", "'"))


def name_matches(truth: str, parsed: str | None) -> bool:
    """Same words in any order ("LAST, First" = "First Last"), titles dropped, a missing middle initial tolerated."""
    if not parsed:
        return False
    want = sorted(word for word in _words(truth) if word not in _TITLES)
    got = sorted(word for word in _words(parsed) if word not in _TITLES)
    if want == got:
        return True
    return [word for word in want if len(word) > 1] == [word for word in got if len(word) > 1]


def date_matches(truth: DateTruth, parsed: str | None) -> bool:
    """ISO truth: the parsed value is that ISO date (a trailing time is ignored).

    Ambiguous truth (``{"ambiguous": true, "as_written": ...}``): the parsed value is the
    date exactly as written; any ISO guess is wrong.
    """
    if not parsed:
        return False
    if isinstance(truth, dict):
        return norm(parsed) == norm(str(truth["as_written"]))
    return norm(parsed)[:10] == truth and (len(norm(parsed)) == 10 or norm(parsed)[10] in " t")


def mrn_matches(truth: str, parsed: str | None) -> bool:
    """Identical apart from case and spaces."""
    return bool(parsed) and norm(truth).replace(" ", "") == norm(parsed).replace(" ", "")


_REPORT_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("discharge", ("discharge",)),
    ("pathology", ("patholog", "biopsy", "cytolog", "molecular", "genomic")),
    ("radiology", ("radiolog", "imaging", "ct ", "mri", "x-ray", "xr ", "ultrasound", "sonogra", "mammogra")),
    ("consult", ("consult", "clinic note", "progress note", "office visit", "visit note")),
    ("summary", ("summary", "wellness", "at a glance")),
    ("lab", ("lab", "panel", "blood", "result", "chemistry", "haematology", "hematology", "biochemistry")),
)
# A patient-facing health summary is a lab report too; calling it one is not wrong.
_ACCEPTED_KINDS = {"summary": {"summary", "lab"}}


def report_kind(text: str | None) -> str | None:
    """The kind a report type names (lab, radiology, pathology, discharge, consult, summary)."""
    value = f" {norm(text)} "
    return next((kind for kind, keys in _REPORT_KINDS if any(key in value for key in keys)), None)


def report_type_matches(truth: str, parsed: str | None) -> bool:
    """Loose: the parsed type names the same kind of report as the truth."""
    want = report_kind(truth)
    return want is not None and report_kind(parsed) in _ACCEPTED_KINDS.get(want, {want})


def _test_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w%]+", " ", norm(text)).split())


def test_matches(truth: str, parsed: str) -> bool:
    """Lab test names: equal after dropping punctuation, or token_sort_ratio >= :data:`TEST_NAME_THRESHOLD`."""
    want, got = _test_key(truth), _test_key(parsed)
    return want == got or fuzz.token_sort_ratio(want, got) >= TEST_NAME_THRESHOLD


def _number(text: str) -> tuple[str, float] | None:
    match = _NUMBER.match(norm(text).replace(",", ""))
    if match is None:
        return None
    comparator = match["cmp"] or ""
    return _COMPARATORS.get(comparator, comparator), float(match["num"])


def value_matches(truth: str, parsed: str | None) -> bool:
    """Numbers compare as numbers with their comparator ("<0.5" = "< 0.50"); other values as text."""
    if parsed is None:
        return False
    want, got = _number(truth), _number(parsed)
    if want is not None or got is not None:
        return want is not None and got is not None and want[0] == got[0] and abs(want[1] - got[1]) < 1e-9
    return norm(truth) == norm(parsed)


def flag_matches(truth: str | None, parsed: str | None) -> bool:
    """No flag printed equals "normal"; a printed "*" (abnormal) is also matched by high or low."""
    want, got = truth or "normal", parsed or "normal"
    return want == got or (want == "abnormal" and got in ("high", "low"))


def drug_matches(truth: str, parsed: str) -> bool:
    """Medication names: token_set_ratio >= :data:`DRUG_NAME_THRESHOLD` ("Metformin" = "Metformin ER")."""
    return fuzz.token_set_ratio(norm(truth), norm(parsed)) >= DRUG_NAME_THRESHOLD


def _dose(text: str) -> tuple[float, str] | None:
    match = _DOSE.match(norm(text).replace(",", ""))
    if match is None:
        return None
    unit = match["unit"] or ""
    return float(match["num"]), _DOSE_UNITS.get(unit, unit)


def dose_matches(truth: str | None, parsed: str | None) -> bool:
    """The leading amount and unit agree ("90 mcg/actuation" = "90 mcg"; mcg = µg = ug; unit = units)."""
    if truth is None or parsed is None:
        return truth is None and parsed is None
    want, got = _dose(truth), _dose(parsed)
    if want is None or got is None:
        return norm(truth) == norm(parsed)
    return want == got


def _code(code: str | None) -> str:
    return norm(code).replace(" ", "").upper()


def condition_matches(truth: str, parsed: str) -> bool:
    """Descriptions: token_set_ratio >= :data:`DIAGNOSIS_THRESHOLD`, or one contains the other.

    Either side made only of qualifiers ("acute", "unspecified") matches nothing: a subset
    of words scores 100 with token_set_ratio, and "acute" is no diagnosis.
    """
    want, got = norm(truth), norm(parsed)
    if not _has_content(want) or not _has_content(got):
        return False
    return fuzz.token_set_ratio(want, got) >= DIAGNOSIS_THRESHOLD or want in got or got in want


def _has_content(text: str) -> bool:
    return any(word not in _QUALIFIERS for word in re.findall(r"\w+", text))


def diagnosis_matches(truth: tuple[str, str | None], parsed: tuple[str, str | None]) -> bool:
    """The same ICD-10 code when both have one, else :func:`condition_matches` on the descriptions."""
    if truth[1] and parsed[1]:
        return _code(truth[1]) == _code(parsed[1]) or condition_matches(truth[0], parsed[0])
    return condition_matches(truth[0], parsed[0])
