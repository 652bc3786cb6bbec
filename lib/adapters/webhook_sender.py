"""Outbound webhooks: one signed POST per call, every outcome returned, nothing raised.

Requests follow Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``). httpx exceptions are translated here into a
:class:`DeliveryResult`:

====================================================  =========  ===========================
what happened                                         outcome    error / extra
====================================================  =========  ===========================
2xx                                                   DELIVERED
410 Gone                                              GONE       stop retrying
URL fails the SSRF guard at delivery                  REFUSED    the guard's message
host does not resolve at delivery                     RETRY      may be a DNS hiccup
any other status: 1xx, 3xx (not followed), 4xx, 5xx   RETRY      ``Retry-After`` on 429/503
time-out (connect, read, write, pool)                 RETRY      "read timeout after 10.0 s"
no complete answer within the attempt's budget        RETRY      "no answer within 30 s"
connection refused / other transport error            RETRY      "connection refused"
====================================================  =========  ===========================

DNS rebinding: the guard resolves the host and vets every address; the request
then goes to the first vetted address (the URL's host is replaced by the IP), with
the original ``Host`` header and, for https, the original name as TLS SNI
(httpcore's ``sni_hostname`` extension), so the certificate is still verified
against the name. ``Connection: close`` keeps a connection opened for one name
from being reused for another name that shares its IP.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum
from http.cookiejar import CookieJar, DefaultCookiePolicy
from secrets import token_bytes
from typing import Any, Final

import httpx
from standardwebhooks import Webhook

from lib.domain.webhook_urls import (
    UNRESOLVABLE_CODE,
    ResolvedTarget,
    Resolver,
    UnsafeWebhookUrl,
    WebhookUrlPolicy,
    check_webhook_target,
)

logger = logging.getLogger(__name__)

USER_AGENT: Final = "medical-report-parser-webhooks/1"
RESPONSE_EXCERPT_BYTES: Final = 2048
#: Delay before the next attempt after attempt 1, 2, ... fails, in seconds, for a base of 5 s.
WEBHOOK_BACKOFF_STEPS: Final = (5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
_TIMEOUT_PHASES: Final = {
    httpx.ConnectTimeout: "connect",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


class DeliveryOutcome(str, Enum):
    """What the caller does next: done, try again later, or stop for good."""

    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"
    REFUSED = "refused"


@dataclass(frozen=True)
class DeliveryResult:
    """One delivery attempt. ``error`` is a short sentence; ``response_excerpt`` is capped."""

    outcome: DeliveryOutcome
    status_code: int | None = None
    duration_ms: int = 0
    error: str | None = None
    retry_after_seconds: float | None = None
    response_excerpt: str | None = None


def build_http_client(timeout_seconds: float) -> httpx.Client:
    """The one client for webhooks: no redirects, no env proxies, no cookies, a fixed User-Agent."""
    # httpx logs every request's URL at INFO; a receiver's path or query may carry its tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
        # Receivers must not plant cookies that the client would send to other receivers.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    )


class _AttemptDeadline:
    """Ends an exchange that is still going after ``seconds``, by shutting its connection down.

    httpx's time-outs bound each step (connect, write, each read), so a receiver that
    trickles its status line and headers a byte at a time never trips them and could
    hold a worker thread until the function times out. httpcore reports the TCP stream
    it opens through the ``trace`` request extension. The deadline keeps a duplicate of
    that socket's descriptor (TLS detaches the original socket object; shutting down
    any descriptor of a connection shuts the connection) and a timer shuts it down when
    the time is up, which ends a blocked read at once with a transport error.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _AttemptDeadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: keep hold of the connection just opened."""
        if event != "connection.connect_tcp.complete" or info.get("return_value") is None:
            return
        opened: socket.socket = info["return_value"].get_extra_info("socket")
        with self._lock:
            self._socket = opened.dup()
            if self.expired:
                self._shut()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):  # the connection is gone already
                self._socket.shutdown(socket.SHUT_RDWR)


class WebhookSender:
    """Signs and POSTs webhook payloads through an injected ``httpx.Client``.

    ``resolve`` is called at every delivery; see :mod:`lib.domain.webhook_urls`.
    Each step of an attempt is bounded by the client's time-outs, and the whole
    attempt by ``attempt_seconds`` (three times the client's read time-out unless given).
    """

    def __init__(
        self,
        client: httpx.Client,
        policy: WebhookUrlPolicy,
        resolve: Resolver,
        *,
        attempt_seconds: float | None = None,
    ) -> None:
        self._client = client
        self._policy = policy
        self._resolve = resolve
        self._attempt_seconds = attempt_seconds or 3 * (client.timeout.read or 10.0)

    def close(self) -> None:
        """Close the HTTP client (at shutdown)."""
        self._client.close()

    def deliver(
        self, url: str, *, message_id: str, payload: bytes, secrets: Sequence[str], now: datetime
    ) -> DeliveryResult:
        """POST ``payload`` (UTF-8 JSON) to ``url``, signed with each of ``secrets``.

        ``message_id`` must be the same on every retry of one message; ``now`` must be
        timezone-aware. Never raises for anything the network or the receiver does.
        """
        if not secrets:
            raise ValueError("a webhook needs at least one signing secret")
        started = time.monotonic()
        result = self._attempt(url, message_id, payload, secrets, now)
        result = replace(result, duration_ms=int((time.monotonic() - started) * 1000))
        logger.info("webhook %s: %s (status %s)", message_id, result.outcome.value, result.status_code)
        return result

    def _attempt(
        self, url: str, message_id: str, payload: bytes, secrets: Sequence[str], now: datetime
    ) -> DeliveryResult:
        try:
            target = check_webhook_target(url, self._policy, self._resolve)
        except UnsafeWebhookUrl as exc:
            # Unresolvable may be a DNS hiccup: the host resolved when the job was submitted.
            retry = exc.code == UNRESOLVABLE_CODE
            return DeliveryResult(
                DeliveryOutcome.RETRY if retry else DeliveryOutcome.REFUSED, error=exc.message
            )
        with _AttemptDeadline(self._attempt_seconds) as deadline:
            try:
                request = self._build_request(target, message_id, payload, secrets, now, deadline.trace)
                response = self._client.send(request, stream=True)
            except httpx.InvalidURL:
                return DeliveryResult(DeliveryOutcome.REFUSED, error="webhook_url cannot be requested")
            except httpx.TimeoutException as exc:
                phase = _TIMEOUT_PHASES.get(type(exc), "read")
                seconds = getattr(self._client.timeout, phase)
                return DeliveryResult(DeliveryOutcome.RETRY, error=f"{phase} timeout after {seconds} s")
            except httpx.TransportError as exc:
                if deadline.expired:
                    return DeliveryResult(
                        DeliveryOutcome.RETRY, error=f"no answer within {deadline.seconds:g} s"
                    )
                return DeliveryResult(DeliveryOutcome.RETRY, error=_transport_error(exc))
            try:
                excerpt = _read_excerpt(response)
            except httpx.HTTPError:
                excerpt = None  # the status is what counts; the body was a courtesy (or out of time)
            finally:
                response.close()

        status = response.status_code
        if 200 <= status < 300:
            return DeliveryResult(DeliveryOutcome.DELIVERED, status, response_excerpt=excerpt)
        outcome = DeliveryOutcome.GONE if status == 410 else DeliveryOutcome.RETRY
        hint = parse_retry_after(response.headers.get("retry-after"), now) if status in (429, 503) else None
        return DeliveryResult(outcome, status, 0, f"receiver answered {status}", hint, excerpt)

    def _build_request(
        self,
        target: ResolvedTarget,
        message_id: str,
        payload: bytes,
        secrets: Sequence[str],
        now: datetime,
        trace: Callable[[str, dict[str, Any]], None],
    ) -> httpx.Request:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        timestamp = datetime.fromtimestamp(int(now.timestamp()), tz=UTC)
        data = payload.decode("utf-8")
        signatures = " ".join(Webhook(secret).sign(message_id, timestamp, data) for secret in secrets)
        host = f"[{target.host}]" if ":" in target.host else target.host
        if target.port != (443 if target.scheme == "https" else 80):
            host += f":{target.port}"
        pinned = httpx.URL(
            scheme=target.scheme,
            host=target.addresses[0],
            port=target.port,
            raw_path=target.request_target.encode("ascii"),
        )
        headers = {
            "Host": host,
            "Content-Type": "application/json",
            "Accept-Encoding": "identity",
            "Connection": "close",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signatures,
        }
        extensions: dict[str, Any] = {"trace": trace}
        if target.scheme == "https" and not target.literal_ip:
            extensions["sni_hostname"] = target.host
        return self._client.build_request(
            "POST", pinned, content=payload, headers=headers, extensions=extensions
        )


def _transport_error(exc: httpx.TransportError) -> str:
    cause: BaseException = exc
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, ssl.SSLError):
        return "TLS handshake failed (certificate not trusted for the host?)"
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    return f"transport error ({type(exc).__name__})"


def _read_excerpt(response: httpx.Response) -> str | None:
    """At most :data:`RESPONSE_EXCERPT_BYTES` raw (undecoded) bytes of the body; the rest is
    never read (the attempt's deadline ends a body that trickles)."""
    excerpt = b""
    for chunk in response.iter_raw():
        excerpt += chunk[: RESPONSE_EXCERPT_BYTES - len(excerpt)]
        if len(excerpt) >= RESPONSE_EXCERPT_BYTES:
            break
    return excerpt.decode("utf-8", errors="replace") or None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP-date; ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def webhook_backoff(attempt: int, base_seconds: float, rng: random.Random) -> timedelta:
    """The delay after failed attempt number ``attempt`` (1-based).

    :data:`WEBHOOK_BACKOFF_STEPS` scaled by ``base_seconds / 5``, ±20 % jitter; attempts
    past the table use its last entry, so no delay exceeds 1.2 * 12 h * base / 5.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    step = WEBHOOK_BACKOFF_STEPS[min(attempt, len(WEBHOOK_BACKOFF_STEPS)) - 1]
    return timedelta(seconds=step * base_seconds / 5 * rng.uniform(0.8, 1.2))


def new_webhook_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(token_bytes(32)).decode("ascii")
