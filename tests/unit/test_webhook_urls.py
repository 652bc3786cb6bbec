"""The SSRF guard: which webhook URLs are accepted, and why the others are refused."""

from __future__ import annotations

import socket

import pytest

from lib.domain.errors import InvalidRequest
from lib.domain.webhook_urls import (
    ResolvedTarget,
    UnsafeWebhookUrl,
    WebhookUrlPolicy,
    check_webhook_target,
    check_webhook_url,
    system_resolver,
)

NAMES: dict[str, list[str]] = {
    "public.example": ["93.184.216.34"],
    "public6.example": ["2606:4700::1111"],
    "xn--bcher-kva.example": ["93.184.216.35"],
    "internal.example": ["10.0.0.5"],
    "rebind.example": ["93.184.216.34", "10.0.0.5"],
    "localhost": ["127.0.0.1", "::1"],
    "metadata.example": ["169.254.169.254"],
    "mapped.example": ["::ffff:10.0.0.1"],
    "sixtofour.example": ["2002:a00:1::1"],  # 6to4 wrapping 10.0.0.1
    "nat64.example": ["64:ff9b::a00:1"],  # NAT64 wrapping 10.0.0.1
    "empty.example": [],
}


def fake_resolve(host: str, port: int) -> list[str]:
    try:
        return list(NAMES[host])
    except KeyError:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


STRICT = WebhookUrlPolicy()
HTTP = WebhookUrlPolicy(allow_http=True)
DEV = WebhookUrlPolicy(allow_http=True, allow_private_networks=True)
OK = None
UNSAFE = "unsafe_webhook_url"
INVALID = "invalid_webhook_url"
UNRESOLVABLE = "webhook_host_unresolvable"

CASES: list[tuple[str, WebhookUrlPolicy, str | None, str]] = [
    # url, policy, expected code (None: accepted), fragment of the message
    ("https://public.example/hook?x=1", STRICT, OK, ""),
    ("https://public.example:8443/x", STRICT, OK, ""),
    ("HTTPS://PUBLIC.EXAMPLE/", STRICT, OK, ""),
    ("https://[2606:4700::1111]/", STRICT, OK, ""),
    ("https://public6.example/", STRICT, OK, ""),
    ("https://bücher.example/", STRICT, OK, ""),
    ("http://public.example/", STRICT, UNSAFE, "scheme must be https"),
    ("http://public.example/", HTTP, OK, ""),
    ("file:///etc/passwd", STRICT, INVALID, "absolute http(s) URL"),
    ("ftp://public.example/", HTTP, INVALID, "absolute http(s) URL"),
    ("javascript:alert(1)", HTTP, INVALID, "absolute http(s) URL"),
    ("public.example/hook", HTTP, INVALID, "absolute http(s) URL"),
    ("/hook", HTTP, INVALID, "absolute http(s) URL"),
    ("https://", STRICT, INVALID, "absolute http(s) URL"),
    ("https://public.example/" + "x" * 2100, STRICT, INVALID, "longer than 2048"),
    ("https://user:pass@public.example/", STRICT, UNSAFE, "credentials"),
    ("https://token@public.example/", STRICT, UNSAFE, "credentials"),
    ("https:///hook", STRICT, INVALID, "absolute http(s) URL"),
    ("https://:443/hook", STRICT, INVALID, "no host"),
    ("https://public.example:22/", STRICT, UNSAFE, "port 22 is not allowed"),
    ("https://public.example:99999/", STRICT, INVALID, "not a valid URL"),
    ("https://1.2.3.4 x/", STRICT, UNSAFE, "not a valid name"),
    ("https://localhost/", STRICT, UNSAFE, "loopback"),
    ("https://127.0.0.1/", STRICT, UNSAFE, "loopback"),
    ("https://127.1/", STRICT, UNSAFE, "loopback"),
    ("https://0x7f.0.0.1/", STRICT, UNSAFE, "loopback"),
    ("https://2130706433/", STRICT, UNSAFE, "loopback"),
    ("https://0177.0.0.1/", STRICT, UNSAFE, "loopback"),
    ("https://[::1]/", STRICT, UNSAFE, "loopback"),
    ("https://[::ffff:127.0.0.1]/", STRICT, UNSAFE, "loopback"),
    ("https://[2002:7f00:1::]/", STRICT, UNSAFE, "loopback"),  # 6to4 wrapping 127.0.0.1
    ("https://169.254.169.254/latest/meta-data", STRICT, UNSAFE, "link-local"),
    ("https://metadata.example/", STRICT, UNSAFE, "link-local"),
    ("https://[fe80::1]/", STRICT, UNSAFE, "link-local"),
    ("https://10.1.2.3/", STRICT, UNSAFE, "private"),
    ("https://012.1.2.3/", STRICT, UNSAFE, "private"),  # octal 012 is 10
    ("https://192.168.0.1/", STRICT, UNSAFE, "private"),
    ("https://172.20.0.1/", STRICT, UNSAFE, "private"),
    ("https://[fc00::1]/", STRICT, UNSAFE, "private"),
    ("https://192.0.2.1/", STRICT, UNSAFE, "private"),  # documentation range
    ("https://100.64.0.1/", STRICT, UNSAFE, "non-public"),  # carrier-grade NAT
    ("https://0.0.0.0/", STRICT, UNSAFE, "unspecified"),
    ("https://[::]/", STRICT, UNSAFE, "unspecified"),
    ("https://224.0.0.1/", STRICT, UNSAFE, "multicast"),
    ("https://[ff02::1]/", STRICT, UNSAFE, "multicast"),
    ("https://255.255.255.255/", STRICT, UNSAFE, "address"),
    ("https://240.0.0.1/", STRICT, UNSAFE, "address"),
    ("https://internal.example/", STRICT, UNSAFE, "private"),
    ("https://rebind.example/", STRICT, UNSAFE, "private"),
    ("https://mapped.example/", STRICT, UNSAFE, "private"),
    ("https://sixtofour.example/", STRICT, UNSAFE, "private"),
    ("https://nat64.example/", STRICT, UNSAFE, "address"),
    ("https://empty.example/", STRICT, UNSAFE, "no address"),
    ("https://nowhere.example/", STRICT, UNRESOLVABLE, "could not be resolved"),
    ("http://127.0.0.1:8123/", DEV, OK, ""),
    ("https://internal.example:9999/", DEV, OK, ""),
    ("https://rebind.example/", DEV, OK, ""),
    ("https://nowhere.example/", DEV, UNRESOLVABLE, "could not be resolved"),
]


@pytest.mark.parametrize(("url", "policy", "code", "fragment"), CASES)
def test_webhook_url_table(url: str, policy: WebhookUrlPolicy, code: str | None, fragment: str) -> None:
    if code is None:
        assert isinstance(check_webhook_target(url, policy, fake_resolve), ResolvedTarget)
        return
    with pytest.raises(UnsafeWebhookUrl) as caught:
        check_webhook_target(url, policy, fake_resolve)
    assert caught.value.code == code
    assert fragment in caught.value.message


@pytest.mark.parametrize("url", [None, "", "   "])
def test_no_webhook_url_at_submission_is_fine(url: str | None) -> None:
    assert check_webhook_url(url, STRICT, fake_resolve) is None


def test_a_submitted_url_is_checked_whole_and_kept_stripped() -> None:
    assert check_webhook_url(" https://public.example/hook?x=1 ", STRICT, fake_resolve) == (
        "https://public.example/hook?x=1"
    )
    for url, code in (("ftp://public.example/", INVALID), ("https://10.0.0.1/", UNSAFE)):
        with pytest.raises(UnsafeWebhookUrl) as caught:
            check_webhook_url(url, STRICT, fake_resolve)
        assert caught.value.code == code


def test_unsafe_url_is_a_400_invalid_request() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_webhook_target("https://10.0.0.1/", STRICT, fake_resolve)
    assert caught.value.http_status == 400


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hooks/s3cr3t?token=s3cr3t",
        "http://public.example/hooks/s3cr3t?token=s3cr3t",
        "https://public.example:22/s3cr3t?token=s3cr3t",
        "https://nowhere.example/s3cr3t?token=s3cr3t",
        "https://rebind.example/s3cr3t?token=s3cr3t",
    ],
)
def test_messages_never_echo_path_or_query(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrl) as caught:
        check_webhook_target(url, STRICT, fake_resolve)
    assert "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in repr(caught.value)


def test_accepted_target_carries_what_the_sender_needs() -> None:
    target = check_webhook_target("https://Public.Example:8443/a b/é?q=1 2&t=%2F", STRICT, fake_resolve)
    assert (target.scheme, target.host, target.port) == ("https", "public.example", 8443)
    assert target.addresses == ("93.184.216.34",)
    assert not target.literal_ip
    assert target.request_target == "/a%20b/%C3%A9?q=1%202&t=%2F"
    assert "a%20b" not in repr(target)


def test_default_ports_and_literal_addresses() -> None:
    assert check_webhook_target("https://public.example", STRICT, fake_resolve).port == 443
    target = check_webhook_target("http://127.1:8123", DEV, fake_resolve)
    assert (target.port, target.addresses, target.literal_ip, target.request_target) == (
        8123,
        ("127.0.0.1",),
        True,
        "/",
    )
    v6 = check_webhook_target("https://[2606:4700::1111]/", STRICT, fake_resolve)
    assert (v6.host, v6.addresses) == ("2606:4700::1111", ("2606:4700::1111",))


def test_literal_addresses_are_not_resolved() -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError(f"resolver called for {host}")

    assert check_webhook_target("https://93.184.216.34/", STRICT, no_dns).addresses == ("93.184.216.34",)


def test_idn_hosts_are_resolved_in_ascii() -> None:
    assert (
        check_webhook_target("https://bücher.example/", STRICT, fake_resolve).host == "xn--bcher-kva.example"
    )


def test_system_resolver_uses_getaddrinfo() -> None:
    assert system_resolver("127.0.0.1", 443) == ["127.0.0.1"]
    with pytest.raises(UnsafeWebhookUrl, match="loopback"):
        check_webhook_target("https://localhost/", STRICT, system_resolver)
