"""A real webhook receiver on 127.0.0.1 that records requests and answers from a script.

::

    with WebhookReceiver() as receiver:
        receiver.enqueue(Reply(500), Reply.retry_after("7"), Reply(204))
        ...  # POST to receiver.url + "/hook"
        receiver.requests[0].headers["webhook-id"], receiver.requests[0].body

Replies are served first in, first out; when the script is empty the receiver
answers :attr:`WebhookReceiver.default` (204). Any method is accepted. A reply can
wait before answering (``delay``, cut short when the receiver stops), redirect,
carry any headers, or stream a huge body (``stream_bytes``) to check that a
client stops reading: :attr:`RecordedRequest.bytes_sent` says how much got out.
Pass an ``ssl.SSLContext`` to serve https; the SNI names clients sent are kept
in :attr:`WebhookReceiver.sni_names`.
"""

from __future__ import annotations

import collections
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

__all__ = ["RecordedRequest", "Reply", "WebhookReceiver"]

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    stream_bytes: int = 0  # when set: announce and send this many bytes instead of ``body``

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, {"Location": location})

    @classmethod
    def retry_after(cls, value: str, status: int = 429) -> Reply:
        return cls(status, {"Retry-After": value})


@dataclass
class RecordedRequest:
    """What the receiver got; ``headers`` has lower-case names."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    bytes_sent: int = 0
    answered: threading.Event = field(default_factory=threading.Event, repr=False)


class WebhookReceiver:
    """A ``ThreadingHTTPServer`` on an ephemeral port; use as a context manager."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.default = Reply(204)
        self.sni_names: list[str | None] = []
        self._script: collections.deque[Reply] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        if tls is not None:
            tls.sni_callback = self._record_sni
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving; delayed replies wake up at once. The port is closed afterwards."""
        self._stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def _record_sni(self, sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        with self._lock:
            self.sni_names.append(name)

    def _take(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            return self._script.popleft() if self._script else self.default


def _handler_class(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def handle_one_request(self) -> None:
            # Any method: parse_request() leaves the method in self.command.
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                self.command,
                self.path,
                {name.lower(): value for name, value in self.headers.items()},
                self.rfile.read(length),
            )
            reply = receiver._take(request)
            try:
                receiver._stopping.wait(reply.delay)
                self._answer(reply, request)
            except OSError:  # the client went away: that is what some tests check
                pass
            finally:
                self.close_connection = True
                request.answered.set()

        def _answer(self, reply: Reply, request: RecordedRequest) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(reply.stream_bytes or len(reply.body)))
            self.end_headers()
            if not reply.stream_bytes:
                self.wfile.write(reply.body)
                request.bytes_sent = len(reply.body)
            while request.bytes_sent < reply.stream_bytes and not receiver._stopping.is_set():
                self.wfile.write(b"x" * _CHUNK)
                request.bytes_sent += _CHUNK

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    return Handler
