"""The webhook sender against a real receiver on 127.0.0.1, plus its pure helpers."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import itertools
import json
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from lib.adapters.webhook_sender import (
    USER_AGENT,
    WEBHOOK_BACKOFF_STEPS,
    DeliveryOutcome,
    DeliveryResult,
    WebhookSender,
    build_http_client,
    new_webhook_secret,
    parse_retry_after,
    webhook_backoff,
)
from lib.domain.webhook_urls import WebhookUrlPolicy
from tests.support.webhook_receiver import Reply, WebhookReceiver

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
PAYLOAD = json.dumps({"job_id": "job_123", "status": "succeeded"}).encode()
DEV = WebhookUrlPolicy(allow_http=True, allow_private_networks=True)


class Dns:
    """A resolver whose answers a test can change between deliveries."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {"hooks.test": ["127.0.0.1"]}

    def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.names:
            raise OSError("Name or service not known")
        return list(self.names[host])


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with build_http_client(timeout_seconds=5.0) as http:
        yield http


@pytest.fixture
def dns() -> Dns:
    return Dns()


@pytest.fixture
def sender(client: httpx.Client, dns: Dns) -> WebhookSender:
    return WebhookSender(client, DEV, dns)


def hook_url(receiver: WebhookReceiver, path: str = "/hook") -> str:
    """The receiver under a name only the test's resolver knows: reaching it proves the pinning."""
    return f"{receiver.url.replace('127.0.0.1', 'hooks.test')}{path}"


def deliver(
    sender: WebhookSender,
    url: str,
    *,
    message_id: str = "msg_1",
    secrets: tuple[str, ...] = (SECRET,),
    now: dt.datetime | None = None,
) -> DeliveryResult:
    return sender.deliver(
        url, message_id=message_id, payload=PAYLOAD, secrets=secrets, now=now or dt.datetime.now(dt.UTC)
    )


def test_delivery_is_signed_and_verifies_at_the_receiver(
    sender: WebhookSender, receiver: WebhookReceiver
) -> None:
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=5)))  # any zone: the header is unix time
    result = deliver(sender, hook_url(receiver, "/hook?x=1"), now=now)

    assert result.outcome is DeliveryOutcome.DELIVERED
    assert (result.status_code, result.error) == (204, None)
    [request] = receiver.requests
    assert Webhook(SECRET).verify(request.body, request.headers) == json.loads(PAYLOAD)
    assert (request.method, request.path, request.body) == ("POST", "/hook?x=1", PAYLOAD)
    assert request.headers["host"] == f"hooks.test:{receiver.port}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["webhook-timestamp"] == str(int(now.timestamp()))


def test_tampered_body_or_timestamp_fails_verification(
    sender: WebhookSender, receiver: WebhookReceiver
) -> None:
    deliver(sender, hook_url(receiver))
    [request] = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.body.replace(b"succeeded", b"failed"), request.headers)
    moved = {**request.headers, "webhook-timestamp": str(int(request.headers["webhook-timestamp"]) - 1)}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.body, moved)


def test_each_secret_signs_during_rotation(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    deliver(sender, hook_url(receiver), secrets=(SECRET, OTHER_SECRET))
    [request] = receiver.requests
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(signature.startswith("v1,") for signature in signatures)
    for secret, signature in zip((SECRET, OTHER_SECRET), signatures, strict=True):
        Webhook(secret).verify(request.body, {**request.headers, "webhook-signature": signature})
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(request.body, request.headers)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, DeliveryOutcome.DELIVERED),
        (204, DeliveryOutcome.DELIVERED),
        (202, DeliveryOutcome.DELIVERED),
        (500, DeliveryOutcome.RETRY),
        (502, DeliveryOutcome.RETRY),
        (400, DeliveryOutcome.RETRY),
        (401, DeliveryOutcome.RETRY),
        (404, DeliveryOutcome.RETRY),
        (408, DeliveryOutcome.RETRY),
        (410, DeliveryOutcome.GONE),
    ],
)
def test_status_codes_map_to_outcomes(
    sender: WebhookSender, receiver: WebhookReceiver, status: int, outcome: DeliveryOutcome
) -> None:
    receiver.enqueue(Reply(status, body=b"receiver says hi"))
    result = deliver(sender, hook_url(receiver))
    assert (result.outcome, result.status_code) == (outcome, status)
    assert result.response_excerpt == (None if status == 204 else "receiver says hi")  # 204 has no body
    assert (result.error is None) == (outcome is DeliveryOutcome.DELIVERED)
    assert result.retry_after_seconds is None


def test_429_retry_after_seconds(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    receiver.enqueue(Reply.retry_after("7"))
    result = deliver(sender, hook_url(receiver))
    assert (result.outcome, result.status_code, result.retry_after_seconds) == (
        DeliveryOutcome.RETRY,
        429,
        7.0,
    )


def test_503_retry_after_http_date(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    receiver.enqueue(Reply.retry_after(format_datetime(now + dt.timedelta(minutes=2), usegmt=True), 503))
    result = deliver(sender, hook_url(receiver), now=now)
    assert (result.outcome, result.status_code, result.retry_after_seconds) == (
        DeliveryOutcome.RETRY,
        503,
        120.0,
    )


def test_redirect_is_not_followed(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    receiver.enqueue(Reply.redirect(f"{receiver.url}/elsewhere"))
    result = deliver(sender, hook_url(receiver))
    assert (result.outcome, result.status_code) == (DeliveryOutcome.RETRY, 302)
    assert [request.path for request in receiver.requests] == ["/hook"]


def test_slow_receiver_times_out(dns: Dns, receiver: WebhookReceiver) -> None:
    receiver.enqueue(Reply(204, delay=60))  # released when the receiver stops
    with build_http_client(timeout_seconds=0.3) as http:
        result = deliver(WebhookSender(http, DEV, dns), hook_url(receiver))
    assert (result.outcome, result.status_code) == (DeliveryOutcome.RETRY, None)
    assert result.error == "read timeout after 0.3 s"


def test_receiver_down_is_a_connection_error(sender: WebhookSender) -> None:
    with WebhookReceiver() as stopped:
        url = hook_url(stopped)
    result = deliver(sender, url)
    assert (result.outcome, result.status_code, result.error) == (
        DeliveryOutcome.RETRY,
        None,
        "connection refused",
    )


def test_huge_response_body_is_not_read_beyond_the_cap(
    sender: WebhookSender, receiver: WebhookReceiver
) -> None:
    huge = 1 << 30
    receiver.enqueue(Reply(200, stream_bytes=huge))
    result = deliver(sender, hook_url(receiver))
    assert (result.outcome, result.response_excerpt) == (DeliveryOutcome.DELIVERED, "x" * 2048)
    [request] = receiver.requests
    assert request.answered.wait(10)
    assert request.bytes_sent < huge


def test_message_id_is_the_webhook_id_on_every_attempt(
    sender: WebhookSender, receiver: WebhookReceiver
) -> None:
    receiver.enqueue(Reply(500), Reply(204))
    first = deliver(sender, hook_url(receiver), message_id="msg_same")
    second = deliver(sender, hook_url(receiver), message_id="msg_same")
    assert (first.outcome, second.outcome) == (DeliveryOutcome.RETRY, DeliveryOutcome.DELIVERED)
    assert [r.headers["webhook-id"] for r in receiver.requests] == ["msg_same", "msg_same"]


def test_url_failing_the_guard_is_refused_and_nothing_is_sent(
    client: httpx.Client, dns: Dns, receiver: WebhookReceiver
) -> None:
    strict = WebhookSender(client, WebhookUrlPolicy(allow_http=True), dns)
    for url in (hook_url(receiver), f"{receiver.url}/hook"):
        result = deliver(strict, url)
        assert (result.outcome, result.status_code) == (DeliveryOutcome.REFUSED, None)
        assert result.error is not None
        assert "port" in result.error
    ports_ok = WebhookSender(
        client, WebhookUrlPolicy(allow_http=True, allowed_ports=frozenset({receiver.port})), dns
    )
    result = deliver(ports_ok, hook_url(receiver))
    assert result.outcome is DeliveryOutcome.REFUSED
    assert result.error is not None
    assert "loopback" in result.error
    assert receiver.requests == []


def test_dns_is_checked_again_at_delivery(sender: WebhookSender, dns: Dns, receiver: WebhookReceiver) -> None:
    assert deliver(sender, hook_url(receiver)).outcome is DeliveryOutcome.DELIVERED
    dns.names["hooks.test"] = []
    assert deliver(sender, hook_url(receiver)).outcome is DeliveryOutcome.REFUSED
    del dns.names["hooks.test"]
    unresolved = deliver(sender, hook_url(receiver))
    assert (unresolved.outcome, unresolved.error) == (
        DeliveryOutcome.RETRY,
        "webhook host could not be resolved",
    )
    assert len(receiver.requests) == 1


def test_connects_to_the_vetted_address_only(client: httpx.Client, receiver: WebhookReceiver) -> None:
    answers = iter([["127.0.0.1"]])  # a second lookup (a rebinding window) would fail

    def resolve_once(host: str, port: int) -> list[str]:
        return next(answers)

    result = deliver(WebhookSender(client, DEV, resolve_once), hook_url(receiver))
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert receiver.requests[0].headers["host"] == f"hooks.test:{receiver.port}"


def self_signed(tmp_path: Path, name: str) -> Path:
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / f"{name}.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return pem


@pytest.mark.parametrize(("cert_name", "outcome"), [("hooks.test", "delivered"), ("other.test", "retry")])
def test_https_sends_the_name_as_sni_and_verifies_the_certificate_against_it(
    tmp_path: Path, dns: Dns, cert_name: str, outcome: str
) -> None:
    pem = self_signed(tmp_path, cert_name)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(pem)
    with (
        WebhookReceiver(tls=server_tls) as receiver,
        httpx.Client(verify=ssl.create_default_context(cafile=pem), trust_env=False, timeout=5.0) as http,
    ):
        result = deliver(WebhookSender(http, DEV, dns), hook_url(receiver))
        assert result.outcome == outcome
        assert receiver.sni_names == ["hooks.test"]
        if outcome == "retry":
            assert result.error is not None
            assert result.error.startswith("TLS handshake failed")
            assert receiver.requests == []
        else:
            assert receiver.requests[0].headers["host"] == f"hooks.test:{receiver.port}"


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ConnectTimeout("t"), "connect timeout after 5.0 s"),
        (httpx.ReadTimeout("t"), "read timeout after 5.0 s"),
        (httpx.WriteTimeout("t"), "write timeout after 5.0 s"),
        (httpx.PoolTimeout("t"), "pool timeout after 5.0 s"),
        (httpx.ConnectError("c"), "connection failed"),
        (httpx.ReadError("r"), "transport error (ReadError)"),
        (httpx.RemoteProtocolError("p"), "transport error (RemoteProtocolError)"),
        (httpx.ProxyError("p"), "transport error (ProxyError)"),
    ],
)
def test_httpx_errors_become_retry_results(exc: httpx.TransportError, error: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc

    with httpx.Client(transport=httpx.MockTransport(fail), timeout=5.0) as http:
        result = deliver(WebhookSender(http, DEV, Dns()), "http://hooks.test/hook")
    assert (result.outcome, result.status_code, result.error) == (DeliveryOutcome.RETRY, None, error)


def test_programming_errors_still_raise(sender: WebhookSender) -> None:
    with pytest.raises(ValueError, match="secret"):
        deliver(sender, "http://hooks.test/", secrets=())
    with pytest.raises(ValueError, match="timezone"):
        deliver(sender, "http://hooks.test/", now=dt.datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("soon", None),
        ("-5", None),
        ("Mon, 01 Jan 2024 00:00:30 GMT", 30.0),
        ("Sun, 31 Dec 2023 23:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) == seconds


class Extreme(random.Random):
    """Jitter pinned to one end of its range."""

    def __init__(self, end: str) -> None:
        super().__init__(0)
        self.end = end

    def uniform(self, a: float, b: float) -> float:
        return {"low": a, "high": b, "mid": (a + b) / 2}[self.end]


def test_backoff_schedule_for_a_5_second_base() -> None:
    expected = [5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600]
    delays = [webhook_backoff(attempt, 5, Extreme("mid")) for attempt in range(1, 10)]
    assert [round(delay.total_seconds()) for delay in delays] == expected
    assert webhook_backoff(1, 10, Extreme("mid")) == dt.timedelta(seconds=10)


def test_backoff_ceilings_are_monotone_and_capped() -> None:
    ceilings = [webhook_backoff(attempt, 5, Extreme("high")) for attempt in range(1, 20)]
    assert ceilings == sorted(ceilings)
    assert ceilings[-1] == ceilings[8] == dt.timedelta(hours=12) * 1.2


def test_backoff_jitter_stays_within_20_percent() -> None:
    rng = random.Random(42)
    for attempt in range(1, 15):
        step = WEBHOOK_BACKOFF_STEPS[min(attempt, len(WEBHOOK_BACKOFF_STEPS)) - 1]
        for _ in range(50):
            seconds = webhook_backoff(attempt, 5, rng).total_seconds()
            assert 0.8 * step <= seconds <= 1.2 * step
    assert webhook_backoff(3, 5, Extreme("low")) == dt.timedelta(seconds=96)
    with pytest.raises(ValueError, match="attempt"):
        webhook_backoff(0, 5, rng)


def test_new_webhook_secret() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_webhook_secret() != secret
    now = dt.datetime.now(dt.UTC)
    signature = Webhook(secret).sign("msg_1", now, "{}")
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    assert Webhook(secret).verify("{}", headers) == {}


def test_request_urls_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    client = build_http_client(5.0)
    sender = WebhookSender(
        client, WebhookUrlPolicy(allow_http=True, allow_private_networks=True), lambda h, p: ["127.0.0.1"]
    )

    with WebhookReceiver() as receiver, caplog.at_level(logging.DEBUG):
        result = sender.deliver(
            f"{receiver.url}/hook?token=s3cret",
            message_id="msg_1",
            payload=b"{}",
            secrets=[new_webhook_secret()],
            now=dt.datetime.now(dt.UTC),
        )
    client.close()

    assert result.outcome is DeliveryOutcome.DELIVERED
    assert "s3cret" not in caplog.text


class Trickler:
    """A receiver on 127.0.0.1 that answers a byte every ``interval`` seconds, never finishing.

    ``head`` goes out first (whole), then the trickle: enough to keep every read of the
    client under its time-out, for ``limit`` seconds (then it hangs up, so that a client
    without a deadline fails the test instead of hanging it).
    """

    def __init__(
        self,
        head: bytes,
        trickle: bytes,
        *,
        tls: ssl.SSLContext | None = None,
        interval: float = 0.05,
        limit: float = 10.0,
    ) -> None:
        self.head, self.trickle, self.interval, self.limit = head, trickle, interval, limit
        self.tls = tls
        self.stop = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://hooks.test:{self.server.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Trickler:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.server.close()
        self.thread.join(5)

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            connection, _ = self.server.accept()
            if self.tls is not None:
                connection = self.tls.wrap_socket(connection, server_side=True)
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += connection.recv(65536)
                connection.sendall(self.head)
                until = time.monotonic() + self.limit
                for byte in itertools.cycle(self.trickle):
                    if self.stop.wait(self.interval) or time.monotonic() > until:
                        return
                    connection.sendall(bytes([byte]))


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_receiver_trickling_its_headers_is_cut_off_at_the_attempts_deadline(
    tmp_path: Path, dns: Dns, scheme: str
) -> None:
    server_tls = client_tls = None
    if scheme == "https":
        pem = self_signed(tmp_path, "hooks.test")
        server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_tls.load_cert_chain(pem)
        client_tls = ssl.create_default_context(cafile=pem)
    with (
        Trickler(b"HTTP/1.1 200 OK\r\n", b"X-Slow: aaaaaaaa\r\n", tls=server_tls) as trickler,
        httpx.Client(verify=client_tls or True, trust_env=False, timeout=0.3) as http,
    ):
        started = time.monotonic()
        result = deliver(WebhookSender(http, DEV, dns), trickler.url)
        took = time.monotonic() - started

    assert (result.outcome, result.status_code) == (DeliveryOutcome.RETRY, None)
    assert result.error == "no answer within 0.9 s"  # three times the per-step time-out
    assert 0.9 <= took < 3


def test_a_receiver_trickling_its_body_is_delivered_and_cut_off(dns: Dns) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
    with Trickler(head, b"x") as trickler, build_http_client(timeout_seconds=0.3) as http:
        started = time.monotonic()
        result = deliver(WebhookSender(http, DEV, dns, attempt_seconds=0.5), trickler.url)
        took = time.monotonic() - started

    assert (result.outcome, result.status_code) == (DeliveryOutcome.DELIVERED, 200)
    assert took < 3
