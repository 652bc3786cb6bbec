"""Use case: submit a report with an Idempotency-Key. One job per key and content, whatever repeats."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from lib.domain import idempotency as keys
from lib.domain.clock import CLOCK_SLACK
from lib.domain.errors import (
    Conflict,
    DependencyUnavailable,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidRequest,
    UnsupportedMediaType,
)
from lib.domain.idempotency import IdempotencyRecord, KeyState
from lib.domain.jobs import Job
from lib.domain.uploads import UploadForm, UploadLimits
from lib.services.context import Context
from lib.services.delete import delete_job
from lib.services.submit import Submission, submit_report
from tests.support.fakes.context import Fakes
from tests.support.fakes.idempotency import FakeIdempotencyKeys
from tests.support.fakes.jobs import FakeJobs
from tests.support.fakes.storage import FakeBlobs
from tests.support.jobs import upload_form
from tests.support.pdf_factory import SampleReport, make_report_pdf

LOCK = timedelta(seconds=60)  # IDEMPOTENCY_LOCK_SECONDS' default
AFTER_LOCK = LOCK + CLOCK_SLACK
KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


@pytest.fixture(scope="module")
def other_pdf() -> bytes:
    return make_report_pdf(SampleReport(patient_name="John R. Roe"))


def submit(
    ctx: Context,
    api_key: str,
    *documents: bytes,
    key: str | None = KEY,
    tenant_id: str = "tenant-001",
    project_id: str = "project-001",
    webhook_url: str | None = None,
) -> Submission:
    return submit_report(
        ctx,
        tenant_id=tenant_id,
        project_id=project_id,
        api_key=api_key,
        read_form=upload_form(*documents),
        webhook_url=webhook_url,
        idempotency_key=key,
    )


def record_of(fakes: Fakes, key: str = KEY, tenant_id: str = "tenant-001") -> IdempotencyRecord | None:
    return fakes.idempotency.get(tenant_id, keys.key_digest(key))


def left_by_a_dead_claimant(fakes: Fakes, *documents: bytes, job_id: str = "0" * 24) -> IdempotencyRecord:
    """The in-progress record of a request whose worker died after its claim, as it left it."""
    digests = [hashlib.sha256(document).hexdigest() for document in documents]
    record = keys.new_claim(
        tenant_id="tenant-001",
        key=KEY,
        fingerprint=keys.fingerprint("project-001", digests, None),
        job_id=job_id,
        token="dead-worker",
        now=fakes.clock(),
        lock_for=LOCK,
    )
    assert fakes.idempotency.insert(record)
    return record


class Crash(BaseException):
    """The worker process dying: nothing after it runs, no handler of ours catches it."""


class FlakyKeys(FakeIdempotencyKeys):
    """Keys whose completion can crash the worker, and whose release can fail."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_on_complete = False
        self.release_down = False

    def replace(self, current: IdempotencyRecord, new: IdempotencyRecord) -> bool:
        if self.crash_on_complete and new.state is KeyState.COMPLETED:
            raise Crash
        return super().replace(current, new)

    def release(self, record: IdempotencyRecord) -> bool:
        if self.release_down:
            raise DependencyUnavailable("mongodb")
        return super().release(record)


def with_keys(fakes: Fakes, store: FakeIdempotencyKeys) -> Context:
    return replace(fakes.ctx, idempotency=store)


# -- replay and reuse ---------------------------------------------------------------------


def test_a_repeat_within_the_window_answers_the_first_job_again(fakes: Fakes, pdf: bytes) -> None:
    api_key = fakes.register()
    first = submit(fakes.ctx, api_key, pdf, webhook_url="https://example.com/hook")
    fakes.clock.advance(keys.REPLAY_WINDOW - timedelta(seconds=1))

    again = submit(fakes.ctx, api_key, pdf, webhook_url="https://example.com/hook")

    assert first.replayed is False and again.replayed is True
    assert replace(again, replayed=False) == first
    assert list(fakes.jobs.jobs) == [first.job_id]
    assert len(fakes.blobs.blobs) == 1 and len(fakes.parse_queue.messages) == 1
    record = record_of(fakes)
    assert record is not None and record.state is KeyState.COMPLETED and record.job_id == first.job_id


def test_a_deleted_jobs_key_is_forgotten_with_it_and_a_repeat_makes_a_new_job(
    fakes: Fakes, pdf: bytes
) -> None:
    api_key = fakes.register()
    first = submit(fakes.ctx, api_key, pdf, webhook_url="https://example.com/hook")

    delete_job(fakes.ctx, api_key=api_key, job_id=first.job_id)

    assert record_of(fakes) is None  # its stored 202 named the webhook URL
    again = submit(fakes.ctx, api_key, pdf)
    assert again.replayed is False and again.job_id != first.job_id


def test_without_a_key_each_upload_is_a_job_of_its_own(fakes: Fakes, pdf: bytes) -> None:
    api_key = fakes.register()

    first, second = submit(fakes.ctx, api_key, pdf, key=None), submit(fakes.ctx, api_key, pdf, key=None)

    assert first.job_id != second.job_id and len(fakes.jobs.jobs) == 2
    assert fakes.idempotency.records == {}


@pytest.mark.parametrize(
    "change",
    [
        {"documents": "other"},
        {"documents": "swapped"},
        {"webhook_url": "https://example.com/other"},
        {"project_id": "project-002"},
    ],
)
def test_the_same_key_on_other_content_is_refused_and_writes_nothing(
    fakes: Fakes, pdf: bytes, other_pdf: bytes, change: dict[str, str]
) -> None:
    api_key = fakes.register()
    fakes.register(project_id="project-002")
    first = submit(fakes.ctx, api_key, pdf, other_pdf, webhook_url="https://example.com/hook")
    documents = {"other": (pdf, pdf), "swapped": (other_pdf, pdf)}.get(
        change.get("documents", ""), (pdf, other_pdf)
    )
    blobs, messages = dict(fakes.blobs.blobs), list(fakes.parse_queue.messages)

    with pytest.raises(IdempotencyKeyReused) as refused:
        submit(
            fakes.ctx,
            api_key,
            *documents,
            project_id=change.get("project_id", "project-001"),
            webhook_url=change.get("webhook_url", "https://example.com/hook"),
        )

    assert refused.value.http_status == 422 and refused.value.code == "idempotency_key_reused"
    assert list(fakes.jobs.jobs) == [first.job_id]
    assert fakes.blobs.blobs == blobs and fakes.parse_queue.messages == messages


def test_keys_belong_to_their_tenant(fakes: Fakes, pdf: bytes, other_pdf: bytes) -> None:
    first_key, second_key = fakes.register(), fakes.register(tenant_id="tenant-002")

    first = submit(fakes.ctx, first_key, pdf)
    second = submit(fakes.ctx, second_key, other_pdf, tenant_id="tenant-002")

    assert first.job_id != second.job_id and second.replayed is False
    assert fakes.jobs.jobs[second.job_id].tenant_id == "tenant-002"


def test_a_malformed_key_is_refused_before_the_body_is_read(fakes: Fakes) -> None:
    api_key = fakes.register()

    def read_form(limits: UploadLimits) -> UploadForm:
        raise AssertionError("the body was read")

    with pytest.raises(InvalidRequest) as refused:
        submit_report(
            fakes.ctx,
            tenant_id="tenant-001",
            project_id="project-001",
            api_key=api_key,
            read_form=read_form,
            webhook_url=None,
            idempotency_key="k" * 256,
        )

    assert refused.value.code == "idempotency_key_invalid"
    assert fakes.idempotency.records == {} and fakes.jobs.jobs == {}


# -- in progress, and a claimant that died -------------------------------------------------


def test_a_repeat_while_the_first_is_being_written_gets_409_with_retry_after(
    fakes: Fakes, pdf: bytes
) -> None:
    api_key = fakes.register()
    left_by_a_dead_claimant(fakes, pdf)
    fakes.clock.advance(timedelta(seconds=20))

    with pytest.raises(IdempotencyInProgress) as refused:
        submit(fakes.ctx, api_key, pdf)

    assert refused.value.http_status == 409 and refused.value.code == "idempotency_in_progress"
    assert refused.value.retry_after_seconds == (AFTER_LOCK - timedelta(seconds=20)).total_seconds()
    assert fakes.jobs.jobs == {} and fakes.blobs.blobs == {} and fakes.parse_queue.messages == []


def test_other_content_is_refused_even_while_the_first_is_in_progress(
    fakes: Fakes, pdf: bytes, other_pdf: bytes
) -> None:
    api_key = fakes.register()
    left_by_a_dead_claimant(fakes, pdf)

    with pytest.raises(IdempotencyKeyReused):
        submit(fakes.ctx, api_key, other_pdf)


def test_after_the_lock_a_repeat_takes_over_and_stores_the_job_under_an_id_of_its_own(
    fakes: Fakes, pdf: bytes
) -> None:
    api_key = fakes.register()
    dead = left_by_a_dead_claimant(fakes, pdf, job_id="0" * 24)
    fakes.clock.advance(AFTER_LOCK)

    taken = submit(fakes.ctx, api_key, pdf)

    assert taken.replayed is False and taken.job_id != dead.job_id
    assert list(fakes.jobs.jobs) == [taken.job_id]
    record = record_of(fakes)
    assert record is not None and record.state is KeyState.COMPLETED
    assert (record.job_id, record.created_at) == (taken.job_id, dead.created_at)  # the window does not move
    assert submit(fakes.ctx, api_key, pdf) == replace(taken, replayed=True)


def test_after_the_lock_a_repeat_answers_the_job_its_dead_claimant_had_stored(
    fakes: Fakes, pdf: bytes
) -> None:
    api_key = fakes.register()
    store = FlakyKeys()
    ctx = with_keys(fakes, store)
    store.crash_on_complete = True
    with pytest.raises(Crash):  # the job is stored and queued; the worker dies before completing the key
        submit(ctx, api_key, pdf)
    store.crash_on_complete = False
    [job_id] = fakes.jobs.jobs

    with pytest.raises(IdempotencyInProgress):
        submit(ctx, api_key, pdf)
    fakes.clock.advance(AFTER_LOCK)
    answered = submit(ctx, api_key, pdf)

    job = fakes.jobs.jobs[job_id]
    assert answered.replayed is True and answered.job_id == job_id
    assert (answered.report_id, answered.files_uploaded) == (job.report_id, 1)
    assert list(fakes.jobs.jobs) == [job_id] and len(fakes.parse_queue.messages) == 1
    record = store.get("tenant-001", keys.key_digest(KEY))
    assert record is not None and record.state is KeyState.COMPLETED
    assert submit(ctx, api_key, pdf) == answered


class SlowBlobs(FakeBlobs):
    """Blobs whose first write runs ``during_write`` first (the request stalls there)."""

    def __init__(self, fakes: Fakes) -> None:
        super().__init__(fakes.clock)
        self.during_write: list[object] = []
        self.stall = True

    def put(self, name: str, data: bytes, *, sha256: str) -> None:
        if self.stall:
            self.stall = False
            for action in self.during_write:
                assert callable(action)
                action()
        super().put(name, data, sha256=sha256)


def test_a_claimant_that_stalls_past_its_lock_loses_the_key_and_leaves_nothing_behind(
    fakes: Fakes, pdf: bytes
) -> None:
    api_key = fakes.register()
    blobs = SlowBlobs(fakes)
    ctx = replace(fakes.ctx, blobs=blobs)
    taken: list[Submission] = []

    def repeat_after_the_lock() -> None:
        fakes.clock.advance(AFTER_LOCK)
        taken.append(submit(ctx, api_key, pdf))

    blobs.during_write.append(repeat_after_the_lock)

    with pytest.raises(IdempotencyInProgress):
        submit(ctx, api_key, pdf)

    [repeat] = taken
    assert list(fakes.jobs.jobs) == [repeat.job_id]
    assert list(blobs.blobs) == [item.blob_name for item in fakes.jobs.jobs[repeat.job_id].files]
    assert submit(ctx, api_key, pdf) == replace(repeat, replayed=True)


class SlowJobs(FakeJobs):
    """Jobs whose first insert runs ``before_insert`` first (the request stalls right before it)."""

    def __init__(self, fakes: Fakes) -> None:
        super().__init__(fakes.jobs.jobs)
        self.refused = fakes.jobs.refused
        self.before_insert: list[Callable[[], object]] = []

    def insert(self, job: Job) -> None:
        while self.before_insert:
            self.before_insert.pop()()
        super().insert(job)


def test_a_claimant_that_stalls_after_its_renewal_cannot_insert_a_second_job(
    fakes: Fakes, pdf: bytes
) -> None:
    api_key = fakes.register()
    jobs = SlowJobs(fakes)
    ctx = replace(fakes.ctx, jobs=jobs)
    taken: list[Submission] = []

    def repeat_after_the_lock() -> None:
        fakes.clock.advance(AFTER_LOCK)
        taken.append(submit(ctx, api_key, pdf))

    jobs.before_insert.append(repeat_after_the_lock)

    with pytest.raises(IdempotencyInProgress):
        submit(ctx, api_key, pdf)

    [repeat] = taken
    assert list(fakes.jobs.jobs) == [repeat.job_id] and len(fakes.jobs.refused) == 1
    assert list(fakes.blobs.blobs) == [item.blob_name for item in fakes.jobs.jobs[repeat.job_id].files]
    assert submit(ctx, api_key, pdf) == replace(repeat, replayed=True)


def test_a_take_over_fences_the_dead_claimants_job_id(fakes: Fakes, pdf: bytes) -> None:
    api_key = fakes.register()
    dead = left_by_a_dead_claimant(fakes, pdf, job_id="0" * 24)
    fakes.clock.advance(AFTER_LOCK)

    taken = submit(fakes.ctx, api_key, pdf)

    late = replace(fakes.jobs.jobs[taken.job_id], id=dead.job_id)
    with pytest.raises(Conflict):
        fakes.jobs.insert(late)  # the dead claimant's insert, applied by the server only now
    assert list(fakes.jobs.jobs) == [taken.job_id]


# -- refusals do not pin the key -----------------------------------------------------------


def test_a_request_refused_after_its_claim_releases_the_key(fakes: Fakes, pdf: bytes) -> None:
    api_key = fakes.register()
    fakes.blobs.down = True
    with pytest.raises(DependencyUnavailable):
        submit(fakes.ctx, api_key, pdf)
    assert fakes.idempotency.records == {} and fakes.jobs.jobs == {}
    fakes.blobs.down = False

    retried = submit(fakes.ctx, api_key, pdf)

    assert retried.replayed is False and list(fakes.jobs.jobs) == [retried.job_id]


def test_a_refusal_before_the_claim_leaves_no_record(fakes: Fakes, pdf: bytes) -> None:
    api_key = fakes.register()
    with pytest.raises(UnsupportedMediaType):
        submit(fakes.ctx, api_key, b"not a pdf at all")
    assert fakes.idempotency.records == {}

    assert submit(fakes.ctx, api_key, pdf).replayed is False


def test_a_key_whose_release_failed_is_taken_over_once_its_lock_runs_out(fakes: Fakes, pdf: bytes) -> None:
    api_key = fakes.register()
    store = FlakyKeys()
    ctx = with_keys(fakes, store)
    fakes.blobs.down, store.release_down = True, True
    with pytest.raises(DependencyUnavailable):
        submit(ctx, api_key, pdf)
    fakes.blobs.down, store.release_down = False, False

    with pytest.raises(IdempotencyInProgress):
        submit(ctx, api_key, pdf)
    fakes.clock.advance(AFTER_LOCK)
    retried = submit(ctx, api_key, pdf)

    assert retried.replayed is False and list(fakes.jobs.jobs) == [retried.job_id]


# -- expiry --------------------------------------------------------------------------------


def test_after_the_window_the_key_is_new_again_even_before_the_record_is_swept(
    fakes: Fakes, pdf: bytes, other_pdf: bytes
) -> None:
    api_key = fakes.register()
    first = submit(fakes.ctx, api_key, pdf)
    fakes.clock.advance(keys.REPLAY_WINDOW)

    again = submit(fakes.ctx, api_key, pdf)
    fakes.clock.advance(keys.REPLAY_WINDOW)
    other = submit(fakes.ctx, api_key, other_pdf)  # other content is no reuse once the key expired

    assert again.replayed is False and again.job_id != first.job_id
    assert other.replayed is False and len({first.job_id, again.job_id, other.job_id}) == 3
    record = record_of(fakes)
    assert record is not None and record.job_id == other.job_id and record.created_at == fakes.clock()
