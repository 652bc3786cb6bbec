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

import logging
import multiprocessing
import resource
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
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
    """

    def __init__(
        self, inner: ReportParser, limits: WorkLimits, max_concurrent: int, preload: Sequence[str] = ()
    ) -> None:
        self._inner = inner
        self._limits = limits
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._idle: list[_ParseProcess] = []
        self._lock = threading.Lock()
        self._processes = multiprocessing.get_context("forkserver")
        self._processes.set_forkserver_preload([type(inner).__module__, __name__, *preload])

    def parse(self, request: ParseRequest) -> ParseOutcome:
        """Parse in a parse process; raise what the inner parser raised, or ``pdf_too_complex``."""
        with self._slots:
            process = self._take()
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
    def reusable(self) -> bool:
        """Whether it may take another parse."""
        return self._tasks < TASKS_PER_PROCESS and self._process.is_alive()

    def run(self, inner: ReportParser, request: ParseRequest, limits: WorkLimits) -> tuple[Any, ...] | None:
        """Send one parse and wait for its reply; ``None`` when none came in time or the process died."""
        self._tasks += 1
        try:
            self._requests.send((inner, request, limits.cpu_seconds))
        except (BrokenPipeError, ConnectionResetError):
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
    if kind == _TOO_COMPLEX:
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
            inner, request, cpu_seconds = requests.recv()
        except EOFError:
            return
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu_seconds, resource.RLIM_INFINITY))
        replies.send(_attempt(inner, request))


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
