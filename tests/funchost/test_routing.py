"""Route templates and method matching (no server needed)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tools.funchost.http import Router, compile_template
from tools.funchost.loader import FunctionInfo


def _info(name: str, route: str | None, methods: list[str] | None = None) -> FunctionInfo:
    trigger: Any = SimpleNamespace(type="httpTrigger", name="req", route=route, methods=methods)
    return FunctionInfo(name, lambda req: None, trigger)


def _router(*infos: FunctionInfo, prefix: str = "api") -> Router:
    router = Router(prefix)
    for info in infos:
        router.add(info)
    return router


def _match(router: Router, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    found = router.match(method, path)
    if found is None:
        return None
    route, params = found
    return route.info.name, params


def test_parameters_and_constraints() -> None:
    router = _router(
        _info("by_id", "items/{id:int}"),
        _info("by_name", "names/{name:alpha}"),
        _info("by_guid", "jobs/{job_id:guid}"),
        _info("file", "files/{stem}.{ext}"),
    )
    assert _match(router, "GET", "/api/items/-7") == ("by_id", {"id": "-7"})
    assert _match(router, "GET", "/api/items/7x") is None
    assert _match(router, "GET", "/api/names/Alice") == ("by_name", {"name": "Alice"})
    assert _match(router, "GET", "/api/names/al1ce") is None
    guid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert _match(router, "GET", f"/api/jobs/{guid}") == ("by_guid", {"job_id": guid})
    assert _match(router, "GET", "/api/jobs/not-a-guid") is None
    assert _match(router, "GET", "/api/files/report.pdf") == ("file", {"stem": "report", "ext": "pdf"})


def test_optional_default_and_catch_all_parameters() -> None:
    router = _router(
        _info("optional", "opt/{tag?}"), _info("defaulted", "def/{page=1}"), _info("rest", "static/{*path}")
    )
    assert _match(router, "GET", "/api/opt") == ("optional", {})
    assert _match(router, "GET", "/api/opt/") == ("optional", {})
    assert _match(router, "GET", "/api/opt/x") == ("optional", {"tag": "x"})
    assert _match(router, "GET", "/api/def") == ("defaulted", {"page": "1"})
    assert _match(router, "GET", "/api/def/3") == ("defaulted", {"page": "3"})
    assert _match(router, "GET", "/api/static/a/b/c.css") == ("rest", {"path": "a/b/c.css"})


def test_literals_win_over_parameters_whatever_the_order() -> None:
    router = _router(
        _info("any", "items/{name}"), _info("typed", "items/{id:int}"), _info("new", "items/new")
    )
    assert _match(router, "GET", "/api/items/new") == ("new", {})
    assert _match(router, "GET", "/api/items/5") == ("typed", {"id": "5"})
    assert _match(router, "GET", "/api/items/other") == ("any", {"name": "other"})


def test_matching_ignores_case_but_keeps_parameter_values() -> None:
    router = _router(_info("hello", "Hello/{Name}"))
    assert _match(router, "GET", "/API/hello/WoRlD") == ("hello", {"Name": "WoRlD"})


def test_a_method_no_function_takes_is_no_match_like_an_unknown_path() -> None:
    # The Functions host makes a function's methods a routing constraint: a known path with
    # another method is simply not found (azure-functions-host issue 10098), never a 405.
    router = _router(_info("read", "things/{id}", ["GET"]), _info("write", "things/{id}", ["PUT", "DELETE"]))
    assert _match(router, "get", "/api/things/1") == ("read", {"id": "1"})
    assert _match(router, "PUT", "/api/things/1") == ("write", {"id": "1"})
    assert _match(router, "POST", "/api/things/1") is None
    assert _match(router, "HEAD", "/api/things/1") is None  # HEAD is not implied by GET (issue 11625)
    assert _match(router, "POST", "/api/nothing") is None


def test_no_methods_means_every_method_and_no_route_means_the_function_name() -> None:
    router = _router(_info("ping", None))
    assert _match(router, "PATCH", "/api/ping") == ("ping", {})


def test_route_prefix_from_host_json() -> None:
    assert _match(_router(_info("x", "x"), prefix=""), "GET", "/x") == ("x", {})
    assert _match(_router(_info("x", "x"), prefix="/v2/"), "GET", "/v2/x") == ("x", {})
    assert _match(_router(_info("root", ""), prefix="api"), "GET", "/api") == ("root", {})


@pytest.mark.parametrize("template", ["a/{id:regex(^x$)}", "a/{id:min(1)}", "a/x{tag?}"])
def test_unsupported_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match=r"route|constraint"):
        compile_template(template)
