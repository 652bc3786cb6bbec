"""Outbound webhooks: one signed POST per call, reported as a plain value, nothing raised.

Requests follow Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``). This module makes the request and translates httpx's
exceptions into a :data:`~lib.domain.webhook_outcomes.PostAnswer`: the receiver's
status (and ``Retry-After``), a transport failure with a short sentence, or the
SSRF guard's refusal. What that means for the delivery is decided in
:func:`lib.domain.webhook_outcomes.classify`.

Time: httpx's time-outs bound each step (connect, write, each read), but a receiver
that trickles its status line and headers a byte at a time never trips them. So the
whole exchange runs under ``asyncio.timeout`` (the total deadline httpx's maintainers
point to, encode/httpx#1450), on one event loop the sender keeps in a thread of its
own; the response body is never read (only the status counts), so the exchange ends
as soon as the headers are in.

DNS rebinding: the guard resolves the host and vets every address; the request
then goes to the first vetted address (the URL's host is replaced by the IP), with
the original ``Host`` header and, for https, the original name as TLS SNI
(httpcore's ``sni_hostname`` extension), so the certificate is still verified
against the name. ``Connection: close`` keeps a connection opened for one name
from being reused for another name that shares its IP.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Final, TypeVar

import httpx
from standardwebhooks import Webhook

from lib.domain.webhook_outcomes import PostAnswer, ReceiverAnswered, TargetRefused, TransportFailed
from lib.domain.webhook_urls import (
    UNRESOLVABLE_CODE,
    ResolvedTarget,
    Resolver,
    UnsafeWebhookUrl,
    WebhookUrlPolicy,
    check_webhook_target,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT: Final = "medical-report-parser-webhooks/1"
_TIMEOUT_PHASES: Final = {
    httpx.ConnectTimeout: "connect",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


def build_http_client(timeout_seconds: float, *, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """The one client for webhooks: no redirects, no env proxies, no cookies, a fixed User-Agent."""
    # httpx logs every request's URL at INFO; a receiver's path or query may carry its tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds),
        verify=verify,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
        # Receivers must not plant cookies that the client would send to other receivers.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    )


class WebhookSender:
    """The :class:`lib.ports.webhooks.WebhookPoster` port: signs and POSTs through an injected client.

    ``resolve`` is called at every delivery; see :mod:`lib.domain.webhook_urls`.
    Each step of an attempt is bounded by the client's time-outs, and the whole
    attempt by ``attempt_seconds`` (three times the client's read time-out unless
    given). The client is only ever used on the sender's own event loop, started on
    first use and stopped by :meth:`close`; calls from any number of threads share it.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        policy: WebhookUrlPolicy,
        resolve: Resolver,
        *,
        attempt_seconds: float | None = None,
    ) -> None:
        self._client = client
        self._policy = policy
        self._resolve = resolve
        self._attempt_seconds = attempt_seconds or 3 * (client.timeout.read or 10.0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the HTTP client and stop the event loop (at shutdown)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._client.aclose(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()

    def post(
        self, url: str, *, message_id: str, payload: bytes, secrets: Sequence[str], now: datetime
    ) -> PostAnswer:
        """POST ``payload`` (UTF-8 JSON) to ``url``, signed with each of ``secrets``.

        ``message_id`` must be the same on every retry of one message; ``now`` must be
        timezone-aware. Never raises for anything the network or the receiver does.
        """
        if not secrets:
            raise ValueError("a webhook needs at least one signing secret")
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        try:
            target = check_webhook_target(url, self._policy, self._resolve)
        except UnsafeWebhookUrl as exc:
            logger.info("webhook %s: not sent (%s)", message_id, exc.code)
            return TargetRefused(exc.message, unresolvable=exc.code == UNRESOLVABLE_CODE)
        try:
            request = self._build_request(target, message_id, payload, secrets, now)
        except httpx.InvalidURL:
            return TargetRefused("webhook_url cannot be requested")
        started = time.monotonic()
        answer = self._run(self._exchange(request))
        duration_ms = int((time.monotonic() - started) * 1000)
        if isinstance(answer, ReceiverAnswered):
            logger.info("webhook %s: receiver answered %d", message_id, answer.status_code)
            return ReceiverAnswered(answer.status_code, answer.retry_after, duration_ms)
        logger.info("webhook %s: %s", message_id, answer.error)
        return TransportFailed(answer.error, duration_ms)

    async def _exchange(self, request: httpx.Request) -> ReceiverAnswered | TransportFailed:
        try:
            async with asyncio.timeout(self._attempt_seconds):
                response = await self._client.send(request, stream=True)
                await response.aclose()  # the body is never read: only the status counts
        except TimeoutError:
            return TransportFailed(f"no answer within {self._attempt_seconds:g} s")
        except httpx.TimeoutException as exc:
            phase = _TIMEOUT_PHASES.get(type(exc), "read")
            return TransportFailed(f"{phase} timeout after {getattr(self._client.timeout, phase)} s")
        except httpx.TransportError as exc:
            return TransportFailed(_transport_error(exc))
        return ReceiverAnswered(response.status_code, response.headers.get("retry-after"))

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._event_loop()).result()

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="webhook-sender", daemon=True
                )
                self._thread.start()
            return self._loop

    def _build_request(
        self,
        target: ResolvedTarget,
        message_id: str,
        payload: bytes,
        secrets: Sequence[str],
        now: datetime,
    ) -> httpx.Request:
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
        extensions: dict[str, Any] = {}
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
