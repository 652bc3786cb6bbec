"""HTTP triggers: route templates as the Functions host reads them, and a small ASGI app serving them.

Templates follow ASP.NET routing as far as apps here need it: ``{name}``, ``{name?}``,
``{name=default}``, ``{*rest}`` and the constraints ``int``, ``long``, ``alpha``, ``bool``,
``guid``, ``double``, ``float``, ``decimal``. Matching ignores case; literal segments beat
parameters, constrained parameters beat free ones. Auth levels are not enforced (neither does
Core Tools locally): function keys are an Azure front-end concern.

What the host itself answers carries no body, as the Functions host's do; the app's JSON error
envelope is the app's business and never appears here:

- no function for the path, or one for the path but not the method (also HEAD on a GET route):
  404, empty body (azure-functions-host issue 10098, "Function app should return 405 for request
  on known route but unsupported HTTP method", shows ``404 Not Found``, ``Content-Length: 0``;
  issue 11625 the same for HEAD);
- a body over ``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT``: 413, empty body, before the body is read
  (the host's ASP.NET Core server refuses it as "Request body too large", azure-functions-host
  issue 5614);
- a function that raised, timed out, or returned something that is not an HTTP response: 500,
  empty body, details only in the log (azure-functions-host issue 2706: an empty string with a
  500 response code).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import azure.functions as func

from .config import HostConfigError
from .invoker import Invoker
from .loader import FunctionInfo

log = logging.getLogger("funchost")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

# The Functions host buffers each request body, up to 100 MB unless the app setting
# FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (bytes) says otherwise (Azure Functions app settings
# reference, "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT").
DEFAULT_MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024
BODY_SIZE_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"


def body_size_limit(environ: Mapping[str, str]) -> int:
    """The request body limit the app settings give, as the Functions host reads it."""
    value = environ.get(BODY_SIZE_SETTING, "").strip()
    if not value:
        return DEFAULT_MAX_REQUEST_BODY_BYTES
    if not value.isdigit() or int(value) == 0:
        raise HostConfigError(f"{BODY_SIZE_SETTING} must be a positive number of bytes")
    return int(value)


_PARAM = re.compile(r"\{(\*?)(\w+)(?::([^}?=]+))?(\?)?(?:=([^}]*))?\}")
_NUMBER = r"-?\d+(?:\.\d+)?"
_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "alpha": r"[a-z]+",
    "bool": r"true|false",
    "guid": r"\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?",
    "double": _NUMBER,
    "float": _NUMBER,
    "decimal": _NUMBER,
}


def _param_regex(constraint: str | None) -> str:
    if constraint is None:
        return r"[^/]+?"
    if constraint.lower() not in _CONSTRAINTS:
        raise ValueError(f"route constraint {constraint!r} is not supported by the local host")
    return f"(?:{_CONSTRAINTS[constraint.lower()]})"


@dataclass(frozen=True)
class Route:
    """A compiled route template bound to its function."""

    info: FunctionInfo
    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str] | None  # None: every method
    defaults: dict[str, str] = field(default_factory=dict)
    rank: tuple[int, ...] = ()


def compile_template(template: str) -> tuple[re.Pattern[str], dict[str, str], tuple[int, ...]]:
    """Regex, default values and precedence rank (lower wins) of a route template."""
    regex, defaults, rank = "", {}, []
    for segment in (part for part in template.split("/") if part):
        whole = _PARAM.fullmatch(segment)
        if whole and (whole[1] or whole[4] or whole[5] is not None):
            # A whole-segment parameter that may be absent: catch-all, optional or defaulted.
            inner = ".*" if whole[1] else _param_regex(whole[3])
            regex += f"(?:/(?P<{whole[2]}>{inner}))?"
            if whole[5] is not None:
                defaults[whole[2]] = whole[5]
            rank.append(4 if whole[1] else 3)
            continue
        position, piece, kind = 0, "", 0
        for match in _PARAM.finditer(segment):
            if match[1] or match[4] or match[5] is not None:
                raise ValueError(
                    f"route {template!r}: optional and catch-all parameters need their own segment"
                )
            piece += (
                re.escape(segment[position : match.start()]) + f"(?P<{match[2]}>{_param_regex(match[3])})"
            )
            kind = max(kind, 1 if match[3] else 2)
            position = match.end()
        regex += "/" + piece + re.escape(segment[position:])
        rank.append(kind)
    return re.compile(f"^{regex}/?$", re.IGNORECASE), defaults, tuple(rank)


class Router:
    """Finds the function for a method and path (none: the host answers 404)."""

    def __init__(self, route_prefix: str) -> None:
        self.route_prefix = route_prefix.strip("/")
        self.routes: list[Route] = []

    def add(self, info: FunctionInfo) -> Route:
        """Register an HTTP-triggered function under the route prefix."""
        relative = info.name if info.trigger.route is None else str(info.trigger.route)
        template = f"{self.route_prefix}/{relative.strip('/')}".strip("/")
        methods = frozenset(str(method).upper() for method in info.trigger.methods or ()) or None
        pattern, defaults, rank = compile_template(template)
        route = Route(info, "/" + template, pattern, methods, defaults, rank)
        self.routes.append(route)
        self.routes.sort(key=lambda item: item.rank)
        return route

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route serving this method and path, and its parameters; ``None`` when there is none.

        A route that matches the path but not the method is no match either: the Functions host
        registers each function's methods as a routing constraint, so such a request is not found.
        """
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None or (route.methods is not None and method.upper() not in route.methods):
                continue
            params = {key: value for key, value in found.groupdict().items() if value is not None}
            return route, {**route.defaults, **params}
        return None


def encode_response(value: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of a function's HTTP answer (``HttpResponse`` or ``str``)."""
    if isinstance(value, str):
        value = func.HttpResponse(value)
    if not isinstance(value, func.HttpResponse):
        raise TypeError(f"an HTTP function must return HttpResponse or str, not {type(value).__name__}")
    headers = [
        (key.lower().encode("latin-1"), str(item).encode("latin-1"))
        for key, item in value.headers.items()
        if key.lower() not in ("content-length", "transfer-encoding")
    ]
    if not any(key == b"content-type" for key, _ in headers):
        mimetype = value.mimetype
        content_type = f"{mimetype}; charset={value.charset}" if mimetype.startswith("text/") else mimetype
        headers.append((b"content-type", content_type.encode("latin-1")))
    status, body = int(value.status_code), value.get_body()
    if status < 200 or status in (204, 304):  # answers that carry no body by definition
        return status, headers, b""
    headers.append((b"content-length", str(len(body)).encode()))
    return status, headers, body


class _ClientGone(Exception):
    """The client disconnected before sending its whole request: nothing to invoke or answer."""


class HttpApp:
    """ASGI app: routes each request to its function as an ``azure.functions.HttpRequest``."""

    def __init__(self, router: Router, invoker: Invoker, max_body_bytes: int) -> None:
        self.router = router
        self.invoker = invoker
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request (other ASGI scope types are ignored)."""
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        found = self.router.match(method, path)
        if found is None:
            await _reply(send, 404)
            log.info("%s %s -> 404 (host: no function for this method and path)", method, path)
            return
        route, route_params = found
        try:
            body = await self._read_body(scope, receive)
        except _ClientGone:
            return
        if body is None:
            await _reply(send, 413)
            log.info("%s %s -> 413 (host: body over %d bytes)", method, path, self.max_body_bytes)
            return
        request = _to_request(scope, body, route_params)
        outcome = await self.invoker.invoke(route.info, request, f"{method} {path}")
        if outcome.ok:
            try:
                status, headers, payload = encode_response(outcome.value)
            except TypeError:
                log.exception("Function %s answered something that is not an HTTP response", route.info.name)
            else:
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": payload})
                return
        await _reply(send, 500)
        log.info("%s %s -> 500 (host: invocation %s failed)", method, path, outcome.invocation_id)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The request body, or ``None`` once it is known to exceed the limit."""
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated names joined with commas, as the host hands them to the worker."""
    result: dict[str, str] = {}
    for key, value in pairs:
        result[key] = f"{result[key]},{value}" if key in result else value
    return result


def _to_request(scope: Scope, body: bytes, route_params: dict[str, str]) -> func.HttpRequest:
    headers = _joined([(key.decode("latin-1"), value.decode("latin-1")) for key, value in scope["headers"]])
    query = scope.get("query_string", b"").decode("latin-1")
    server = scope.get("server") or ("127.0.0.1", 80)
    host = headers.get("host", f"{server[0]}:{server[1]}")
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    url = f"{scope.get('scheme', 'http')}://{host}{raw_path}" + (f"?{query}" if query else "")
    return func.HttpRequest(
        scope["method"],
        url,
        headers=headers,
        params=_joined(parse_qsl(query, keep_blank_values=True)),
        route_params=route_params,
        body=body,
    )


async def _reply(send: Send, status: int) -> None:
    """An answer of the host's own: a status and no body."""
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
