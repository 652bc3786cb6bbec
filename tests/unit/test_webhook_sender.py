"""The webhook sender against a real receiver on 127.0.0.1: what it sends, and what it reports.

The sender only reports facts (:data:`~lib.domain.webhook_outcomes.PostAnswer`);
what they mean for a delivery is tested with the domain (``test_webhook_domain.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from lib.adapters.webhook_sender import USER_AGENT, WebhookSender, build_http_client
from lib.domain.tenants import new_webhook_secret
from lib.domain.webhook_outcomes import PostAnswer, ReceiverAnswered, TargetRefused, TransportFailed
from lib.domain.webhook_urls import WebhookUrlPolicy
from tests.support.webhook_receiver import Reply, WebhookReceiver

SECRET = "whsec_" + "a2" * 21 + "a="
OTHER_SECRET = new_webhook_secret()
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
def dns() -> Dns:
    return Dns()


@contextlib.contextmanager
def running(
    client: httpx.AsyncClient, policy: WebhookUrlPolicy, dns: object, **options: float
) -> Iterator[WebhookSender]:
    sender = WebhookSender(client, policy, dns, **options)  # type: ignore[arg-type]
    try:
        yield sender
    finally:
        sender.close()


@pytest.fixture
def sender(dns: Dns) -> Iterator[WebhookSender]:
    with running(build_http_client(timeout_seconds=5.0), DEV, dns) as started:
        yield started


def hook_url(receiver: WebhookReceiver, path: str = "/hook") -> str:
    """The receiver under a name only the test's resolver knows: reaching it proves the pinning."""
    return f"{receiver.url.replace('127.0.0.1', 'hooks.test')}{path}"


def post(
    sender: WebhookSender,
    url: str,
    *,
    message_id: str = "msg_1",
    secrets: tuple[str, ...] = (SECRET,),
    now: dt.datetime | None = None,
) -> PostAnswer:
    return sender.post(
        url, message_id=message_id, payload=PAYLOAD, secrets=secrets, now=now or dt.datetime.now(dt.UTC)
    )


def test_delivery_is_signed_and_verifies_at_the_receiver(
    sender: WebhookSender, receiver: WebhookReceiver
) -> None:
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=5)))  # any zone: the header is unix time
    answer = post(sender, hook_url(receiver, "/hook?x=1"), now=now)

    assert isinstance(answer, ReceiverAnswered)
    assert (answer.status_code, answer.retry_after) == (204, None)
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
    post(sender, hook_url(receiver))
    [request] = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.body.replace(b"succeeded", b"failed"), request.headers)
    moved = {**request.headers, "webhook-timestamp": str(int(request.headers["webhook-timestamp"]) - 1)}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.body, moved)


def test_each_secret_signs_during_rotation(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    post(sender, hook_url(receiver), secrets=(SECRET, OTHER_SECRET))
    [request] = receiver.requests
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(signature.startswith("v1,") for signature in signatures)
    for secret, signature in zip((SECRET, OTHER_SECRET), signatures, strict=True):
        Webhook(secret).verify(request.body, {**request.headers, "webhook-signature": signature})
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(request.body, request.headers)


@pytest.mark.parametrize("status", [200, 202, 204, 302, 400, 404, 410, 500, 502])
def test_the_status_is_reported_as_it_came(
    sender: WebhookSender, receiver: WebhookReceiver, status: int
) -> None:
    receiver.enqueue(Reply(status, body=b"receiver says hi"))
    answer = post(sender, hook_url(receiver))
    assert isinstance(answer, ReceiverAnswered)
    assert (answer.status_code, answer.retry_after) == (status, None)


def test_retry_after_is_passed_on_raw(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    receiver.enqueue(Reply.retry_after("7"), Reply.retry_after("Mon, 01 Jan 2024 00:00:30 GMT", 503))
    first, second = post(sender, hook_url(receiver)), post(sender, hook_url(receiver))
    assert (first, second) == (
        ReceiverAnswered(429, "7", first.duration_ms),
        ReceiverAnswered(503, "Mon, 01 Jan 2024 00:00:30 GMT", second.duration_ms),
    )


def test_redirect_is_not_followed(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    receiver.enqueue(Reply.redirect(f"{receiver.url}/elsewhere"))
    answer = post(sender, hook_url(receiver))
    assert isinstance(answer, ReceiverAnswered)
    assert answer.status_code == 302
    assert [request.path for request in receiver.requests] == ["/hook"]


def test_slow_receiver_times_out(dns: Dns, receiver: WebhookReceiver) -> None:
    receiver.enqueue(Reply(204, delay=60))  # released when the receiver stops
    with running(build_http_client(timeout_seconds=0.3), DEV, dns) as slow:
        answer = post(slow, hook_url(receiver))
    assert isinstance(answer, TransportFailed)
    assert answer.error == "read timeout after 0.3 s"


def test_receiver_down_is_a_connection_error(sender: WebhookSender) -> None:
    with WebhookReceiver() as stopped:
        url = hook_url(stopped)
    answer = post(sender, url)
    assert isinstance(answer, TransportFailed)
    assert answer.error == "connection refused"


def test_the_response_body_is_never_read(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    huge = 1 << 30
    receiver.enqueue(Reply(200, stream_bytes=huge))
    answer = post(sender, hook_url(receiver))
    assert isinstance(answer, ReceiverAnswered)
    assert answer.status_code == 200
    [request] = receiver.requests
    assert request.answered.wait(10)  # the receiver's write failed: the connection was closed
    assert request.bytes_sent < huge


def test_message_id_is_the_webhook_id_on_every_attempt(
    sender: WebhookSender, receiver: WebhookReceiver
) -> None:
    receiver.enqueue(Reply(500), Reply(204))
    post(sender, hook_url(receiver), message_id="msg_same")
    post(sender, hook_url(receiver), message_id="msg_same")
    assert [r.headers["webhook-id"] for r in receiver.requests] == ["msg_same", "msg_same"]


def test_url_failing_the_guard_is_refused_and_nothing_is_sent(dns: Dns, receiver: WebhookReceiver) -> None:
    with running(build_http_client(5.0), WebhookUrlPolicy(allow_http=True), dns) as strict:
        for url in (hook_url(receiver), f"{receiver.url}/hook"):
            answer = post(strict, url)
            assert isinstance(answer, TargetRefused)
            assert "port" in answer.reason
            assert not answer.unresolvable
    only_port = WebhookUrlPolicy(allow_http=True, allowed_ports=frozenset({receiver.port}))
    with running(build_http_client(5.0), only_port, dns) as ports_ok:
        answer = post(ports_ok, hook_url(receiver))
    assert isinstance(answer, TargetRefused)
    assert "loopback" in answer.reason
    assert receiver.requests == []


def test_dns_is_checked_again_at_delivery(sender: WebhookSender, dns: Dns, receiver: WebhookReceiver) -> None:
    assert isinstance(post(sender, hook_url(receiver)), ReceiverAnswered)
    dns.names["hooks.test"] = []
    assert post(sender, hook_url(receiver)) == TargetRefused("webhook host resolves to no address")
    del dns.names["hooks.test"]
    assert post(sender, hook_url(receiver)) == TargetRefused(
        "webhook host could not be resolved", unresolvable=True
    )
    assert len(receiver.requests) == 1


def test_connects_to_the_vetted_address_only(receiver: WebhookReceiver) -> None:
    answers = iter([["127.0.0.1"]])  # a second lookup (a rebinding window) would fail

    def resolve_once(host: str, port: int) -> list[str]:
        return next(answers)

    with running(build_http_client(5.0), DEV, resolve_once) as once:
        assert isinstance(post(once, hook_url(receiver)), ReceiverAnswered)
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


def tls_pair(tmp_path: Path, cert_name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed certificate for ``cert_name``, and a client trusting it."""
    pem = self_signed(tmp_path, cert_name)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(pem)
    return server_tls, ssl.create_default_context(cafile=pem)


@pytest.mark.parametrize(("cert_name", "delivered"), [("hooks.test", True), ("other.test", False)])
def test_https_sends_the_name_as_sni_and_verifies_the_certificate_against_it(
    tmp_path: Path, dns: Dns, cert_name: str, delivered: bool
) -> None:
    server_tls, client_tls = tls_pair(tmp_path, cert_name)
    with (
        WebhookReceiver(tls=server_tls) as receiver,
        running(build_http_client(5.0, verify=client_tls), DEV, dns) as sender,
    ):
        answer = post(sender, hook_url(receiver))
        assert receiver.sni_names == ["hooks.test"]
        if delivered:
            assert isinstance(answer, ReceiverAnswered)
            assert receiver.requests[0].headers["host"] == f"hooks.test:{receiver.port}"
        else:
            assert isinstance(answer, TransportFailed)
            assert answer.error.startswith("TLS handshake failed")
            assert receiver.requests == []


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
def test_httpx_errors_become_transport_failures(exc: httpx.TransportError, error: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc

    client = httpx.AsyncClient(transport=httpx.MockTransport(fail), timeout=5.0)
    with running(client, DEV, Dns()) as failing:
        answer = post(failing, "http://hooks.test/hook")
    assert answer == TransportFailed(error, answer.duration_ms)


def test_programming_errors_still_raise(sender: WebhookSender) -> None:
    with pytest.raises(ValueError, match="secret"):
        post(sender, "http://hooks.test/", secrets=())
    with pytest.raises(ValueError, match="timezone"):
        post(sender, "http://hooks.test/", now=dt.datetime(2024, 1, 1))


def test_request_urls_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with (
        WebhookReceiver() as receiver,
        running(build_http_client(5.0), DEV, lambda h, p: ["127.0.0.1"]) as sender,
        caplog.at_level(logging.DEBUG),
    ):
        answer = post(sender, f"{receiver.url}/hook?token=s3cret", secrets=(new_webhook_secret(),))

    assert isinstance(answer, ReceiverAnswered)
    assert "s3cret" not in caplog.text


def test_many_threads_share_one_sender(sender: WebhookSender, receiver: WebhookReceiver) -> None:
    answers: list[PostAnswer] = []

    def one(number: int) -> None:
        answers.append(post(sender, hook_url(receiver), message_id=f"msg_{number}"))

    threads = [threading.Thread(target=one, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [type(answer) for answer in answers] == [ReceiverAnswered] * 8
    assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(f"msg_{n}" for n in range(8))


def test_close_is_idempotent_and_a_closed_sender_was_never_started(dns: Dns) -> None:
    sender = WebhookSender(build_http_client(5.0), DEV, dns)
    sender.close()
    sender.close()


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
    server_tls, client_tls = tls_pair(tmp_path, "hooks.test") if scheme == "https" else (None, None)
    with (
        Trickler(b"HTTP/1.1 200 OK\r\n", b"X-Slow: aaaaaaaa\r\n", tls=server_tls, limit=60) as trickler,
        running(build_http_client(0.3, verify=client_tls or True), DEV, dns) as sender,
    ):
        answer = post(sender, trickler.url)

    # Every read got a byte well within 0.3 s: only the attempt's deadline (3 x 0.3 s) ends it.
    assert answer == TransportFailed("no answer within 0.9 s", answer.duration_ms)


def test_a_receiver_trickling_its_body_is_delivered_at_once(dns: Dns) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
    with (
        Trickler(head, b"x", limit=60) as trickler,
        running(build_http_client(0.3), DEV, dns, attempt_seconds=30) as sender,
    ):
        answer = post(sender, trickler.url)

    # Delivered once the headers are in: the body is not waited for (no 30 s deadline, no 60 s trickle).
    assert isinstance(answer, ReceiverAnswered)
    assert answer.status_code == 200
