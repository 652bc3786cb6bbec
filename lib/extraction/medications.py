"""Medication lines ("sigs") and medication table rows to :class:`MedicationEntry` values.

Vocabulary (the normalised values; the printed words are kept beside them)

* route: ``oral``, ``sublingual``, ``intravenous``, ``intramuscular``,
  ``subcutaneous``, ``inhaled``, ``topical``, ``transdermal``, ``rectal``,
  ``ophthalmic``, ``otic``, ``nasal``. "OD"/"OS"/"AD" are not read (they mean an
  eye or an ear in the US and "once daily" in the UK).
* frequency: ``once daily``, ``twice daily``, ``three times daily``, ``four times
  daily``, ``every N minutes``, ``every N hours`` (``every 4-6 hours``), ``every N days``, ``every N
  weeks``, ``every other day``, ``at bedtime``, ``weekly``, ``once``, and ``as
  needed``, which combines with the others ("every 4 hours as needed"). "Daily at
  bedtime" is ``at bedtime``; "every morning" is ``once daily``.

``dose`` is the strength or amount per dose ("500 mg", "20 units", "90
mcg/actuation"); ``quantity`` a count of dose forms when printed ("2 puffs",
"1 tablet"); ``form`` the dose form word ("tablet", "inhaler").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "MedColumn",
    "MedicationEntry",
    "classify_medication_header",
    "parse_sig",
    "read_medication_row",
]


@dataclass(frozen=True)
class MedicationEntry:
    """One medication: name, dose, and normalised route and frequency with their printed words."""

    name: str
    dose: str | None = None
    quantity: str | None = None
    form: str | None = None
    route: str | None = None
    route_text: str | None = None
    frequency: str | None = None
    frequency_text: str | None = None
    as_needed_for: str | None = None
    sig: str = ""


class MedColumn(str, Enum):
    """What a medication table column holds."""

    NAME = "name"
    DOSE = "dose"
    ROUTE = "route"
    FREQUENCY = "frequency"
    SIG = "sig"  # free directions: read for dose, route and frequency
    OTHER = "other"  # start/stop dates, prescriber, quantity dispensed, refills, indication


_HEADER_PATTERNS: tuple[tuple[MedColumn, re.Pattern[str]], ...] = tuple(
    (column, re.compile(pattern, re.IGNORECASE))
    for column, pattern in (
        (
            MedColumn.OTHER,
            r"\b(?:date|start|stop|end|prescriber|refills?|qty|quantity|dispense|indication|status)",
        ),
        (MedColumn.ROUTE, r"\broute\b"),
        (MedColumn.FREQUENCY, r"\b(?:frequency|freq|how often|schedule|timing)\b"),
        (MedColumn.SIG, r"\b(?:sig|directions?|instructions?|how to take|administration)\b"),
        (MedColumn.DOSE, r"\b(?:dose|dosage|strength|amount)\b"),
        (MedColumn.NAME, r"\b(?:drug|medications?|medicines?|name|product|generic)\b"),
    )
)


def classify_medication_header(header: Sequence[str]) -> tuple[MedColumn, ...]:
    """The column each heading names, in any order; unknown headings are :attr:`MedColumn.OTHER`."""
    return tuple(
        next((column for column, pattern in _HEADER_PATTERNS if pattern.search(text)), MedColumn.OTHER)
        for text in header
    )


def _words(alternatives: str) -> re.Pattern[str]:
    """Whole words, any case; dotted abbreviations ("p.o.") match their own dots."""
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w])", re.IGNORECASE)


_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("sublingual", _words(r"sublingual(?:ly)?|s\.?l\.?|under the tongue")),
    ("oral", _words(r"by mouth|orally|oral|per os|p\.?o\.?")),
    ("intravenous", _words(r"intravenous(?:ly)?|i\.?v\.?(?:p|pb)?|iv push|iv piggyback")),
    ("intramuscular", _words(r"intramuscular(?:ly)?|i\.?m\.?")),
    (
        "subcutaneous",
        _words(r"subcutaneous(?:ly)?|subcut|sub-?q|s\.?c\.?|s\.?q\.?|under the skin"),
    ),
    (
        "inhaled",
        _words(
            r"inhaled|inhalation|by inhalation|via inhaler|via nebuli[sz]er|nebuli[sz]ed|inh|inhale|into the lungs"
        ),
    ),
    ("transdermal", _words(r"transdermal(?:ly)?|t\.?d\.?")),
    ("topical", _words(r"topical(?:ly)?|apply to (?:the )?(?:skin|affected area)")),
    ("rectal", _words(r"rectal(?:ly)?|per rectum|p\.?r\.?")),
    ("ophthalmic", _words(r"ophthalmic|in (?:each|both|the (?:right|left)) eyes?|o\.?u\.?")),
    ("otic", _words(r"otic|in (?:each|both|the (?:right|left)) ears?")),
    ("nasal", _words(r"intranasal(?:ly)?|nasal(?:ly)?|(?:in |into )?(?:each|both) nostrils?|per nostril")),
)
_N = r"\d+(?:\s*(?:-|to)\s*\d+)?"
# (normalised value, pattern); "{n}" takes the pattern's number. Earliest, longest match wins.
_FREQUENCIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("every {n} minutes", _words(rf"(?:every|q\.?)\s*(?P<n>{_N})\s*(?:minutes?|mins?)")),
    ("every {n} hours", _words(rf"(?:every|q\.?)\s*(?P<n>{_N})\s*(?:hours?|hrs?|h)")),
    ("every {n} days", _words(rf"every\s*(?P<n>{_N})\s*days?|q\s*(?P<n2>{_N})\s*d(?:ays?)?")),
    ("every {n} weeks", _words(rf"every\s*(?P<n>{_N})\s*weeks?|q\s*(?P<n2>{_N})\s*w(?:ee)?ks?")),
    ("every other day", _words(r"every other day|on alternate days|q\.?o\.?d\.?|qod")),
    (
        "twice daily",
        _words(
            r"twice (?:a |per |each )?day|twice daily|(?:2|two) times (?:(?:a |per )?day|daily)|b\.?i\.?d\.?"
        ),
    ),
    ("three times daily", _words(r"(?:3|three) times (?:(?:a |per )?day|daily)|t\.?i\.?d\.?")),
    ("four times daily", _words(r"(?:4|four) times (?:(?:a |per )?day|daily)|q\.?i\.?d\.?")),
    (
        "at bedtime",
        _words(r"at bedtime|at night|nightly|every night|before bed(?:time)?|q\.?h\.?s\.?|h\.?s\.?"),
    ),
    (
        "once daily",
        _words(
            r"once (?:a |per )?day|once daily|(?:1|one) times? (?:a |per )?day|daily|every day|each day"
            r"|every morning|in the morning|q\.?d\.?|q\.?day|q\.?am"
        ),
    ),
    (
        "twice weekly",
        _words(r"twice (?:a |per )?week|twice weekly|(?:2|two) times (?:(?:a |per )?week|weekly)"),
    ),
    ("three times weekly", _words(r"(?:3|three) times (?:(?:a |per )?week|weekly)|t\.?i\.?w\.?")),
    ("weekly", _words(r"once (?:a |per )?week|once weekly|weekly|every week|q\.?\s?wk|q\.?\s?week")),
    ("monthly", _words(r"once (?:a |per )?month|once monthly|monthly|every month|q\.?\s?month")),
    ("once", _words(r"once|one time|single dose|x\s?1|stat")),
)
_AS_NEEDED = _words(r"as needed|as required|when needed|when required|if needed|p\.?r\.?n\.?")
_AS_NEEDED_FOR = re.compile(
    r"\s*(?:for\s+)?(?P<reason>[a-z][a-z \-]{1,40}?)(?=$|[,;.(]|\s+(?:max|not|do|up)\b)", re.I
)

_MASS_UNITS = r"mcg|µg|μg|ug|mg|g|gm|ng|ml|mL|l|L|units?|u|iu|IU|meq|mEq|mmol|%"
_PER = r"(?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?(?:ml|mL|kg|hr?|dose|actuation|act|spray|puff|tab|day|m2))?"
_DOSE = re.compile(
    rf"(?<![\w.])(?P<dose>\d+(?:[.,]\d+)?(?:\s*(?:-|to|/)\s*\d+(?:[.,]\d+)?)?\s*(?:{_MASS_UNITS}){_PER})(?![\w])",
    re.IGNORECASE,
)
_FORMS = (
    r"tablets?|tabs?|capsules?|caps?|puffs?|inhalations?|drops?|sprays?|patch(?:es)?|suppositor(?:y|ies)"
    r"|lozenges?|sachets?|vials?|ampoules?|applications?"
)
_QUANTITY = re.compile(
    rf"(?<![\w.\-])(?P<quantity>\d+(?:\.\d+)?(?:\s*(?:-|to)\s*\d+)?|one|two|three|half|1/2)\s+(?P<form>{_FORMS})\b",
    re.IGNORECASE,
)
_FORM_WORD = re.compile(
    rf"(?<![\w])(?P<form>{_FORMS}|inhaler|cream|ointment|gel|solution|suspension|syrup|injection|pen|elixir"
    r"|er|xr|sr|ec|dr|odt)(?![\w])",
    re.IGNORECASE,
)
_FILLER = re.compile(r"(?i)\b(?:take|takes|give|inject|apply|use|inhale|instil|instill|place)\b")


def _route(text: str) -> tuple[str | None, str | None, tuple[int, int] | None]:
    for route, pattern in _ROUTES:
        if match := pattern.search(text):
            return route, match[0], match.span()
    return None, None, None


def _frequency(text: str) -> tuple[str | None, str | None, list[tuple[int, int]]]:
    hits: list[tuple[int, int, str]] = []
    for value, pattern in _FREQUENCIES:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            number = groups.get("n") or groups.get("n2")
            filled = value.format(n=re.sub(r"\s*(?:-|to)\s*", "-", number)) if number else value
            hits.append((match.start(), match.end(), filled))
    chosen: list[tuple[int, int, str]] = []
    for start, end, value in sorted(hits, key=lambda hit: (hit[0], hit[0] - hit[1])):
        if all(end <= kept[0] or start >= kept[1] for kept in chosen):
            chosen.append((start, end, value))
    values = [value for _, _, value in chosen]
    if "at bedtime" in values and "once daily" in values:
        values.remove("once daily")  # "daily at bedtime"
    spans = [(start, end) for start, end, _ in chosen]
    needed = _AS_NEEDED.search(text)
    if needed:
        values.append("as needed")
        spans.append(needed.span())
    if not values:
        return None, None, []
    printed = " ".join(text[start:end] for start, end in sorted(spans))
    return " ".join(dict.fromkeys(values)), printed, spans


def _tidy_dose(text: str) -> str:
    dose = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"(?<=\d)(?=[A-Za-zµμ])", " ", dose, count=1)


# Asides that break a dose or frequency apart, left out when reading one (the sig keeps them):
# a number spelled out after its digits ("2 (two) times daily", "every 6 (six) hours") and
# the base a salt's strength is equivalent to ("albuterol 108 (90 Base) MCG/ACT").
_ASIDE = re.compile(
    r"(?i)(?<=\d)\s*\((?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\)"
    r"|\s*\(\d+(?:\.\d+)?\s*base\)"
)


def parse_sig(text: str) -> MedicationEntry | None:
    """Read one medication line: "Metformin 500 mg PO BID", "Insulin glargine 20 units SC QHS".

    The name is the text before the first dose, route, frequency or dose-form word.
    ``None`` for a line with no name ("None", "NKDA", a bare "500 mg").
    """
    printed = re.sub(r"\s+", " ", text).strip().strip("-•*·").strip()
    if not printed or re.fullmatch(
        r"(?i)(?:none|nil|n/?a|nkda|nka|no (?:current |known |home )?medications?\.?)", printed
    ):
        return None
    sig = _ASIDE.sub("", printed)
    dose_match = _DOSE.search(sig)
    quantity_match = _QUANTITY.search(sig)
    route, route_text, route_span = _route(sig)
    frequency, frequency_text, frequency_spans = _frequency(sig)
    form_match = _FORM_WORD.search(sig, dose_match.end() if dose_match else 0)
    starts = [
        span[0]
        for span in (
            dose_match.span() if dose_match else None,
            quantity_match.span() if quantity_match else None,
            route_span,
            *frequency_spans,
            form_match.span() if form_match else None,
        )
        if span is not None
    ]
    filler = _FILLER.search(sig)
    cut = min([*starts, filler.start() if filler else len(sig)], default=len(sig))
    name = sig[:cut].strip(" ,;:-")
    if not re.search(r"[A-Za-z]{2}", name):
        return None
    reason = None
    if needed := _AS_NEEDED.search(sig):
        reason_match = _AS_NEEDED_FOR.match(sig, needed.end())
        reason = reason_match["reason"].strip() if reason_match else None
    return MedicationEntry(
        name=name,
        dose=_tidy_dose(dose_match["dose"]) if dose_match else None,
        quantity=f"{quantity_match['quantity']} {quantity_match['form']}" if quantity_match else None,
        form=(form_match["form"] if form_match else None)
        or (quantity_match["form"] if quantity_match else None),
        route=route,
        route_text=route_text,
        frequency=frequency,
        frequency_text=frequency_text,
        as_needed_for=reason,
        sig=printed,
    )


def read_medication_row(
    cells: Sequence[str], columns: Sequence[MedColumn] | None = None
) -> MedicationEntry | None:
    """One table row: cells named by ``columns`` (from :func:`classify_medication_header`).

    Without columns the row's cells are read in order as one sig. With columns,
    a route or frequency cell is normalised on its own; what a column does not
    give is read from the name, dose and directions cells.
    """
    texts = [re.sub(r"\s+", " ", cell).strip() for cell in cells]
    if columns is None:
        return parse_sig(" ".join(text for text in texts if text))
    by_column: dict[MedColumn, str] = {}
    for text, column in zip(texts, columns, strict=False):
        if text and column is not MedColumn.OTHER:
            by_column[column] = f"{by_column.get(column, '')} {text}".strip()
    ordered = (MedColumn.NAME, MedColumn.DOSE, MedColumn.ROUTE, MedColumn.FREQUENCY, MedColumn.SIG)
    joined = " ".join(by_column[column] for column in ordered if column in by_column)
    entry = parse_sig(joined)
    if entry is None:
        return None
    name = by_column.get(MedColumn.NAME)
    named = parse_sig(name) if name else None
    route_cell = _route(by_column.get(MedColumn.ROUTE, ""))
    frequency_cell = _frequency(by_column.get(MedColumn.FREQUENCY, ""))
    return MedicationEntry(
        name=named.name if named else entry.name,
        dose=_tidy_dose(by_column[MedColumn.DOSE]) if MedColumn.DOSE in by_column else entry.dose,
        quantity=entry.quantity,
        form=entry.form,
        route=route_cell[0] or entry.route,
        route_text=by_column.get(MedColumn.ROUTE) or entry.route_text,
        frequency=frequency_cell[0] or entry.frequency,
        frequency_text=by_column.get(MedColumn.FREQUENCY) or entry.frequency_text,
        as_needed_for=entry.as_needed_for,
        sig=joined,
    )
