"""A local stand-in for the Gemini REST API (``models/{model}:generateContent``).

The real ``google-genai`` client talks to it over real HTTP when pointed at
:attr:`GeminiStub.base_url` (``HttpOptions(base_url=...)``). Tests script the
answers and read back what the client sent::

    with GeminiStub() as stub:
        stub.enqueue(GeminiReply.ok(report), GeminiReply.error(429))
        ...  # call the parser with base_url=stub.base_url
        request = stub.requests[0]
        request.model, request.pdfs, request.prompt, request.generation_config

Replies are served first in, first out; when the script is empty the stub
answers with :attr:`GeminiStub.default` (a valid :data:`SAMPLE_REPORT` unless set).
Error bodies have Google's shape: ``{"error": {"code", "message", "status"}}``.

Run on its own for end-to-end and benchmark runs (serves :data:`SAMPLE_REPORT`)::

    python -m tests.support.gemini_stub --port 8089 --delay 0.2

It prints ``gemini-stub listening on http://HOST:PORT`` once it accepts
connections and stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import base64
import collections
import copy
import dataclasses
import json
import re
import signal
import sys
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any

__all__ = ["SAMPLE_REPORT", "GeminiReply", "GeminiStub", "RecordedRequest"]

#: A report that matches ``lib.domain.report_schema.ParsedReport`` (fake data).
SAMPLE_REPORT: dict[str, Any] = {
    "patient_name": "Alex Example",
    "diagnosis": ["Type 2 diabetes mellitus", "Essential hypertension"],
    "patient": {"name": "Alex Example", "date_of_birth": "1970-01-31", "sex": "unknown", "mrn": "TEST-0001"},
    "report_type": "discharge summary",
    "report_date": "2024-05-02",
    "facility": "Example General Hospital",
    "physician": "Dr. Test Physician",
    "diagnosis_details": [
        {"description": "Type 2 diabetes mellitus", "code": "E11.9", "page": 1},
        {"description": "Essential hypertension", "code": "I10", "page": 1},
    ],
    "findings": [{"text": "Blood pressure 150/95 mmHg", "page": 1}],
    "impression": "Stable; continue current therapy.",
    "medications": [
        {"name": "Metformin", "dose": "500 mg", "route": "oral", "frequency": "twice daily", "page": 2}
    ],
    "lab_results": [
        {
            "test": "HbA1c",
            "value": "7.2",
            "unit": "%",
            "reference_range": "4.0-5.6",
            "flag": "high",
            "page": 2,
        }
    ],
}

# Google's canonical status for each HTTP code (google.rpc.Code mapping).
_GOOGLE_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_GOOGLE_MESSAGE: dict[int, str] = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    404: "models/unknown is not found for API version v1, or is not supported for generateContent.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
}

_PATH = re.compile(r"^/(?P<version>v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):generateContent$")


@dataclasses.dataclass(frozen=True)
class GeminiReply:
    """One scripted answer: an HTTP status, a body, and an optional delay before it."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    delay_seconds: float = 0.0

    @classmethod
    def json(cls, payload: Mapping[str, Any], status: int = 200) -> GeminiReply:
        """Any JSON body with any status."""
        return cls(status=status, body=json.dumps(payload).encode())

    @classmethod
    def raw(cls, body: bytes, status: int = 200, content_type: str = "text/plain") -> GeminiReply:
        """Bytes as they are, e.g. an HTML error page from a proxy."""
        return cls(status=status, body=body, content_type=content_type)

    @classmethod
    def text(
        cls,
        text: str | None,
        *,
        finish_reason: str | None = "STOP",
        prompt_tokens: int | None = 100,
        output_tokens: int | None = 50,
        model_version: str = "gemini-stub-001",
    ) -> GeminiReply:
        """A candidate whose only part is ``text`` (no content at all when ``None``)."""
        candidate: dict[str, Any] = {"index": 0}
        if text is not None:
            candidate["content"] = {"parts": [{"text": text}], "role": "model"}
        if finish_reason is not None:
            candidate["finishReason"] = finish_reason
        payload: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": model_version,
            "responseId": "stub-response",
        }
        usage = _usage(prompt_tokens, output_tokens)
        if usage:
            payload["usageMetadata"] = usage
        return cls.json(payload)

    @classmethod
    def ok(
        cls,
        report: Mapping[str, Any] | None = None,
        *,
        prompt_tokens: int | None = 100,
        output_tokens: int | None = 50,
        model_version: str = "gemini-stub-001",
    ) -> GeminiReply:
        """A finished answer (``finishReason: STOP``) whose text is ``report`` as JSON."""
        document = SAMPLE_REPORT if report is None else report
        return cls.text(
            json.dumps(document),
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            model_version=model_version,
        )

    @classmethod
    def truncated(
        cls,
        report: Mapping[str, Any] | None = None,
        *,
        keep_fraction: float = 0.5,
        finish_reason: str = "MAX_TOKENS",
    ) -> GeminiReply:
        """The model ran out of output tokens: ``MAX_TOKENS`` and JSON cut off part-way."""
        full = json.dumps(SAMPLE_REPORT if report is None else report)
        return cls.text(full[: max(1, int(len(full) * keep_fraction))], finish_reason=finish_reason)

    @classmethod
    def safety_block(cls, finish_reason: str = "SAFETY") -> GeminiReply:
        """The answer was withheld: a candidate with ``finish_reason`` and no content."""
        payload: dict[str, Any] = {
            "candidates": [
                {
                    "finishReason": finish_reason,
                    "index": 0,
                    "safetyRatings": [
                        {
                            "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                            "probability": "HIGH",
                            "blocked": True,
                        }
                    ],
                }
            ],
            "usageMetadata": _usage(100, None),
            "modelVersion": "gemini-stub-001",
        }
        return cls.json(payload)

    @classmethod
    def prompt_blocked(cls, block_reason: str = "SAFETY") -> GeminiReply:
        """The prompt itself was blocked: ``promptFeedback.blockReason`` and no candidates."""
        payload: dict[str, Any] = {
            "promptFeedback": {"blockReason": block_reason},
            "usageMetadata": _usage(100, None),
            "modelVersion": "gemini-stub-001",
        }
        return cls.json(payload)

    @classmethod
    def no_candidates(cls) -> GeminiReply:
        """A 200 answer with neither candidates nor a block reason."""
        return cls.json({"usageMetadata": _usage(100, None), "modelVersion": "gemini-stub-001"})

    @classmethod
    def error(cls, code: int, message: str | None = None, status: str | None = None) -> GeminiReply:
        """An error the way Google's APIs send it, e.g. ``error(429)`` -> RESOURCE_EXHAUSTED."""
        payload = {
            "error": {
                "code": code,
                "message": message or _GOOGLE_MESSAGE.get(code, HTTPStatus(code).phrase),
                "status": status or _GOOGLE_STATUS.get(code, "UNKNOWN"),
            }
        }
        return cls.json(payload, status=code)

    @classmethod
    def slow(cls, seconds: float, then: GeminiReply | None = None) -> GeminiReply:
        """``then`` (a valid report by default), sent only after ``seconds``."""
        return dataclasses.replace(then or cls.ok(), delay_seconds=seconds)


def _usage(prompt_tokens: int | None, output_tokens: int | None) -> dict[str, int]:
    usage: dict[str, int] = {}
    if prompt_tokens is not None:
        usage["promptTokenCount"] = prompt_tokens
    if output_tokens is not None:
        usage["candidatesTokenCount"] = output_tokens
    if usage:
        usage["totalTokenCount"] = (prompt_tokens or 0) + (output_tokens or 0)
    return usage


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request the stub received. ``headers`` keys are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: Any  # parsed JSON, or None when the body was not JSON

    @property
    def api_version(self) -> str | None:
        match = _PATH.match(self.path)
        return match["version"] if match else None

    @property
    def model(self) -> str | None:
        match = _PATH.match(self.path)
        return match["model"] if match else None

    @property
    def api_key(self) -> str | None:
        return self.headers.get("x-goog-api-key")

    @property
    def parts(self) -> list[dict[str, Any]]:
        """All parts of all ``contents``, in order."""
        if not isinstance(self.body, dict):
            return []
        return [part for content in self.body.get("contents", []) for part in content.get("parts", [])]

    @property
    def part_kinds(self) -> list[str]:
        """``"pdf"``, ``"text"`` or ``"other"`` for each part, in order."""
        return [_part_kind(part) for part in self.parts]

    @property
    def pdfs(self) -> list[bytes]:
        """The decoded bytes of the inline PDF parts, in order."""
        return [_b64decode(_inline_data(part)["data"]) for part in self.parts if _part_kind(part) == "pdf"]

    @property
    def prompt(self) -> str:
        """The text parts joined together."""
        return "".join(part["text"] for part in self.parts if _part_kind(part) == "text")

    @property
    def generation_config(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            return {}
        config = self.body.get("generationConfig", {})
        return config if isinstance(config, dict) else {}


def _b64decode(text: str) -> bytes:
    # The SDK sends URL-safe base64; Google accepts both alphabets, so the stub does too.
    standard = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)


def _inline_data(part: Mapping[str, Any]) -> Mapping[str, Any]:
    data = part.get("inlineData", part.get("inline_data"))
    return data if isinstance(data, Mapping) else {}


def _part_kind(part: Mapping[str, Any]) -> str:
    inline = _inline_data(part)
    # The SDK writes the inner key in snake_case; the REST docs show camelCase. Accept both.
    if inline.get("mimeType", inline.get("mime_type")) == "application/pdf" and "data" in inline:
        return "pdf"
    if isinstance(part.get("text"), str):
        return "text"
    return "other"


class GeminiStub:
    """A threaded HTTP server on loopback that plays Gemini's ``generateContent``.

    ``expected_api_key``: when set, requests with another ``x-goog-api-key`` get
    Google's 400 ``API key not valid`` answer. Use as a context manager, or call
    :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default: GeminiReply | None = None,
        expected_api_key: str | None = None,
    ) -> None:
        self.default: GeminiReply = default or GeminiReply.ok()
        self.expected_api_key = expected_api_key
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._script: collections.deque[GeminiReply] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting and inspection ------------------------------------------------

    def enqueue(self, *replies: GeminiReply) -> None:
        """Append replies to the script; each request takes the oldest one."""
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Replies still in the script."""
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise AssertionError("the Gemini stub has received no request")
            return self._requests[-1]

    def reset(self) -> None:
        """Forget recorded requests and the remaining script."""
        with self._lock:
            self._requests.clear()
            self._script.clear()

    # -- lifecycle ----------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Gemini stub is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as ``HttpOptions(base_url=...)``."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> GeminiStub:
        if self._server is not None:
            raise RuntimeError("the Gemini stub is already running")
        self._stopping.clear()
        server = _Server((self._host, self._port), _Handler)
        server.stub = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="gemini-stub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # cuts short any slow reply still waiting
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> GeminiStub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- called by the handler ----------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_reply(self) -> GeminiReply:
        with self._lock:
            return self._script.popleft() if self._script else self.default


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: GeminiStub

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (time-out test) makes our late write fail; that is expected.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections end eventually

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_POST(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        stub._record(
            RecordedRequest(
                method="POST",
                path=path,
                headers={key.lower(): value for key, value in self.headers.items()},
                raw_body=raw,
                body=copy.deepcopy(body),
            )
        )
        if not _PATH.match(path):
            self._send(GeminiReply.error(404, f"Unknown path {path}", "NOT_FOUND"))
            return
        if stub.expected_api_key is not None and self.headers.get("x-goog-api-key") != stub.expected_api_key:
            self._send(GeminiReply.error(400, "API key not valid. Please pass a valid API key."))
            return
        if not isinstance(body, dict) or not body.get("contents"):
            self._send(GeminiReply.error(400, "* GenerateContentRequest.contents: contents is not specified"))
            return
        self._send(stub._next_reply())

    def do_GET(self) -> None:
        self._send(GeminiReply.error(404, f"Unknown path {self.path}", "NOT_FOUND"))

    def _send(self, reply: GeminiReply) -> None:
        if reply.delay_seconds > 0 and self.server.stub._stopping.wait(reply.delay_seconds):
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


def main(argv: list[str] | None = None) -> int:
    """Serve :data:`SAMPLE_REPORT` to every request until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on start)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each answer")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    stub = GeminiStub(host=args.host, port=args.port, default=GeminiReply.slow(args.delay, GeminiReply.ok()))
    with stub:
        print(f"gemini-stub listening on {stub.base_url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
