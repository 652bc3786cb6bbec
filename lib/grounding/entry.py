"""``ground``: every fact of a report either found in its document, with provenance, or flagged.

For each fact (:mod:`lib.grounding.pointers`) the stated page is searched first: the
parser's claim, else the provenance the report already has, else the item's own
``page``. When the fact is not there, every other page is searched and the best
match wins (earliest page on a tie): the fact then gets the page where it really
is. A claimed quote is never evidence by itself; only the fact's own words are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from lib.documents import Document
from lib.domain.grounding import Claim
from lib.domain.report_schema import (
    Diagnosis,
    LabResult,
    Medication,
    ParsedReport,
    Provenance,
    ReportWarning,
    Sex,
)
from lib.extraction.dates import DateKind
from lib.grounding import matching
from lib.grounding.index import DocumentIndex, PageIndex, Span
from lib.grounding.matching import Hit
from lib.grounding.pointers import Fact, Kind, diagnosis_twins, facts_of, with_pages, without

__all__ = ["ground"]

_WHAT: dict[Kind, str] = {
    Kind.NAME: "this name",
    Kind.BIRTH_DATE: "this date of birth",
    Kind.EVENT_DATE: "this date",
    Kind.RECORD_NUMBER: "this record number",
    Kind.SEX: "a sex or gender label with this value",
    Kind.PHRASE: "this text",
    Kind.DIAGNOSIS: "this diagnosis",
    Kind.MEDICATION: "this medication with its dose",
    Kind.LAB: "this test with its value and unit on one line or row",
}
Match = Callable[[PageIndex], Hit | None]
_EXACT = Hit(Span(1, ())).score  # what matchers without degrees (dates, numbers) score


def ground(
    document: Document,
    report: ParsedReport,
    claims: Mapping[str, Claim] | None = None,
    *,
    drop_ungrounded: bool = False,
    today: date | None = None,
) -> ParsedReport:
    """``report`` with provenance for each fact found in ``document`` and a warning for the rest.

    ``claims`` are the parser's own pages and quotes by pointer. A grounded fact
    gets ``provenance[pointer]`` (page, the exact words matched, their box) and its
    item's ``page`` set to that page; an ungrounded one an ``ungrounded`` warning,
    or with ``drop_ungrounded`` it is removed (a field set to null, a list item
    taken out) and the warning says so. A diagnosis code not printed with its
    diagnosis is flagged (or removed) at ``/diagnosis_details/i/code`` on its own. A
    ``diagnosis`` string shares the result of the ``diagnosis_details`` item it
    repeats, so the two lists stay consistent. Pointers of the returned report,
    including those of warnings and provenance it already had, refer to it.
    ``today`` places two-digit years (default: the current date).
    """
    index = DocumentIndex(document, today or date.today())
    claims = claims or {}
    found: dict[str, Hit] = {}
    ungrounded: dict[str, str] = {}
    facts = facts_of(report)
    for fact in facts:
        if fact.kind is not Kind.DIAGNOSIS:
            continue
        hit, code_found = _diagnosis(index, fact, _stated(fact, claims, report))
        if hit is None:
            ungrounded[fact.pointer] = f"{_WHAT[fact.kind]} was not found in the document"
            continue
        found[fact.pointer] = hit
        if not code_found:
            ungrounded[f"{fact.pointer}/code"] = "this ICD-10 code is not printed with its diagnosis"
    twins = diagnosis_twins(report)
    for fact in facts:
        if fact.kind is Kind.DIAGNOSIS:
            continue
        twin = _twin_pointer(fact.pointer, twins)
        if twin is not None:
            if twin in found:
                found[fact.pointer] = found[twin]
            else:
                ungrounded[fact.pointer] = f"{_WHAT[Kind.DIAGNOSIS]} was not found in the document"
            continue
        hit = _search(index, _stated(fact, claims, report), _matcher(index, fact))
        if hit is None:
            ungrounded[fact.pointer] = f"{_WHAT[fact.kind]} was not found in the document"
        else:
            found[fact.pointer] = hit
    return _assemble(index, report, found, ungrounded, drop_ungrounded)


def _twin_pointer(pointer: str, twins: Mapping[int, int]) -> str | None:
    if not pointer.startswith("/diagnosis/"):
        return None
    twin = twins.get(int(pointer.rsplit("/", 1)[1]))
    return None if twin is None else f"/diagnosis_details/{twin}"


def _stated(fact: Fact, claims: Mapping[str, Claim], report: ParsedReport) -> int | None:
    claim = claims.get(fact.pointer)
    if claim is not None and claim.page is not None:
        return claim.page
    known = report.provenance.get(fact.pointer)
    return known.page if known is not None else fact.page


def _search(index: DocumentIndex, stated: int | None, match: Match) -> Hit | None:
    """The stated page's match, else the best on any other page (the earliest on a tie)."""
    best: Hit | None = None
    for position, page in enumerate(index.order(stated)):
        hit = match(page)
        if hit is None:
            continue
        if (position == 0 and page.number == stated) or hit.score == _EXACT:
            return hit  # nothing later can do better than an exact match
        if best is None or hit.score > best.score:
            best = hit
    return best


def _iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _matcher(index: DocumentIndex, fact: Fact) -> Match:
    value = fact.value
    if fact.kind is Kind.LAB and isinstance(value, LabResult):
        return lambda page: matching.lab(index, page, value)
    if fact.kind is Kind.MEDICATION and isinstance(value, Medication):
        return lambda page: matching.medication(index, page, value)
    if fact.kind is Kind.SEX and isinstance(value, Sex):
        return lambda page: matching.stated_sex(page, value)
    text = str(value)
    if fact.kind is Kind.NAME:
        return lambda page: matching.name(index, page, text)
    if fact.kind in (Kind.BIRTH_DATE, Kind.EVENT_DATE) and _iso_date(text):
        kind = DateKind.BIRTH if fact.kind is Kind.BIRTH_DATE else DateKind.EVENT
        return lambda page: matching.written_date(
            page, text, kind=kind, order=index.date_order, today=index.today
        )
    if fact.kind is Kind.RECORD_NUMBER:
        return lambda page: matching.record_number(page, text)
    # Text, and a date kept as written (its day and month could be read either way):
    # found as printed, every digit exact.
    return lambda page: matching.phrase(index, page, text)


def _diagnosis(index: DocumentIndex, fact: Fact, stated: int | None) -> tuple[Hit | None, bool]:
    """The diagnosis's hit and whether its code (if any) was printed with it."""
    item = fact.value
    assert isinstance(item, Diagnosis)
    if item.code:
        coded = _search(index, stated, lambda page: matching.coded_diagnosis(page, item))
        if coded is not None:
            return coded, True
    described = _search(index, stated, lambda page: matching.phrase(index, page, item.description))
    return described, not item.code


def _assemble(
    index: DocumentIndex,
    report: ParsedReport,
    found: Mapping[str, Hit],
    ungrounded: Mapping[str, str],
    drop: bool,
) -> ParsedReport:
    provenance = {p: v for p, v in report.provenance.items() if p not in ungrounded}
    warnings = list(report.warnings)
    for pointer, hit in found.items():
        quote, box = index.pages[hit.span.page].quote(hit.span)
        provenance[pointer] = Provenance(page=hit.span.page, quote=quote, bbox=box.as_list())
        if hit.ambiguous:
            warnings.append(
                ReportWarning(
                    code="ambiguous_date",
                    path=pointer,
                    message="the document prints this date with day and month that could be swapped",
                )
            )
    pages = {pointer: hit.span.page for pointer, hit in found.items()}
    moved = with_pages(report, pages)
    if not drop:
        warnings += [ReportWarning(code="ungrounded", path=p, message=m) for p, m in ungrounded.items()]
        return moved.model_copy(update={"provenance": provenance, "warnings": warnings})
    kept, remap = without(moved, ungrounded)
    new_provenance = {new: v for p, v in provenance.items() if (new := remap(p)) is not None}
    new_warnings = [
        warning if warning.path is None else warning.model_copy(update={"path": remap(warning.path)})
        for warning in warnings
        if warning.path is None or remap(warning.path) is not None
    ]
    for pointer, message in ungrounded.items():
        new_warnings.append(_dropped(pointer, message, remap))
    return kept.model_copy(update={"provenance": new_provenance, "warnings": new_warnings})


def _dropped(pointer: str, message: str, remap: Callable[[str], str | None]) -> ReportWarning:
    """The warning for a removed fact, by its place in the returned report.

    A removed list item is named by its old position on its list's pointer; a
    removed part of a kept item (a code) by the item's new pointer.
    """
    head, _, last = pointer.rpartition("/")
    if last.isdigit() and head.count("/") == 1:
        return ReportWarning(code="ungrounded", path=head, message=f"item {last} was removed: {message}")
    owner = remap(head) if head.count("/") == 2 else None
    path = f"{owner}/{last}" if owner is not None else pointer
    return ReportWarning(code="ungrounded", path=path, message=f"removed: {message}")
