"""The one webhook URL check: its shape and the SSRF guard, run at submission and before each delivery.

Pure except for name resolution, which is injected (:func:`system_resolver` in
production). Messages name the rule that failed, never the URL's path or query:
those may carry the client's tokens. :func:`check_webhook_url` is the submission's
entry (no URL is fine); :func:`check_webhook_target` is what both run.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from lib.domain.errors import InvalidRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``resolve(host, port)`` returns the host's addresses; raises ``OSError`` when it cannot.
Resolver = Callable[[str, int], list[str]]

#: Longest webhook URL accepted.
MAX_URL_LENGTH = 2048
INVALID_CODE = "invalid_webhook_url"
UNRESOLVABLE_CODE = "webhook_host_unresolvable"
_DEFAULT_PORTS = {"https": 443, "http": 80}
_HOSTNAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
# RFC 6052 NAT64 prefixes: the last 32 bits are the IPv4 address.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# Characters left as they are in the request target; anything else is percent-encoded.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"


class UnsafeWebhookUrl(InvalidRequest):
    """Raised when a webhook URL is malformed, breaks the policy or reaches a non-public address.

    ``code`` is ``invalid_webhook_url`` when it is not an absolute http(s) URL (too
    long, unparsable, another scheme, no host), ``webhook_host_unresolvable`` when the
    host name could not be resolved (at delivery time that may be a DNS hiccup), and
    ``unsafe_webhook_url`` for everything the policy refuses.
    """

    code = "unsafe_webhook_url"


@dataclass(frozen=True)
class WebhookUrlPolicy:
    """What :func:`check_webhook_target` accepts.

    ``allow_http`` admits plain ``http``. ``allow_private_networks`` admits any
    address (loopback, private, link-local ...) and any port, because local
    development receivers listen on random ports; never set it in production.
    """

    allow_http: bool = False
    allow_private_networks: bool = False
    allowed_ports: frozenset[int] = frozenset({443, 80, 8443})


@dataclass(frozen=True)
class ResolvedTarget:
    """A vetted webhook target: connect to one of ``addresses``, never re-resolve ``host``.

    ``host`` is lower-case ASCII (IDNA), without brackets; ``request_target`` is the
    percent-encoded path and query (kept out of ``repr``: it may carry tokens).
    """

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]
    literal_ip: bool
    request_target: str = field(repr=False)


def check_webhook_url(url: str | None, policy: WebhookUrlPolicy, resolve: Resolver) -> str | None:
    """A submitted ``webhook_url``, stripped, or ``None`` when none was given (absent or blank).

    Raises :class:`UnsafeWebhookUrl` (a 400) as :func:`check_webhook_target` does.
    """
    if url is None or not url.strip():
        return None
    check_webhook_target(url, policy, resolve)
    return url.strip()


def check_webhook_target(url: str, policy: WebhookUrlPolicy, resolve: Resolver) -> ResolvedTarget:
    """Parse ``url``, apply ``policy`` and resolve the host; raise :class:`UnsafeWebhookUrl` if unsafe."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookUrl(f"webhook_url is longer than {MAX_URL_LENGTH} characters", code=INVALID_CODE)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeWebhookUrl("webhook_url is not a valid URL", code=INVALID_CODE) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        raise UnsafeWebhookUrl("webhook_url must be an absolute http(s) URL", code=INVALID_CODE)
    if "@" in parts.netloc:
        raise UnsafeWebhookUrl("webhook_url must not contain credentials")
    if not parts.hostname:
        raise UnsafeWebhookUrl("webhook_url has no host", code=INVALID_CODE)
    if scheme == "http" and not policy.allow_http:
        raise UnsafeWebhookUrl("webhook_url scheme must be https")
    port = port if port is not None else _DEFAULT_PORTS[scheme]
    if not policy.allow_private_networks and port not in policy.allowed_ports:
        allowed = ", ".join(str(p) for p in sorted(policy.allowed_ports))
        raise UnsafeWebhookUrl(f"webhook_url port {port} is not allowed (allowed: {allowed})")

    host = _ascii_host(parts.hostname)
    literal = _literal_ip(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [_address(a) for a in resolve(host, port)]
        except (OSError, UnicodeError):
            raise UnsafeWebhookUrl("webhook host could not be resolved", code=UNRESOLVABLE_CODE) from None
        if not addresses:
            raise UnsafeWebhookUrl("webhook host resolves to no address")
    if not policy.allow_private_networks:
        for address in addresses:
            problem = _address_problem(address)
            if problem:
                raise UnsafeWebhookUrl(
                    f"webhook host resolves to a {problem} address; only public ones are allowed"
                )

    request_target = quote(parts.path or "/", safe=_SAFE_PATH)
    if parts.query:
        request_target += "?" + quote(parts.query, safe=_SAFE_PATH + "?")
    unique = tuple(dict.fromkeys(str(a) for a in addresses))
    return ResolvedTarget(scheme, host, port, unique, literal is not None, request_target)


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with ``socket.getaddrinfo`` (TCP); raises ``OSError`` on failure."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)  # sorted per RFC 6724 by libc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _ascii_host(hostname: str) -> str:
    if ":" in hostname:  # an IPv6 literal, brackets already removed by urlsplit
        return hostname
    try:
        host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeWebhookUrl("webhook_url host is not a valid name") from None
    if not _HOSTNAME.fullmatch(host):
        raise UnsafeWebhookUrl("webhook_url host is not a valid name")
    return host


def _address(text: str) -> IPAddress:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise UnsafeWebhookUrl("webhook host resolved to an invalid address") from None


def _literal_ip(host: str) -> IPAddress | None:
    """The address ``host`` spells, read the way ``inet_aton``/``getaddrinfo`` would.

    Catches ``127.1``, ``0x7f.0.0.1``, ``0177.0.0.1`` and ``2130706433``: one to four
    decimal, octal (leading 0) or hex (0x) parts, the last filling the remaining bytes.
    """
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise UnsafeWebhookUrl("webhook_url host is not a valid IPv6 address") from None
    numbers: list[int] = []
    for part in host.split("."):
        if re.fullmatch(r"0x[0-9a-f]*", part):
            numbers.append(int(part[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]*", part):
            numbers.append(int(part, 8))
        elif re.fullmatch(r"[1-9][0-9]*", part):
            numbers.append(int(part))
        else:
            return None
    *head, last = numbers
    if len(numbers) > 4 or any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for number in head:
        value = value << 8 | number
    return ipaddress.IPv4Address(value << 8 * (4 - len(head)) | last)


def _address_problem(address: IPAddress) -> str | None:
    """Why ``address``, or an IPv4 address wrapped in it, is not public; ``None`` if it is."""
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        if any(address in net for net in _NAT64):
            wrapped.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        candidates = [a for a in wrapped if a is not None] + candidates
    for a in candidates:
        for problem in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
            if getattr(a, f"is_{problem}"):
                return problem.replace("_", "-")
        if not a.is_global:
            return "non-public"  # e.g. carrier-grade NAT 100.64/10
    return None
