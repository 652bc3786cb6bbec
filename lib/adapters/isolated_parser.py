"""A parser run in a separate process with hard limits, so no document can hold a worker for long.

Reading a PDF locally is CPU work on hostile input: a 72 KB file can inflate to
hundreds of megabytes of drawing operators, and a library can loop. Cooperative
budgets inside the parser catch what they foresee; this wrapper catches the rest.

Parses run in *parse processes*, at most ``max_concurrent`` per worker process:

* started from a forkserver, so nothing of the worker's threads or sockets is
  inherited, and kept for up to :data:`TASKS_PER_PROCESS` parses, so the libraries
  and models a parse needs load once per parse process, not once per report;
* each parse gets ``cpu_seconds`` of CPU: the soft ``RLIMIT_CPU`` is set to what the
  process has used plus the budget, and the kernel ends the process beyond it;
* the address space is capped at ``memory_bytes`` (``RLIMIT_AS``): allocations beyond
  fail with :class:`MemoryError`;
* the worker kills the process after ``wall_seconds`` without an answer (a parse that
  waits on nothing uses no CPU);
* every document library's logger is silenced before anything is read
  (:mod:`lib.log_safety`): a new interpreter has none of the worker's logging set-up.

Memory: what a parse holds is bounded by size, not only by count. Each parse takes
its documents' size from a process-wide :class:`ByteBudget` (``byte_budget`` bytes,
:data:`DEFAULT_BYTE_BUDGET`) before it starts, so two maximum-size uploads are never
read at once while many small ones are; a report larger than the whole budget runs
alone. :class:`Budgeted` holds the same budget around a whole parse, so that a model
call the worker makes first (the PDFs inline, ~5x their size while it runs) counts
too. The documents cross to the parse process as raw bytes (``send_bytes``), not
inside the pickled request: the worker makes no copy of them, the parse process one.
After each parse the process hands its freed heap back (``malloc_trim``), and one that
has no room left to take the next documents in is replaced, not failed.

The instance's budget (2,048 MB on Flex Consumption), worst case, every part at its
maximum at once (estimates from bench ``copies`` and ``memory``, PSS):

* worker idle, libraries and clients loaded: ~120 MB; forkserver and two warm parse
  processes: ~300 MB (their pages largely shared);
* parsing, this budget: 50 MiB of documents x ~9 (~8 in the parse process for the
  engine's streams and OCR rasters, 1 in the worker), or x ~5 during a model call
  (they do not overlap): <= 450 MB;
* queue invocations waiting for the budget with their files read: host.json allows
  ``batchSize + newBatchThreshold`` = 4 at once, so 3 x 50 MiB = 150 MB;
* uploads (HTTP functions, on instances of their own in Azure: per-function scaling):
  ``perInstanceConcurrency`` 4 x ~150 MB (the body held by host and worker, one copy
  of the files) = 600 MB, on an instance that parses nothing.

Together ~1.0 GB on a parsing instance and ~0.7 GB on an HTTP one. Measured (bench
``memory``, one host per instance kind, maximum-size uploads, Gemini and OCR): parsing
instance 1,076 MiB PSS with the Gemini call held by :class:`Budgeted`, 1,269 MiB while it
is not (each of the 4 invocations may then hold a call); HTTP instance 677-791 MiB. Before
(host.json 8 + 16, no budget, one host): 4,514 MiB. ``PARSE_MEMORY_MB`` stays the per-process ceiling
(address space) against a single hostile file.

A parse over a limit fails with the permanent ``pdf_too_complex`` and its process is
replaced; one whose process dies otherwise is a bug (:class:`ParseProcessFailed`,
``internal_error``). Errors cross the process boundary as (kind, code, message)
tuples, never as pickled exceptions, and their messages never quote the document
(the parsers' rule). The stdlib does all of this; pebble, the library for killable
pools, is LGPL and has no per-task CPU limit, which is the guarantee that matters here.

As with any ``multiprocessing`` start method but fork, the program's main module must
be safe to import (a ``__main__`` guard): each parse process imports it once.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import resource
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, ForkServerProcess
from typing import Any

from lib.domain.errors import PdfTooComplex, PermanentParseError, TransientParseError
from lib.domain.parsing import ParseOutcome, ParseRequest, ReportParser
from lib.log_safety import silence_document_loggers

log = logging.getLogger(__name__)

# A parse process is replaced after this many parses, so memory a library keeps is returned.
TASKS_PER_PROCESS = 50
_OK, _PERMANENT, _TRANSIENT, _TOO_COMPLEX, _BUG = "ok", "permanent", "transient", "too_complex", "bug"
# The parse process could not take the documents in (its address space, grown by earlier
# parses, is at the limit): a fresh process gets them instead.
_NO_ROOM = "no_room"
_LAST_WORDS_SECONDS = 5.0
MIB = 1024 * 1024
# Document bytes being parsed at once per worker process: one maximum-size upload
# (MAX_UPLOAD_MB 50) alone, or two 25 MiB files, or any number of small reports (up to
# max_concurrent). What a document byte costs while it is parsed (bench ``copies``, a
# 25 MiB file): ~8 bytes in the parse process (the engine's streams, OCR rasters), and,
# before that, ~5 in the worker during a Gemini call (the file, then base64 and JSON) if
# the call is held too (:class:`Budgeted`); the two do not overlap. So the budget keeps
# parsing under ~9 x 50 MiB = 450 MiB above the idle processes (README "Memory").
DEFAULT_BYTE_BUDGET = 50 * MIB


class ByteBudget:
    """A first-come, first-served weighted semaphore over bytes.

    :meth:`hold` waits until ``amount`` fits beside what others hold, in arrival order
    (a large parse is never starved by a stream of small ones). An amount over the
    whole capacity is charged as the whole capacity: it runs, alone. A thread that
    already holds part of the budget passes through a nested :meth:`hold` (a wrapper
    and the parser inside it charge the same report once, and cannot deadlock).
    """

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("a byte budget needs a positive capacity")
        self.capacity = capacity
        self._used = 0
        self._next_ticket = 0
        self._serving = 0
        self._changed = threading.Condition()
        self._holding = threading.local()
        self._abandoned: set[int] = set()  # tickets whose waiter left before its turn

    @property
    def used(self) -> int:
        """Bytes held now."""
        with self._changed:
            return self._used

    @contextmanager
    def hold(self, amount: int) -> Iterator[None]:
        """Hold ``amount`` bytes (at most the capacity) for the ``with`` block."""
        if getattr(self._holding, "active", False):
            yield
            return
        amount = min(max(amount, 0), self.capacity)
        with self._changed:
            ticket = self._next_ticket
            self._next_ticket += 1
            try:
                while ticket != self._serving or self._used + amount > self.capacity:
                    self._changed.wait()
            except BaseException:
                # Leaving the line (an interrupt): the ones behind must not wait for this turn.
                self._abandoned.add(ticket)
                self._next_turn(0)
                raise
            self._used += amount
            self._next_turn(1)
        self._holding.active = True
        try:
            yield
        finally:
            self._holding.active = False
            with self._changed:
                self._used -= amount
                self._changed.notify_all()

    def _next_turn(self, served: int) -> None:
        """Move past the tickets served and abandoned; wake the waiters (lock held)."""
        self._serving += served
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._changed.notify_all()


@dataclass(frozen=True)
class Budgeted:
    """Holds ``budget`` for a report's size around a whole parse (a model call in the worker included)."""

    inner: ReportParser
    budget: ByteBudget

    def parse(self, request: ParseRequest) -> ParseOutcome:
        """``inner.parse(request)`` once the report's bytes fit in the budget."""
        with self.budget.hold(sum(len(document) for document in request.documents)):
            return self.inner.parse(request)


@dataclass(frozen=True)
class WorkLimits:
    """What one parse may use: CPU seconds, wall-clock seconds, and address space in bytes."""

    cpu_seconds: int
    wall_seconds: float
    memory_bytes: int


class ParseProcessFailed(Exception):
    """The parse process died or raised something unexpected: a bug, not a property of the document."""


class IsolatedParser:
    """Runs ``inner.parse`` in a parse process under :class:`WorkLimits`.

    ``inner`` must be picklable (it travels with each request); its module, and
    ``preload``, are imported once in the forkserver that starts parse processes.
    ``byte_budget`` bounds the documents' bytes in parse at once (:class:`ByteBudget`).
    """

    def __init__(
        self,
        inner: ReportParser,
        limits: WorkLimits,
        max_concurrent: int,
        preload: Sequence[str] = (),
        *,
        byte_budget: int = DEFAULT_BYTE_BUDGET,
    ) -> None:
        self._inner = inner
        self._limits = limits
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self.budget = ByteBudget(byte_budget)
        self._idle: list[_ParseProcess] = []
        self._lock = threading.Lock()
        self._processes = multiprocessing.get_context("forkserver")
        self._processes.set_forkserver_preload([type(inner).__module__, __name__, *preload])

    def parse(self, request: ParseRequest) -> ParseOutcome:
        """Parse in a parse process; raise what the inner parser raised, or ``pdf_too_complex``."""
        with self.budget.hold(sum(len(document) for document in request.documents)), self._slots:
            process = self._take()
            reply = process.run(self._inner, request, self._limits)
            if reply is not None and reply[0] == _NO_ROOM and not process.fresh:
                process.stop()
                process = _ParseProcess(self._processes, self._limits.memory_bytes)
                reply = process.run(self._inner, request, self._limits)
            if reply is not None and reply[0] in (_OK, _PERMANENT, _TRANSIENT) and process.reusable:
                self._give_back(process)
                return _outcome_of(reply)
            exitcode = process.stop()
        if reply is not None:
            return _outcome_of(reply)
        if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
            # SIGXCPU: the kernel's CPU limit; SIGKILL: our wall-clock limit (or the OOM killer).
            log.warning("Parse stopped by the %s limit", "CPU" if exitcode == -signal.SIGXCPU else "time")
            raise PdfTooComplex("time")
        raise ParseProcessFailed(f"the parse process exited with code {exitcode} without an answer")

    def process_ids(self) -> list[int]:
        """The ids of the idle parse processes (for measurements)."""
        with self._lock:
            return [process.pid for process in self._idle if process.pid is not None]

    def close(self) -> None:
        """Stop the idle parse processes (running parses keep theirs until they end)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for process in idle:
            process.stop()

    def _take(self) -> _ParseProcess:
        with self._lock:
            while self._idle:
                process = self._idle.pop()
                if process.reusable:
                    return process
                process.stop()  # died while idle (the OOM killer, a crash)
        return _ParseProcess(self._processes, self._limits.memory_bytes)

    def _give_back(self, process: _ParseProcess) -> None:
        with self._lock:
            self._idle.append(process)


class _ParseProcess:
    """One parse process and the two pipes to it: requests in, replies out."""

    def __init__(self, processes: ForkServerContext, memory_bytes: int) -> None:
        self._replies, reply_end = processes.Pipe(duplex=False)
        request_end, self._requests = processes.Pipe(duplex=False)
        self._process: ForkServerProcess = processes.Process(
            target=_serve, args=(request_end, reply_end, memory_bytes), daemon=True
        )
        self._process.start()
        request_end.close()
        reply_end.close()  # the process holds the only writer now: EOF means it ended
        self._tasks = 0

    @property
    def pid(self) -> int | None:
        """The parse process's id."""
        return self._process.pid

    @property
    def fresh(self) -> bool:
        """Whether it has run no parse before the current one."""
        return self._tasks <= 1

    @property
    def reusable(self) -> bool:
        """Whether it may take another parse."""
        return self._tasks < TASKS_PER_PROCESS and self._process.is_alive()

    def run(self, inner: ReportParser, request: ParseRequest, limits: WorkLimits) -> tuple[Any, ...] | None:
        """Send one parse and wait for its reply; ``None`` when none came in time or the process died."""
        self._tasks += 1
        try:
            # The documents go as raw bytes after the request: pickling them inside it
            # would copy each one here and twice more in the parse process.
            bare = replace(request, documents=())
            self._requests.send((inner, bare, limits.cpu_seconds, len(request.documents)))
            for document in request.documents:
                self._requests.send_bytes(document)
        except (BrokenPipeError, ConnectionResetError):
            # It stopped reading: it may have said why (no room for the documents) before it ended.
            if not self._replies.poll(_LAST_WORDS_SECONDS):
                return None
        if not self._replies.poll(limits.wall_seconds):
            return None
        try:
            reply: tuple[Any, ...] = self._replies.recv()
        except EOFError:
            return None  # ended without answering: a limit or a crash (see the exit code)
        return reply

    def stop(self) -> int | None:
        """Kill the process and return its exit code."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        exitcode = self._process.exitcode
        self._requests.close()
        self._replies.close()
        self._process.close()
        return exitcode


def _outcome_of(reply: tuple[Any, ...]) -> ParseOutcome:
    """The reply as the inner parser's result, or as the error it stands for."""
    kind = reply[0]
    if kind == _OK:
        outcome: ParseOutcome = reply[1]
        return outcome
    if kind == _PERMANENT:
        raise PermanentParseError(reply[2], code=reply[1])
    if kind == _TRANSIENT:
        raise TransientParseError(reply[2], code=reply[1])
    if kind in (_TOO_COMPLEX, _NO_ROOM):
        log.warning("Parse over its memory limit")
        raise PdfTooComplex("memory")
    raise ParseProcessFailed(f"{reply[1]} in the parse process")


def _serve(requests: Connection, replies: Connection, memory_bytes: int) -> None:
    """The parse process: limit memory, silence the libraries, then parse until the worker hangs up."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    silence_document_loggers()
    # Our own modules' warnings go to stderr, which the worker's log collects; what the
    # libraries say through the warnings module could quote the document.
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    warnings.simplefilter("ignore")
    while True:
        try:
            inner, bare, cpu_seconds, count = requests.recv()
            request = replace(bare, documents=[requests.recv_bytes() for _ in range(count)])
        except EOFError:
            return
        except MemoryError:
            # Half a request is left in the pipe: say so and end; the worker starts afresh.
            replies.send((_NO_ROOM,))
            return
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu_seconds, resource.RLIM_INFINITY))
        replies.send(_attempt(inner, request))
        del inner, bare, request
        _give_memory_back()


def _give_memory_back() -> None:
    """Return the heap a parse freed to the system, so an idle parse process shrinks back.

    glibc keeps freed memory for reuse (its mmap threshold even grows after large frees,
    so the next large buffers come from the heap): without this, a process that parsed
    a 50 MB upload idled at its peak. ``malloc_trim`` exists in glibc only.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _attempt(inner: ReportParser, request: ParseRequest) -> tuple[Any, ...]:
    try:
        return (_OK, inner.parse(request))
    except PermanentParseError as exc:
        return (_PERMANENT, exc.code, exc.message)
    except TransientParseError as exc:
        return (_TRANSIENT, exc.code, exc.message)
    except MemoryError:
        return (_TOO_COMPLEX,)
    except Exception as exc:  # noqa: BLE001 - reported to the worker as a bug, with frames only
        # The frames say where; the message may quote the document, so it stays here.
        log.error(
            "Parse process: unexpected %s\n%s",
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return (_BUG, type(exc).__name__)
