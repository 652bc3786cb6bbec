"""Hostile and malformed requests over real HTTP: never a 500, always the JSON error envelope for
a 4xx, and never a partial write (a refused request leaves no job and no blob behind).

A fixed table of named bad requests pins each one's status and error code; hypothesis then
throws generated multipart bodies, headers, paths and job ids at the upload and status
routes. Requests go out through ``http.client`` so paths and bodies reach the host as
written. The host refuses plain-http and private webhook URLs (production policy) and has
small upload limits, so every limit is reachable with small files.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient
from bson import ObjectId
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pymongo import MongoClient
from pymongo.database import Database
from urllib3.filepost import encode_multipart_formdata

from lib.adapters.local_parser import LocalReportParser
from lib.bootstrap import build_context
from lib.services import admin
from lib.settings import Settings
from tests.reliability.harness import FULL, HostFactory, ScriptedGemini, scale, wait_until_ended
from tests.support.app_host import API_KEY, PROJECT, TENANT, AppHost
from tests.support.pdf_factory import make_corrupt_pdf, make_encrypted_pdf, make_large_pdf, make_report_pdf

pytestmark = pytest.mark.reliability

MB = 1024 * 1024
LIMITS = {"MAX_FILE_MB": "0.2", "MAX_UPLOAD_MB": "0.3", "MAX_FILES": "3"}
OTHER_TENANT, OTHER_PROJECT = "tenant-002", "project-002"
PDF = make_report_pdf()
ENCRYPTED = make_encrypted_pdf()
CORRUPT = make_corrupt_pdf()
NEAR_LIMIT = make_large_pdf(int(0.18 * MB))  # under the per-file limit; two of them are over the total
OVER_LIMIT = make_large_pdf(int(0.25 * MB))
HYPOTHESIS = settings(
    max_examples=scale(50, 400),
    deadline=None,
    derandomize=not FULL,  # CI: the same examples on every run
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class World:
    """The module's host and what the bad requests need: keys of other tenants, jobs of others."""

    app: AppHost
    db: Database[dict[str, Any]]
    container: ContainerClient
    other_key: str = ""
    revoked_key: str = ""
    own_job: str = ""
    foreign_job: str = ""

    def send(self, request: Request, timeout: float = 30) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.app.port, timeout=timeout)
        try:
            connection.putrequest(request.method, request.path, skip_accept_encoding=True)
            for name, value in request.headers.items():
                connection.putheader(name, value)
            if "Content-Length" not in request.headers:
                connection.putheader("Content-Length", str(len(request.body)))
            connection.endheaders(request.body or None)
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def written(self) -> tuple[int, set[str]]:
        """How many jobs and which blobs exist now."""
        try:
            blobs = {blob.name for blob in self.container.list_blobs()}
        except ResourceNotFoundError:
            blobs = set()
        return self.db["parsing_jobs"].count_documents({}), blobs


def reports_path(tenant: str = TENANT, project: str = PROJECT) -> str:
    return f"/api/v1/tenants/{tenant}/projects/{project}/reports"


def status_path(job_id: str) -> str:
    return f"/api/v1/job/status/{job_id}"


def form(parts: list[tuple[str, Any]], boundary: str | None = None) -> tuple[bytes, str]:
    body, content_type = encode_multipart_formdata(parts, boundary=boundary)
    return body, content_type


def upload(
    files: list[bytes],
    *,
    key: str | None = API_KEY,
    path: str | None = None,
    query: Mapping[str, str] | None = None,
    fields: list[tuple[str, Any]] | None = None,
) -> Request:
    parts: list[tuple[str, Any]] = [
        ("file", (f"r{n}.pdf", data, "application/pdf")) for n, data in enumerate(files)
    ]
    body, content_type = form(parts + (fields or []))
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["X-API-Key"] = key
    target = (path or reports_path()) + (f"?{urlencode(query)}" if query else "")
    return Request("POST", target, headers, body)


def get_status(job_id: str, key: str | None = API_KEY) -> Request:
    return Request("GET", status_path(job_id), {"X-API-Key": key} if key is not None else {})


def webhook(url: str) -> Callable[[World], Request]:
    return lambda w: upload([PDF], query={"webhook_url": url})


# The Functions host answers what never reaches the app (no such route or method, a body over
# its limit) itself, with a status and an empty body; tools/funchost/README.md cites why.
HOST = "host"


def check_error(answer: Answer, status: int | None = None, code: str | None = None) -> None:
    context = f"{answer.status} {answer.headers.get('content-type')}: {answer.body[:300]!r}"
    assert answer.status < 500, context
    if status is not None:
        assert answer.status == status, context
    if code == HOST or (code is None and not answer.body and answer.status in (404, 413)):
        assert answer.body == b"", context
        return
    assert answer.headers.get("content-type", "").startswith("application/json"), context
    body = answer.json()
    assert body["success"] is False, context
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), context
    if code is not None:
        assert body["error"]["code"] == code, context


def check_write(world: World, before: tuple[int, set[str]], answer: Answer) -> None:
    """A refused request wrote nothing; an accepted upload wrote its one job and exactly its blobs."""
    jobs, blobs = world.written()
    if answer.status != 202:
        assert (jobs, blobs) == before, f"a refused request ({answer.status}) left a job or a blob behind"
        return
    job_id = answer.json()["job_id"]
    job = world.db["parsing_jobs"].find_one({"_id": job_id})
    assert job is not None and jobs == before[0] + 1
    assert blobs - before[1] == {item["blob_name"] for item in job["files"]}


# -- the module's host -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(
    module_gemini: ScriptedGemini, module_hosts: HostFactory, mongo: MongoClient[dict[str, Any]]
) -> Iterator[World]:
    app = module_hosts(
        module_gemini, WEBHOOK_ALLOW_HTTP="false", WEBHOOK_ALLOW_PRIVATE_NETWORKS="false", **LIMITS
    )
    container = ContainerClient.from_connection_string(
        app.settings["AZURE_STORAGE_CONNECTION_STRING"], app.settings["AZURE_CONTAINER_NAME"]
    )
    with container:
        world = World(app, mongo[app.database], container)
        # The operator's side: another tenant with a project and a key; a revoked key of ours.
        ctx = build_context(Settings.from_env(app.settings), parser=LocalReportParser())
        try:
            admin.create_tenant(ctx, OTHER_TENANT, "Other tenant")
            admin.create_project(ctx, OTHER_TENANT, OTHER_PROJECT, "Other project")
            world.other_key = admin.create_api_key(ctx, OTHER_TENANT)
            world.revoked_key = admin.create_api_key(ctx, TENANT)
            admin.revoke_api_key(ctx, world.revoked_key.split("_")[1])
        finally:
            ctx.close()
        own = world.send(upload([PDF]))
        foreign = world.send(
            upload([PDF], key=world.other_key, path=reports_path(OTHER_TENANT, OTHER_PROJECT))
        )
        assert own.status == foreign.status == 202, (own, foreign)
        world.own_job, world.foreign_job = own.json()["job_id"], foreign.json()["job_id"]
        wait_until_ended(world.db, [world.own_job, world.foreign_job], timeout=60)
        yield world


# -- a fixed table of named bad requests -------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    name: str
    build: Callable[[World], Request]
    status: int
    code: str


def wrong_secret(key: str) -> str:
    return key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")


def raw_form(body: bytes, content_type: str) -> Callable[[World], Request]:
    return lambda w: Request(
        "POST", reports_path(), {"X-API-Key": API_KEY, "Content-Type": content_type}, body
    )


_FILE_PART = (
    b'Content-Disposition: form-data; name="file"; filename="r.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
)
TABLE = [
    # who is calling
    Bad("missing-api-key", lambda w: upload([PDF], key=None), 401, "missing_api_key"),
    Bad("empty-api-key", lambda w: upload([PDF], key=""), 401, "missing_api_key"),
    Bad("malformed-api-key", lambda w: upload([PDF], key="Bearer abc"), 401, "invalid_api_key"),
    Bad("wrong-secret", lambda w: upload([PDF], key=wrong_secret(API_KEY)), 401, "invalid_api_key"),
    Bad(
        "unknown-key-id", lambda w: upload([PDF], key="mrp_0123456789ab_" + "x" * 43), 401, "invalid_api_key"
    ),
    Bad("revoked-key", lambda w: upload([PDF], key=w.revoked_key), 401, "invalid_api_key"),
    Bad("huge-api-key", lambda w: upload([PDF], key="mrp_" + "a" * 60_000), 401, "invalid_api_key"),
    Bad("other-tenants-key", lambda w: upload([PDF], key=w.other_key), 404, "tenant_not_found"),
    # which project
    Bad("unknown-tenant", lambda w: upload([PDF], path=reports_path("tenant-999")), 404, "tenant_not_found"),
    Bad(
        "unknown-project",
        lambda w: upload([PDF], path=reports_path(project="project-999")),
        404,
        "project_not_found",
    ),
    Bad(
        "other-tenants-project",
        lambda w: upload([PDF], path=reports_path(project=OTHER_PROJECT)),
        404,
        "project_not_found",
    ),
    Bad(
        "malformed-tenant-id",
        lambda w: upload([PDF], path=reports_path(quote("bad tenant!"))),
        404,
        "tenant_not_found",
    ),
    Bad(
        "malformed-project-id",
        lambda w: upload([PDF], path=reports_path(project="p" * 65)),
        404,
        "project_not_found",
    ),
    Bad("dot-dot-tenant-id", lambda w: upload([PDF], path=reports_path("..")), 404, "tenant_not_found"),
    # what is uploaded
    Bad("no-file", lambda w: upload([], fields=[("note", "hello")]), 400, "missing_file"),
    Bad(
        "file-in-another-field",
        lambda w: upload([], fields=[("document", ("r.pdf", PDF, "application/pdf"))]),
        400,
        "missing_file",
    ),
    Bad("empty-file", lambda w: upload([b""]), 400, "empty_file"),
    Bad("not-a-pdf", lambda w: upload([b"Patient: Jane Doe\nDiagnosis: none\n"]), 415, "not_a_pdf"),
    Bad(
        "pdf-named-file-that-is-html",
        lambda w: upload([b"<html><body>%PDF-</body></html>" + b" " * 2000]),
        400,
        "pdf_unreadable",
    ),
    Bad("second-file-not-a-pdf", lambda w: upload([PDF, b"GIF89a..."]), 415, "not_a_pdf"),
    Bad("encrypted-pdf", lambda w: upload([ENCRYPTED]), 400, "pdf_encrypted"),
    Bad("corrupt-pdf", lambda w: upload([CORRUPT]), 400, "pdf_unreadable"),
    Bad("file-too-large", lambda w: upload([OVER_LIMIT]), 413, "file_too_large"),
    Bad("upload-too-large", lambda w: upload([NEAR_LIMIT, NEAR_LIMIT]), 413, "upload_too_large"),
    Bad("too-many-files", lambda w: upload([PDF] * 4), 400, "too_many_files"),
    Bad(
        "body-declared-over-host-limit",
        lambda w: Request("POST", reports_path(), {"X-API-Key": API_KEY, "Content-Length": str(200 * MB)}),
        413,
        HOST,
    ),
    # how it is sent
    Bad("json-body", raw_form(b'{"file": "JVBERi0xLjQ="}', "application/json"), 400, "missing_file"),
    Bad("raw-pdf-body", raw_form(PDF, "application/pdf"), 400, "missing_file"),
    Bad(
        "urlencoded-body",
        raw_form(b"file=%25PDF-1.4", "application/x-www-form-urlencoded"),
        400,
        "missing_file",
    ),
    Bad(
        "multipart-without-boundary",
        raw_form(b"--b\r\n" + _FILE_PART + PDF + b"\r\n--b--\r\n", "multipart/form-data"),
        400,
        "missing_file",
    ),
    Bad(
        "multipart-boundary-mismatch",
        raw_form(b"--b\r\n" + _FILE_PART + PDF + b"\r\n--b--\r\n", "multipart/form-data; boundary=zz"),
        400,
        "malformed_multipart",
    ),
    Bad(
        "multipart-unterminated",
        raw_form(b"--b\r\n" + _FILE_PART + PDF, "multipart/form-data; boundary=b"),
        400,
        "malformed_multipart",
    ),
    Bad(
        "multipart-garbage",
        raw_form(bytes(range(256)) * 8, "multipart/form-data; boundary=\x7f\xff"),
        400,
        "missing_file",
    ),
    # webhook URLs: malformed, and the SSRF guard (https only, public addresses, allowed ports)
    Bad("webhook-not-a-url", webhook("not a url"), 400, "invalid_webhook_url"),
    Bad("webhook-ftp", webhook("ftp://93.184.216.34/hook"), 400, "invalid_webhook_url"),
    Bad("webhook-bad-port", webhook("https://93.184.216.34:99999/hook"), 400, "invalid_webhook_url"),
    Bad("webhook-too-long", webhook("https://93.184.216.34/" + "a" * 3000), 400, "invalid_webhook_url"),
    Bad("webhook-plain-http", webhook("http://93.184.216.34/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-loopback", webhook("https://127.0.0.1/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-localhost-name", webhook("https://localhost/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-metadata", webhook("https://169.254.169.254/latest/meta-data/"), 400, "unsafe_webhook_url"),
    Bad("webhook-private", webhook("https://10.0.0.7/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-cgnat", webhook("https://100.64.0.1/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-hex-loopback", webhook("https://0x7f.0.0.1/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-decimal-loopback", webhook("https://2130706433/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-short-loopback", webhook("https://127.1/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-ipv6-loopback", webhook("https://[::1]/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-ipv4-mapped", webhook("https://[::ffff:127.0.0.1]/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-nat64", webhook("https://[64:ff9b::a9fe:a9fe]/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-credentials", webhook("https://user:secret@93.184.216.34/hook"), 400, "unsafe_webhook_url"),
    Bad("webhook-port-not-allowed", webhook("https://93.184.216.34:6379/hook"), 400, "unsafe_webhook_url"),
    Bad(
        "webhook-unresolvable", webhook("https://no-such-host.invalid/hook"), 400, "webhook_host_unresolvable"
    ),
    Bad(
        "webhook-as-form-field",
        lambda w: upload([PDF], fields=[("webhook_url", "https://192.168.1.1/hook")]),
        400,
        "unsafe_webhook_url",
    ),
    # routes and methods
    Bad(
        "get-on-upload-route",
        lambda w: Request("GET", reports_path(), {"X-API-Key": API_KEY}),
        404,
        HOST,
    ),
    Bad(
        "delete-on-status-route",
        lambda w: Request("DELETE", status_path(w.own_job), {"X-API-Key": API_KEY}),
        404,
        HOST,
    ),
    Bad("unknown-route", lambda w: Request("GET", "/api/v1/reports", {"X-API-Key": API_KEY}), 404, HOST),
    Bad("outside-the-api", lambda w: Request("GET", "/admin/../../etc/passwd", {}), 404, HOST),
    # whose job
    Bad("status-without-key", lambda w: get_status(w.own_job, key=None), 401, "missing_api_key"),
    Bad("status-bad-key", lambda w: get_status(w.own_job, key=wrong_secret(API_KEY)), 401, "invalid_api_key"),
    Bad("status-unknown-job", lambda w: get_status(str(ObjectId())), 404, "job_not_found"),
    Bad("status-foreign-job", lambda w: get_status(w.foreign_job), 404, "job_not_found"),
    Bad(
        "status-our-job-with-another-tenants-key",
        lambda w: get_status(w.own_job, key=w.other_key),
        404,
        "job_not_found",
    ),
    Bad("status-non-objectid", lambda w: get_status("not-an-object-id"), 404, "job_not_found"),
    Bad("status-operator-injection", lambda w: get_status(quote('{"$ne": null}')), 404, "job_not_found"),
    Bad("status-nul-byte", lambda w: get_status("%00"), 404, "job_not_found"),
    Bad("status-very-long-id", lambda w: get_status("a" * 5000), 404, "job_not_found"),
    Bad(
        "redeliver-foreign-job",
        lambda w: Request("POST", f"/api/v1/job/{w.foreign_job}/webhook/redeliver", {"X-API-Key": API_KEY}),
        404,
        "job_not_found",
    ),
    Bad(
        "redeliver-without-webhook",
        lambda w: Request("POST", f"/api/v1/job/{w.own_job}/webhook/redeliver", {"X-API-Key": API_KEY}),
        409,
        "no_webhook_url",
    ),
]


@pytest.mark.parametrize("bad", TABLE, ids=[bad.name for bad in TABLE])
def test_a_bad_request_gets_its_status_and_code_and_writes_nothing(world: World, bad: Bad) -> None:
    before = world.written()

    answer = world.send(bad.build(world))

    check_error(answer, bad.status, bad.code)
    check_write(world, before, answer)


def test_a_header_block_over_the_servers_limit_is_refused_before_the_app(world: World) -> None:
    """The HTTP server refuses it (an error status, or it closes the connection); nothing is written."""
    before = world.written()
    request = upload([PDF])
    request.headers["X-Padding"] = "a" * (1024 * 1024)
    try:
        answer: Answer | None = world.send(request)
    except (ConnectionError, http.client.HTTPException):
        answer = None  # the server hung up on it
    if answer is not None:
        assert 400 <= answer.status < 500, answer
    assert world.written() == before


# -- generated requests ------------------------------------------------------------------------------------

LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
header_values = st.text(LATIN1, max_size=80)
segments = st.one_of(
    st.text(max_size=70).map(lambda text: quote(text, safe="")),
    st.from_regex(r"[A-Za-z0-9._~-]{1,70}", fullmatch=True),
    st.sampled_from(
        ["", ".", "..", "%2F", "%00", "%ff", "tenant-001", "project-001", "api", "v1", "reports"]
    ),
)
pdf_like = st.one_of(
    st.just(PDF),
    st.just(PDF),
    st.sampled_from([ENCRYPTED, CORRUPT, b"", b"%PDF-", b"%PDF-1.7\n%%EOF"]),
    st.binary(max_size=2048),
    st.binary(max_size=1024).map(lambda tail: b"%PDF-1.4\n" + tail),
    st.binary(max_size=600).map(lambda head: head + PDF),
)
webhook_urls = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "http://127.0.0.1:9/x",
            "https://10.1.2.3/x",
            "https://[::1]/x",
            "https://localhost/x",
            "javascript:alert(1)",
        ]
    ),
)


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``common`` four times in five: most examples get past one check to meet the next."""
    return st.sampled_from((True, True, True, True, False)).flatmap(lambda usual: common if usual else rare)


keys = mostly(st.just(API_KEY), st.sampled_from([None, "other", "revoked", "", "mrp_"]) | header_values)


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    parts: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(
            mostly(
                st.just("file"),
                st.sampled_from(["webhook_url", "files", "FILE", "file[]"]) | st.text(LATIN1, max_size=12),
            )
        )
        if name == "webhook_url":
            parts.append((name, draw(webhook_urls)))
        else:
            filename = draw(st.text(LATIN1, max_size=20))
            content_type = draw(
                st.sampled_from(["application/pdf", "text/plain", "application/octet-stream", ""])
            )
            parts.append((name, (filename, draw(pdf_like), content_type)))
    boundary = draw(st.from_regex(r"[A-Za-z0-9'()+_,./:=?-]{1,69}", fullmatch=True))
    body, content_type = form(parts, boundary=boundary)
    damage = draw(mostly(st.just("none"), st.sampled_from(["truncate", "boundary", "header", "bytes"])))
    if damage == "truncate":
        body = body[: draw(st.integers(0, len(body)))]
    elif damage == "boundary":
        content_type = f"multipart/form-data; boundary={draw(st.text(LATIN1, max_size=30))}"
    elif damage == "header":
        content_type = draw(header_values)
    elif damage == "bytes" and body:
        at = draw(st.integers(0, len(body) - 1))
        body = body[:at] + draw(st.binary(min_size=1, max_size=16)) + body[at + 1 :]
    return body, content_type


raw_bodies = st.tuples(st.binary(max_size=3000), header_values)
extra_headers = st.dictionaries(
    st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True).filter(lambda name: name.lower() != "x-api-key"),
    header_values,
    max_size=4,
)


@dataclass(frozen=True)
class Drawn:
    """A generated request before the world is known: ``key`` and ``job`` may name one of its values."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    key: str | None
    job: str = ""

    def request(self, world: World) -> Request:
        key = {"other": world.other_key, "revoked": world.revoked_key}.get(self.key or "", self.key)
        job = {"own": world.own_job, "foreign": world.foreign_job, "unknown": str(ObjectId())}.get(
            self.job, self.job
        )
        headers = dict(self.headers) | ({"X-API-Key": key} if key is not None else {})
        return Request(self.method, self.path.replace("{job}", job), headers, self.body)


@st.composite
def upload_requests(draw: st.DrawFn) -> Drawn:
    tenant = draw(mostly(st.just(TENANT), st.just(OTHER_TENANT) | segments))
    project = draw(mostly(st.just(PROJECT), st.just(OTHER_PROJECT) | segments))
    body, content_type = draw(mostly(multipart_bodies(), raw_bodies))
    query = draw(mostly(st.none(), webhook_urls))
    path = reports_path(tenant, project) + (
        f"?{urlencode({'webhook_url': query})}" if query is not None else ""
    )
    return Drawn("POST", path, {**draw(extra_headers), "Content-Type": content_type}, body, draw(keys))


@st.composite
def job_requests(draw: st.DrawFn) -> Drawn:
    method = draw(mostly(st.just("GET"), st.sampled_from(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])))
    path = draw(mostly(st.just(status_path("{job}")), st.just("/api/v1/job/{job}/webhook/redeliver")))
    job = draw(st.sampled_from(["own", "foreign", "unknown"]) | segments.filter(lambda s: "{job}" not in s))
    return Drawn(method, path, draw(extra_headers), draw(st.binary(max_size=200)), draw(keys), job)


@st.composite
def any_paths(draw: st.DrawFn) -> Request:
    prefix = draw(
        st.sampled_from(
            [
                "/api",
                "/api/v1",
                "/api/v1/job",
                "/api/v1/job/status",
                reports_path(),
                "/api/v1/tenants",
                "",
                "/API/V1",
            ]
        )
    )
    path = prefix + "/" + "/".join(draw(st.lists(segments, max_size=6)))
    if draw(st.booleans()):
        path += "?" + urlencode(draw(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3)))
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    return Request(method, path, {"X-API-Key": API_KEY}, draw(st.binary(max_size=100)))


def send_checked(world: World, request: Request) -> Answer:
    """Send; the answer is never a 5xx, a 4xx is the error envelope, and nothing is half-written."""
    before = world.written()
    answer = world.send(request)
    assert answer.status < 500, (request.method, request.path, answer)
    if answer.status >= 400:
        check_error(answer)
    # What the examples reached, for --hypothesis-show-statistics.
    event(f"{answer.status} {answer.json()['error']['code'] if answer.status >= 400 and answer.body else ''}")
    check_write(world, before, answer)
    return answer


@HYPOTHESIS
@given(drawn=upload_requests())
def test_generated_uploads_never_fail_the_server_or_write_partially(world: World, drawn: Drawn) -> None:
    answer = send_checked(world, drawn.request(world))

    assert answer.status in (202, 400, 401, 404, 413, 415), answer


@HYPOTHESIS
@given(drawn=job_requests())
def test_generated_job_requests_never_fail_the_server(world: World, drawn: Drawn) -> None:
    request = drawn.request(world)

    answer = send_checked(world, request)

    owner_key = {world.own_job: API_KEY, world.foreign_job: world.other_key}
    if answer.status == 200:  # a job asked for properly, with its own tenant's key
        job_id = answer.json()["job_id"]
        assert request.method == "GET" and request.path == status_path(job_id)
        assert request.headers.get("X-API-Key") == owner_key[job_id]
    if drawn.job == "foreign" and drawn.key != "other":  # never shown to another tenant
        assert answer.status in (401, 404), answer


@HYPOTHESIS
@given(request=any_paths())
def test_generated_paths_never_fail_the_server(world: World, request: Request) -> None:
    send_checked(world, request)
