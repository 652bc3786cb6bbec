"""HTTP triggers over real HTTP, against the in-process host running the sample app."""

from __future__ import annotations

import http.client
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.funchost.conftest import MAX_BODY
from tests.funchost.helpers import Reply, call
from tools.funchost import Host

pytestmark = pytest.mark.integration


def test_route_parameter_is_passed_and_matching_ignores_case(host: Host) -> None:
    assert call("GET", f"{host.url}/api/hello/World").body == b"hello World"
    reply = call("GET", f"{host.url}/API/Hello/MixedCase")
    assert reply.status == 200
    assert reply.body == b"hello MixedCase"
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"


def test_int_constraint_and_literal_precedence(host: Host) -> None:
    assert call("GET", f"{host.url}/api/items/42").json() == {"id": 42}
    assert call("GET", f"{host.url}/api/items/new").json() == {"new": True}


def test_optional_parameter(host: Host) -> None:
    assert call("GET", f"{host.url}/api/tags").json() == {"tag": None, "method": "GET"}
    assert call("GET", f"{host.url}/api/tags/red").json() == {"tag": "red", "method": "GET"}
    assert call("DELETE", f"{host.url}/api/tags/red").json() == {"tag": "red", "method": "DELETE"}


def _is_host_answer(reply: Reply, status: int) -> bool:
    """The Functions host's own answer: the status, an empty body, no JSON envelope."""
    return reply.status == status and reply.body == b"" and reply.headers.get("content-length") == "0"


def test_unknown_route_is_404_with_an_empty_body(host: Host) -> None:
    assert _is_host_answer(call("GET", f"{host.url}/api/no/such/route"), 404)
    assert _is_host_answer(call("GET", f"{host.url}/hello/World"), 404)  # the route prefix is required
    assert _is_host_answer(call("GET", f"{host.url}/api/items/abc"), 404)  # a constraint that fails


def test_wrong_method_is_404_with_an_empty_body_as_in_azure(host: Host) -> None:
    # azure-functions-host issue 10098: a known route with a method it does not take is 404 and
    # "Content-Length: 0" in Azure, not 405 with Allow.
    reply = call("POST", f"{host.url}/api/hello/World", b"")
    assert _is_host_answer(reply, 404)
    assert "allow" not in reply.headers
    assert _is_host_answer(call("GET", f"{host.url}/api/echo"), 404)
    assert _is_host_answer(call("HEAD", f"{host.url}/api/hello/World"), 404)  # issue 11625
    # Two functions share a route template, each with its own methods.
    assert _is_host_answer(call("POST", f"{host.url}/api/items/1"), 404)
    deleted = call("DELETE", f"{host.url}/api/items/1")
    assert (deleted.status, deleted.body) == (204, b"")


def test_request_reaches_function_and_response_comes_back_unchanged(host: Host) -> None:
    reply = call("POST", f"{host.url}/api/echo?a=1&a=2&b=", b"payload", {"X-Sample": "sample-value"})
    assert reply.status == 201
    assert reply.headers["x-echo"] == "yes"
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {
        "method": "POST",
        "url": f"{host.url}/api/echo?a=1&a=2&b=",
        "params": {"a": "1,2", "b": ""},
        "header": "sample-value",
        "body": "payload",
    }


def test_str_return_and_default_route(host: Host) -> None:
    assert call("GET", f"{host.url}/api/text").body == b"plain text"
    assert call("GET", f"{host.url}/api/default_route").status == 200


def test_exception_is_500_with_an_empty_body(host: Host) -> None:
    # azure-functions-host issue 2706: an unhandled exception comes back as 500 and an empty body;
    # the details (and the secret in the message) stay in the log.
    assert _is_host_answer(call("GET", f"{host.url}/api/boom"), 500)


def test_body_over_the_limit_is_413_with_an_empty_body(host: Host) -> None:
    assert call("POST", f"{host.url}/api/echo", b"x" * MAX_BODY).status == 201
    assert _is_host_answer(call("POST", f"{host.url}/api/echo", b"x" * (MAX_BODY + 1)), 413)


def test_chunked_body_over_the_limit_is_413_with_an_empty_body(host: Host) -> None:
    connection = http.client.HTTPConnection(urlsplit(host.url).netloc, timeout=30)
    chunks = (b"y" * 16384 for _ in range(MAX_BODY // 16384 + 2))
    connection.request("POST", "/api/echo", body=chunks, encode_chunked=True)
    response = connection.getresponse()
    assert (response.status, response.read(), response.getheader("content-length")) == (413, b"", "0")
    connection.close()


@pytest.mark.parametrize("route", ["slow", "aslow"])
def test_concurrent_requests_overlap(host: Host, route: str) -> None:
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda _: call("GET", f"{host.url}/api/{route}?seconds=1.5"), range(2)))
    assert [reply.status for reply in replies] == [200, 200]
    first, second = (reply.json() for reply in replies)
    # Both ran at the same time: each started before the other ended.
    assert first["start"] < second["end"]
    assert second["start"] < first["end"]


def test_the_listening_socket_is_tcp_so_responses_are_not_delayed_by_nagle() -> None:
    # asyncio sets TCP_NODELAY only on sockets created with IPPROTO_TCP; protocol 0 made
    # every response wait for the client's delayed ACK (about 40 ms).
    sock = Host(port=0)._listen()
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
