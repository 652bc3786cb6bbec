"""HTTP functions of the sample app: routes, constraints, errors, slow calls, an output binding."""

import asyncio
import json
import os
import time
from pathlib import Path

import azure.functions as func

bp = func.Blueprint()


def _json(data: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(data), status_code=status, mimetype="application/json")


@bp.route(route="hello/{name}", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"hello {req.route_params['name']}")


@bp.route(route="items/{id:int}", methods=["GET"])
def item_by_id(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"id": int(req.route_params["id"])})


@bp.route(route="items/{id:int}", methods=["DELETE"])
def delete_item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(status_code=204)


@bp.route(route="items/new", methods=["GET"])
def item_new(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"new": True})


@bp.route(route="tags/{tag?}", methods=["GET", "DELETE"])
def tags(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"tag": req.route_params.get("tag"), "method": req.method})


@bp.route(route="echo", methods=["POST", "PUT"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    data = {
        "method": req.method,
        "url": req.url,
        "params": dict(req.params),
        "header": req.headers.get("x-sample"),
        "body": req.get_body().decode(),
    }
    return func.HttpResponse(
        json.dumps(data), status_code=201, headers={"X-Echo": "yes"}, mimetype="application/json"
    )


@bp.route(route="boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("secret detail that must not reach the client")


@bp.route(route="text")
def text(req: func.HttpRequest) -> str:
    return "plain text"


@bp.route()
def default_route(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("default route is the function name")


@bp.route(route="slow", methods=["GET"])
def slow(req: func.HttpRequest) -> func.HttpResponse:
    started = time.time()
    marker = req.params.get("marker")
    if marker:
        (Path(os.environ["SAMPLE_OUT_DIR"]) / marker).write_text("started")
    deadline = time.monotonic() + float(req.params.get("seconds", "1"))
    while time.monotonic() < deadline:  # short sleeps: a worker restart can interrupt it in between
        time.sleep(0.02)
    return _json({"start": started, "end": time.time()})


@bp.route(route="aslow", methods=["GET"])
async def aslow(req: func.HttpRequest) -> func.HttpResponse:
    started = time.time()
    await asyncio.sleep(float(req.params.get("seconds", "1")))
    return _json({"start": started, "end": time.time()})


@bp.route(route="settings/{key}", methods=["GET"])
def setting(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"value": os.environ.get(req.route_params["key"])})


@bp.route(route="enqueue", methods=["POST"])
@bp.queue_output(arg_name="msg", queue_name="%SAMPLE_QUEUE%", connection="SAMPLE_STORAGE")
def enqueue(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set(req.get_body().decode())
    return _json({"queued": True}, 202)
