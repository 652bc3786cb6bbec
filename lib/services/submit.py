"""Use case: accept a report upload and queue it for parsing, at most once per Idempotency-Key."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta

from bson import ObjectId

from lib.adapters.pdf_inspect import check_page_total, count_pages
from lib.domain import idempotency as keys
from lib.domain.errors import (
    Conflict,
    DependencyThrottled,
    DependencyUnavailable,
    IdempotencyInProgress,
    IdempotencyKeyReused,
)
from lib.domain.idempotency import IdempotencyRecord, Verdict
from lib.domain.jobs import Job, JobStatus, StoredFile
from lib.domain.uploads import (
    MB,
    UploadedFile,
    UploadForm,
    UploadLimits,
    check_files,
    check_resource_id,
)
from lib.domain.webhook_urls import check_webhook_url
from lib.services.context import Context
from lib.services.dispatch import dispatch_job
from lib.services.quotas import admit_upload

log = logging.getLogger(__name__)

# A claim that keeps meeting records that vanish or change under it gives up with a 409.
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True)
class Submission:
    """What the client is told about its accepted upload.

    ``replayed`` is true when this is the stored answer of an earlier request with
    the same Idempotency-Key (the HTTP answer then carries ``Idempotent-Replayed: true``).
    """

    job_id: str
    report_id: str
    files_uploaded: int
    total_size_mb: float
    webhook_url: str | None
    replayed: bool = False


@dataclass(frozen=True)
class _Upload:
    """A checked upload, before anything of it is written."""

    tenant_id: str
    project_id: str
    files: tuple[UploadedFile, ...]
    sha256: tuple[str, ...]
    pages: tuple[int, ...]
    webhook_url: str | None


class _ClaimLost(Exception):
    """The key was taken over while this request was writing (it took longer than the lock)."""


def status_path(job_id: str) -> str:
    """The status URL path of a job (the ``Location`` of an accepted upload)."""
    return f"/api/v1/job/status/{job_id}"


def submit_report(
    ctx: Context,
    *,
    tenant_id: str,
    project_id: str,
    api_key: str | None,
    read_form: Callable[[UploadLimits], UploadForm],
    webhook_url: str | None,
    idempotency_key: str | None = None,
) -> Submission:
    """Check the request, store the files, record the job, queue it.

    The cheap checks come first: the ids, the key and the project, from the
    headers and the route alone (a malformed ``idempotency_key``, the header's raw
    value, is refused here with 400 ``idempotency_key_invalid``). Only then is the
    body decoded, by ``read_form`` within the upload limits, so an anonymous or
    misdirected request costs O(1) whatever its body holds. ``webhook_url`` is the
    query parameter; without one, the form field of that name is used.

    With an Idempotency-Key, the key is claimed once every check has passed and
    before anything is written (see :mod:`lib.domain.idempotency`): a repeat gets
    the first answer (``replayed``), :class:`IdempotencyKeyReused` for different
    content, or :class:`IdempotencyInProgress` while the first is being written.

    Order of writes: blobs, then the job (the outbox record), then the message. A
    refused request writes nothing; a storage or database failure before the job
    is recorded removes the blobs already written and raises
    :class:`DependencyUnavailable`. Once the job is recorded the upload is
    accepted even if the message cannot be sent now: the sweeper sends it.
    """
    check_resource_id(tenant_id, "tenant")
    check_resource_id(project_id, "project")
    ctx.auth.require_tenant(api_key, tenant_id)
    ctx.auth.require_project(tenant_id, project_id)
    key = keys.parse_key(idempotency_key)
    admit_upload(ctx, tenant_id)  # quotas (429 rate_limited), still before the body is read
    limits = ctx.settings.upload_limits
    form = read_form(limits)
    files = form.files
    check_files(files, limits)
    webhook_url = check_webhook_url(
        webhook_url or form.fields.get("webhook_url"), ctx.settings.webhook_policy, ctx.resolve
    )
    pages = [count_pages(item.data, f"file {number}") for number, item in enumerate(files, start=1)]
    check_page_total(pages, limits.max_pages)
    upload = _Upload(
        tenant_id,
        project_id,
        tuple(files),
        tuple(hashlib.sha256(item.data).hexdigest() for item in files),
        tuple(pages),
        webhook_url,
    )
    if key is None:
        return _accept(ctx, upload, str(ObjectId()))
    return _accept_once(ctx, upload, key)


def _accept(ctx: Context, upload: _Upload, job_id: str, hold: _Hold | None = None) -> Submission:
    """Store the files and the job ``job_id``, then queue it; ``hold`` renews a key's claim first."""
    job = _new_job(ctx, upload, job_id)
    _store_files_and_job(ctx, job, upload.files, hold)
    dispatch_job(ctx, job)
    log.info("Job %s accepted: %d file(s), %d bytes", job.id, len(job.files), job.total_bytes)
    return _submission_of(job)


def _new_job(ctx: Context, upload: _Upload, job_id: str) -> Job:
    now = ctx.clock()
    # The report id is random: nothing about it follows from the job id (see the README).
    stored = tuple(
        StoredFile(
            blob_name=f"{upload.tenant_id}/{upload.project_id}/{job_id}/{number}.pdf",
            size_bytes=len(item.data),
            sha256=digest,
            pages=count,
        )
        for number, (item, digest, count) in enumerate(
            zip(upload.files, upload.sha256, upload.pages, strict=True), start=1
        )
    )
    return Job(
        id=job_id,
        report_id=secrets.token_hex(12),
        tenant_id=upload.tenant_id,
        project_id=upload.project_id,
        status=JobStatus.PENDING,
        files=stored,
        attempts=0,
        max_attempts=ctx.settings.max_attempts,
        created_at=now,
        updated_at=now,
        webhook_url=upload.webhook_url,
        next_attempt_at=now,
        message_sent=True,  # by this request, right after the insert (see dispatch_job)
        message_sent_at=now,
    )


def _submission_of(job: Job, *, replayed: bool = False) -> Submission:
    return Submission(
        job.id, job.report_id, len(job.files), round(job.total_bytes / MB, 3), job.webhook_url, replayed
    )


# -- with an Idempotency-Key -------------------------------------------------------------


class _Hold:
    """A claim on a key as this request holds it; :meth:`renew` re-locks it before the job is written."""

    def __init__(self, ctx: Context, record: IdempotencyRecord) -> None:
        self.ctx = ctx
        self.record = record

    def renew(self) -> None:
        """Renew the lock (one conditional write); :class:`_ClaimLost` when a repeat took the key over.

        The blob writes may have been slow; renewed, the lock outlasts the one insert
        that is left, so a take-over cannot begin while the job is being written.
        """
        renewed = keys.relocked(self.record, now=self.ctx.clock(), lock_for=_lock_for(self.ctx))
        if not self.ctx.idempotency.replace(self.record, renewed):
            raise _ClaimLost
        self.record = renewed


def _accept_once(ctx: Context, upload: _Upload, key: str) -> Submission:
    """Accept the upload unless this key already holds one: answer that one instead.

    Any failure before the job is stored releases the key (nothing was written);
    a failure to complete the record once the job is stored only delays the
    replays until the lock runs out, when a repeat finds the job and answers it.
    """
    fingerprint = keys.fingerprint(upload.project_id, upload.sha256, upload.webhook_url)
    claimed = _claim(ctx, upload.tenant_id, key, fingerprint)
    if isinstance(claimed, Submission):
        return claimed
    hold = _Hold(ctx, claimed)
    try:
        submission = _accept(ctx, upload, claimed.job_id, hold)
    except _ClaimLost:
        log.warning("Idempotency key of job %s taken over while its files were written", claimed.job_id)
        raise IdempotencyInProgress(1) from None
    except Conflict as exc:
        if exc.code != "job_id_taken":
            raise
        # Stalled past its renewed lock: the key was taken over and this job id fenced.
        log.warning("Idempotency key of job %s taken over before the job was inserted", claimed.job_id)
        raise IdempotencyInProgress(1) from None
    except BaseException:
        _release(ctx, hold.record)
        raise
    _complete(ctx, hold.record, submission)
    return submission


def _claim(ctx: Context, tenant_id: str, key: str, fingerprint: str) -> Submission | IdempotencyRecord:
    """Claim the key (one conditional insert): the claim to go on with, or the answer to give.

    A key whose claimant died (its lock ran out) is answered with the job stored
    under its reserved id if there is one, else that id is marked refused and the
    key taken over with a new job id.
    Raises :class:`IdempotencyKeyReused` or :class:`IdempotencyInProgress`.
    """
    digest = keys.key_digest(key)
    for _ in range(_CLAIM_ATTEMPTS):
        now = ctx.clock()
        claim = keys.new_claim(
            tenant_id=tenant_id,
            key=key,
            fingerprint=fingerprint,
            job_id=str(ObjectId()),
            token=secrets.token_hex(16),
            now=now,
            lock_for=_lock_for(ctx),
        )
        if ctx.idempotency.insert(claim):
            return claim
        stored = ctx.idempotency.get(tenant_id, digest)
        if stored is None:
            continue  # released (or swept) between the insert and the read: claim again
        verdict = keys.judge(stored, fingerprint, now)
        if verdict is Verdict.REPLAY:
            log.info("Upload repeated with its Idempotency-Key: job %s answered again", stored.job_id)
            return _replayed(stored)
        if verdict is Verdict.REUSED:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different upload (project, files or webhook URL);"
                " send a new key for a new upload"
            )
        if verdict is Verdict.IN_PROGRESS:
            raise IdempotencyInProgress(keys.retry_after_seconds(stored, now))
        if verdict is Verdict.TAKE_OVER:
            # One upsert finds the reserved job, or fences its id so that an insert of the dead
            # claimant, were it applied late, fails: the key never ends up with two jobs.
            found = ctx.jobs.stored_or_refused(stored.job_id, now)
            existing = ctx.jobs.get_for_tenant(stored.job_id, tenant_id) if found else None
            if existing is not None:
                # Its claimant stored the job, then died before completing the record: the job is
                # the answer (whoever completes the record, it is this one).
                log.info("Idempotency key of job %s completed by a repeat", existing.id)
                answer = _submission_of(existing, replayed=True)
                _complete(ctx, stored, answer)
                return answer
            claim = keys.taken_over(
                stored, token=claim.token, job_id=claim.job_id, now=now, lock_for=_lock_for(ctx)
            )
        if ctx.idempotency.replace(stored, claim):  # a take-over, or an expired record replaced
            if verdict is Verdict.TAKE_OVER:
                log.warning("Idempotency key of job %s taken over as job %s", stored.job_id, claim.job_id)
            return claim
    raise IdempotencyInProgress(1)


def _replayed(record: IdempotencyRecord) -> Submission:
    response = record.response or {}
    return Submission(
        job_id=str(response["job_id"]),
        report_id=str(response["report_id"]),
        files_uploaded=int(response["files_uploaded"]),
        total_size_mb=float(response["total_size_mb"]),
        webhook_url=response.get("webhook_url"),
        replayed=True,
    )


def _complete(ctx: Context, record: IdempotencyRecord, submission: Submission) -> None:
    """Store the answer on the key (one conditional write).

    The upload is accepted whatever happens here: a record left in progress is
    completed by a repeat after its lock, which finds the job.
    """
    answer = {name: value for name, value in asdict(submission).items() if name != "replayed"}
    try:
        if not ctx.idempotency.replace(record, keys.completed(record, answer)):
            log.warning("Idempotency key of job %s changed before it was completed", submission.job_id)
    except DependencyUnavailable:
        log.warning("Idempotency key of job %s not completed; a repeat completes it later", submission.job_id)


def _release(ctx: Context, record: IdempotencyRecord) -> None:
    """Free the key of a request refused after its claim; left in place, its lock runs out by itself."""
    try:
        ctx.idempotency.release(record)
    except DependencyUnavailable:
        log.warning("Idempotency key of job %s not released; its lock runs out", record.job_id)


def _lock_for(ctx: Context) -> timedelta:
    return timedelta(seconds=ctx.settings.idempotency_lock_seconds)


# -- writes ------------------------------------------------------------------------------


def _store_files_and_job(
    ctx: Context, job: Job, files: Sequence[UploadedFile], hold: _Hold | None = None
) -> None:
    """Write the blobs, then the job; on failure leave no blob behind that no job points to.

    An insert that fails without saying whether it was applied (a time-out, a dropped
    connection) is settled before answering: if the job is stored after all the
    upload is accepted; if not, its id is marked refused, so the insert cannot
    surface later as a job the client was told does not exist.

    With a key's ``hold``, the claim is renewed between the blobs and the job; a
    claim lost meanwhile refuses the upload like any other failure (a take-over
    uses a job id of its own, so these blobs are nobody else's).
    """
    written: list[str] = []
    inserting = False
    try:
        for meta, item in zip(job.files, files, strict=True):
            ctx.blobs.put(meta.blob_name, item.data, sha256=meta.sha256)
            written.append(meta.blob_name)
        if hold is not None:
            hold.renew()
        inserting = True
        ctx.jobs.insert(job)
    except BaseException as exc:
        if inserting and _unclear_insert(exc) and _stored_after_all(ctx, job):
            log.warning("Job %s: the insert answered with an error but was applied; accepted", job.id)
            return
        left = ctx.blobs.delete_quietly(written)
        if left:
            # Unreferenced and private; no client ever learns their names.
            log.error("Upload for job %s refused; %d orphan blob(s) could not be removed", job.id, len(left))
        raise


def _unclear_insert(exc: BaseException) -> bool:
    """Whether the insert failed in a way that may still have stored the job.

    Throttling (16500) is an answer: a throttled request is not run.
    """
    return isinstance(exc, DependencyUnavailable) and not isinstance(exc, DependencyThrottled)


def _stored_after_all(ctx: Context, job: Job) -> bool:
    """Whether the job is stored; ``False`` once its id is marked refused, or when that is unknown."""
    try:
        return ctx.jobs.stored_or_refused(job.id, ctx.clock())
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the upload is refused and its blobs go
        # The insert may yet be applied late (see "How it works" in the README).
        log.warning(
            "Job %s: refused without a marker (%s); a late insert of it would fail the job",
            job.id,
            type(exc).__name__,
        )
        return False
