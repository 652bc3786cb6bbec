"""The isolated parser: results and errors cross the process boundary; every limit ends a parse.

The inner parsers are module-level classes so that the parse process can unpickle them.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import time
import tracemalloc
from typing import ClassVar

import pytest

from lib.adapters.isolated_parser import Budgeted, ByteBudget, IsolatedParser, ParseProcessFailed, WorkLimits
from lib.adapters.report_pipeline import GroundedParser
from lib.bootstrap import build_parser
from lib.domain.errors import PdfTooComplex, PermanentParseError, TransientParseError
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.domain.report_schema import ParsedReport
from lib.settings import Settings

MB = 1024 * 1024
REQUEST = ParseRequest(documents=[b"%PDF-1.7 one", b"%PDF-1.7 two"])
SECRET = "Jane Roe 1951-06-10"


class Echo:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        return ParseOutcome(ParsedReport(patient_name=f"{len(request.documents)} docs {os.getpid()}"), "echo")


class Refuses:
    def __init__(self, permanent: bool) -> None:
        self.permanent = permanent

    def parse(self, request: ParseRequest) -> ParseOutcome:
        if self.permanent:
            raise PermanentParseError("document 1 is damaged", code="pdf_unreadable")
        raise TransientParseError("try again", code="model_busy")


class Spins:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        while True:
            pass


class Sleeps:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        time.sleep(60)
        raise AssertionError("not reached")


class Hogs:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        hoard = [bytearray(64 * MB) for _ in range(64)]  # 4 GB, far over the limit
        raise AssertionError(f"not reached ({len(hoard)})")


class Crashes:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        ctypes.string_at(0)  # a segmentation fault, as a broken C library would cause
        raise AssertionError("not reached")


class Buggy:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        raise ValueError(f"could not read {SECRET}")


class BurnsCpu:
    """Uses about 0.6 s of CPU per parse: over a 1 s budget only if the budget were cumulative."""

    def parse(self, request: ParseRequest) -> ParseOutcome:
        start = time.process_time()
        while time.process_time() - start < 0.6:
            sum(range(10_000))  # mostly user time: few clock reads
        return ParseOutcome(ParsedReport(patient_name=str(os.getpid())), "burn")


def isolated(inner: object, *, cpu: int = 30, wall: float = 60, memory_mb: int = 1024) -> IsolatedParser:
    return IsolatedParser(inner, WorkLimits(cpu, wall, memory_mb * MB), max_concurrent=1)  # type: ignore[arg-type]


def test_a_result_comes_back_and_the_process_is_reused() -> None:
    parser = isolated(Echo())

    first = parser.parse(REQUEST).report.patient_name
    second = parser.parse(REQUEST).report.patient_name

    assert first is not None and first.startswith("2 docs ")
    assert first == second  # same parse process: libraries load once per process
    assert first.split()[-1] != str(os.getpid())


@pytest.mark.parametrize(
    ("permanent", "kind", "code"),
    [(True, PermanentParseError, "pdf_unreadable"), (False, TransientParseError, "model_busy")],
)
def test_the_inner_parsers_errors_arrive_as_raised(permanent: bool, kind: type[Exception], code: str) -> None:
    with pytest.raises(kind) as caught:
        isolated(Refuses(permanent)).parse(REQUEST)

    assert getattr(caught.value, "code", None) == code


def test_a_parse_over_its_cpu_budget_is_too_complex() -> None:
    with pytest.raises(PdfTooComplex):
        isolated(Spins(), cpu=1).parse(REQUEST)


def test_the_cpu_budget_is_per_parse_not_per_process() -> None:
    parser = isolated(BurnsCpu(), cpu=1)

    pids = {parser.parse(REQUEST).report.patient_name for _ in range(3)}  # 1.8 s in one process

    assert len(pids) == 1


def test_a_parse_that_never_answers_is_killed_at_the_wall_clock_limit() -> None:
    started = time.monotonic()
    with pytest.raises(PdfTooComplex):
        isolated(Sleeps(), wall=1).parse(REQUEST)
    assert time.monotonic() - started < 30  # killed, not waited for (generous: shared machines)


def test_a_parse_over_its_memory_limit_is_too_complex_and_the_next_one_gets_a_fresh_process() -> None:
    with pytest.raises(PdfTooComplex) as caught:
        isolated(Hogs(), memory_mb=512).parse(REQUEST)
    assert caught.value.resource == "memory"


@pytest.mark.parametrize("inner", [Crashes(), Buggy()], ids=["segfault", "unexpected exception"])
def test_a_dying_or_buggy_parse_is_a_bug_that_quotes_nothing(
    inner: object, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ParseProcessFailed) as caught:
        isolated(inner).parse(REQUEST)

    assert SECRET not in str(caught.value)
    assert SECRET not in caplog.text


def test_after_a_failure_the_next_parse_runs_in_a_new_process() -> None:
    parser = IsolatedParser(Echo(), WorkLimits(30, 60, 1024 * MB), max_concurrent=1)
    before = parser.parse(REQUEST).report.patient_name
    parser._idle[0]._process.kill()  # the idle process dies (OOM killer, a crash)
    time.sleep(0.2)

    after = parser.parse(REQUEST).report.patient_name

    assert before != after


def test_document_library_loggers_are_silent_in_the_parse_process(capfd: pytest.CaptureFixture[str]) -> None:
    isolated(LogsLikeALibrary()).parse(REQUEST)

    out, err = capfd.readouterr()
    assert SECRET not in out + err


class LogsLikeALibrary:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        logging.getLogger("pypdf._doc_common").warning("Ignoring page tree entry: %s", SECRET)
        logging.getLogger("pdfminer.pdfpage").error("bad object %s", SECRET)
        return ParseOutcome(ParsedReport(), "logs")


class Sizes:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        sizes = ",".join(f"{len(document)}:{document[:4]!r}:{document[-1]}" for document in request.documents)
        return ParseOutcome(ParsedReport(patient_name=sizes), "sizes")


def test_documents_cross_to_the_parse_process_whole_and_in_order() -> None:
    documents = [b"%PDF" + bytes(3 * MB) + b"\x01", b"%PDF-2\x02"]

    got = isolated(Sizes()).parse(ParseRequest(documents=documents)).report.patient_name

    assert got is not None
    assert got.split(",")[:2] == [f"{3 * MB + 5}:b'%PDF':1", "7:b'%PDF':2"]


def test_handing_a_parse_over_copies_no_document_in_the_worker() -> None:
    parser = isolated(Echo())
    request = ParseRequest(documents=[b"%PDF" + bytes(8 * MB)])
    parser.parse(request)  # start the parse process first

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        parser.parse(request)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak - before < MB  # before: the pickled request, a copy of every document


def test_the_byte_budget_makes_a_large_hold_wait_and_serves_in_arrival_order() -> None:
    budget = ByteBudget(100)
    order: list[str] = []
    with budget.hold(80):
        assert budget.used == 80
        waiter = threading.Thread(target=lambda: _hold_and_note(budget, 90, order, "large"))
        waiter.start()
        time.sleep(0.05)
        assert order == []  # 90 does not fit beside 80
        late = threading.Thread(target=lambda: _hold_and_note(budget, 10, order, "small"))
        late.start()
        time.sleep(0.05)
        assert order == []  # 10 would fit, but it came after the large one: first come, first served
    waiter.join(5)
    late.join(5)
    assert order == ["large", "small"]
    assert budget.used == 0


def test_a_hold_larger_than_the_budget_runs_alone() -> None:
    budget = ByteBudget(100)
    with budget.hold(10**9):
        assert budget.used == 100


def _hold_and_note(budget: ByteBudget, amount: int, order: list[str], name: str) -> None:
    with budget.hold(amount):
        order.append(name)


def test_a_wrapper_and_the_parser_inside_it_charge_a_report_once() -> None:
    parser = isolated(Echo())
    document = b"%PDF" + bytes(parser.budget.capacity)  # larger than the whole budget

    outcome = Budgeted(parser, parser.budget).parse(ParseRequest(documents=[document]))

    assert outcome.model == "echo"  # no deadlock: the nested hold passed through
    assert parser.budget.used == 0


class Grows:
    """Leaves its parse process holding most of its address space, as a big parse's heap does."""

    kept: ClassVar[list[bytearray]] = []

    def parse(self, request: ParseRequest) -> ParseOutcome:
        if len(request.documents[0]) < MB:
            Grows.kept.append(bytearray(400 * MB))
        return ParseOutcome(ParsedReport(patient_name=str(os.getpid())), "grows")


def test_documents_a_grown_parse_process_cannot_take_go_to_a_fresh_one() -> None:
    parser = isolated(Grows(), memory_mb=600)
    first = parser.parse(ParseRequest(documents=[b"%PDF-small"])).report.patient_name

    second = parser.parse(ParseRequest(documents=[b"%PDF" + bytes(150 * MB)])).report.patient_name

    assert second is not None and second != first  # not an internal error: a new process took it


def test_a_gemini_call_waits_for_the_parse_processes_byte_budget() -> None:
    settings = Settings.from_env(
        {
            "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
            "MONGODB_URI": "mongodb://127.0.0.1:1/",
            "GEMINI_API_KEY": "test-key",
        }
    )

    parser = build_parser(settings)

    assert isinstance(parser, Budgeted)
    assert isinstance(parser.inner, GroundedParser)
    pipeline = parser.inner.pipeline
    assert isinstance(pipeline, IsolatedParser) and parser.budget is pipeline.budget
