"""Asking for a background job, following it, fetching its result, and the worker's side of
the table (claiming, progress, finishing, failing, taking back, sweeping).

    job, new = submit("chronology.court_bundle", subject_id=pupil.id,
                      parameters={"categories": ["neglect"]}, requested_by=current_user)
    job = job_for(job_id, kind="chronology.court_bundle", subject_id=pupil.id)   # NotFound unless theirs
    stored = result_of(job)                      # the StoredFile once done, else None

Nothing here logs anything personal: a job is named by its opaque id and its kind, and an error
by its class name or a code.
"""

from __future__ import annotations

import io
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from portal.db import db, utcnow
from portal.domain_errors import NotFound
from portal.files import delete_stored, store_upload
from portal.files.models import StoredFile
from portal.jobs.models import ACTIVE, BackgroundJob, JobStatus
from portal.jobs.registry import JobResult, kind_named
from portal.policy import require
from portal.transaction import transactional, unit_of_work

log = logging.getLogger("portal.jobs")

# A finished job (and its result) is kept this long, then swept.
KEEP_FOR = timedelta(hours=24)
# A job whose child process died (killed for memory, the machine restarted) is tried this many
# times in all before it is marked failed.
MAX_ATTEMPTS = 3
# Room after a kind's own time limit before a running job whose worker vanished is taken back.
LEASE_MARGIN = timedelta(seconds=60)
# The largest result kept (a court bundle of 1,000 pages is a few MB).
RESULT_MAX_BYTES = 512 * 1024 * 1024


class JobNotKnown(ValueError):
    """A kind that no area registered (a programming error, not a user's)."""


# --- asking and following ---------------------------------------------------------------------


@transactional
def submit(kind: str, *, subject_id: uuid.UUID | None, parameters: dict, requested_by) -> tuple[BackgroundJob, bool]:
    """Queue a job of `kind`, or give back the same job (same kind, record, parameters and
    requester) that is already queued or running: a double-click makes one job. Returns the job
    and whether it is new. The caller checks the policy and audits the asking."""
    if kind_named(kind) is None:
        raise JobNotKnown(kind)
    waiting = db.session.execute(
        select(BackgroundJob).where(
            BackgroundJob.kind == kind,
            BackgroundJob.subject_id == subject_id,
            BackgroundJob.requested_by_id == requested_by.id,
            BackgroundJob.status.in_([s.value for s in ACTIVE]),
        ).order_by(BackgroundJob.created_at.desc())
    ).scalars().all()
    for job in waiting:
        if job.parameters == parameters:
            return job, False
    now = utcnow()
    job = BackgroundJob(
        id=uuid.uuid4(),
        kind=kind,
        status=JobStatus.QUEUED,
        requested_by_id=requested_by.id,
        school_id=requested_by.school_id,
        local_authority_id=requested_by.local_authority_id if requested_by.school_id is None else None,
        subject_id=subject_id,
        parameters=parameters,
        progress_text="Waiting to start",
        progress_percent=0,
        attempts=0,
        created_at=now,
        expires_at=now + KEEP_FOR,
    )
    db.session.add(job)
    db.session.flush()
    log.info("job %s queued kind=%s", job.id, kind)
    return job, True


def job_for(job_id: uuid.UUID, *, kind: str, subject_id: uuid.UUID | None) -> BackgroundJob:
    """The job, if the signed-in user may follow it and fetch its result (the requester, or a
    safeguarding lead of their school): NotFound otherwise, and for a job of another kind or
    record (so a job's id cannot be used under another pupil's address)."""
    job = db.session.get(BackgroundJob, job_id, populate_existing=True)
    if job is None or job.kind != kind or job.subject_id != subject_id:
        raise NotFound()
    require("jobs:result", job)
    return job


def result_of(job: BackgroundJob) -> StoredFile | None:
    """The finished job's file (encrypted in the file store), or None (not done, or swept)."""
    if job.status != JobStatus.DONE or job.result_file_id is None:
        return None
    return db.session.get(StoredFile, job.result_file_id)


# --- the worker's side ------------------------------------------------------------------------


def claim_next() -> BackgroundJob | None:
    """Take the oldest queued job for this worker, or None. On PostgreSQL the candidate row is
    locked with SKIP LOCKED (two workers pick different jobs); on both databases the claim is an
    UPDATE that only succeeds while the row is still queued, so a job is never run twice at once."""
    while True:
        with unit_of_work() as session:
            candidate = session.execute(
                select(BackgroundJob.id, BackgroundJob.kind)
                .where(BackgroundJob.status == JobStatus.QUEUED)
                .order_by(BackgroundJob.created_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if candidate is None:
                return None
            kind = kind_named(candidate.kind)
            now = utcnow()
            seconds = kind.seconds if kind is not None else 0
            claimed = session.execute(
                update(BackgroundJob)
                .where(BackgroundJob.id == candidate.id, BackgroundJob.status == JobStatus.QUEUED)
                .values(status=JobStatus.RUNNING, started_at=now, attempts=BackgroundJob.attempts + 1,
                        lease_expires_at=now + timedelta(seconds=seconds) + LEASE_MARGIN,
                        progress_text="Starting", progress_percent=0)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed == 1:
                job = session.get(BackgroundJob, candidate.id, populate_existing=True)
                log.info("job %s started kind=%s attempt=%d", job.id, job.kind, job.attempts)
                return job
        # Another worker took it between the two statements (SQLite): look again.


def report_progress(job_id: uuid.UUID, text: str, percent: int) -> None:
    """Say how far a running job has got (its own small transaction; words that name nobody)."""
    with unit_of_work() as session:
        session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.RUNNING)
            .values(progress_text=text[:200], progress_percent=max(0, min(int(percent), 99)))
            .execution_options(synchronize_session=False)
        )


@transactional
def finish(job_id: uuid.UUID, result: JobResult, requested_by) -> bool:
    """Keep the result encrypted in the file store and mark the job done. False if the job is no
    longer this worker's (taken back after its lease ran out): the result is then dropped."""
    job = db.session.get(BackgroundJob, job_id, populate_existing=True)
    if job is None or job.status != JobStatus.RUNNING:
        return False
    stored = store_upload(io.BytesIO(result.content), filename=result.filename, uploaded_by=requested_by,
                          limit=RESULT_MAX_BYTES)
    db.session.flush()
    now = utcnow()
    job.result_file_id = stored.id
    job.status = JobStatus.DONE
    job.progress_text = "Ready"
    job.progress_percent = 100
    job.error = None
    job.finished_at = now
    job.lease_expires_at = None
    job.expires_at = now + KEEP_FOR
    log.info("job %s done kind=%s bytes=%d", job.id, job.kind, len(result.content))
    return True


@transactional
def fail(job_id: uuid.UUID, code: str) -> None:
    """Mark the job failed, with a code or an error's class name (never its message)."""
    job = db.session.get(BackgroundJob, job_id, populate_existing=True)
    if job is None or job.status not in ACTIVE:
        return
    _give_up(job, code)


def _give_up(job: BackgroundJob, code: str) -> None:
    now = utcnow()
    job.status = JobStatus.FAILED
    job.error = code[:60]
    job.progress_text = None
    job.finished_at = now
    job.lease_expires_at = None
    job.expires_at = now + KEEP_FOR
    log.warning("job %s failed kind=%s error=%s attempts=%d", job.id, job.kind, job.error, job.attempts)


@transactional
def after_crash(job_id: uuid.UUID, code: str) -> None:
    """The job's process ended without saying how it went (killed, out of memory, a lost
    worker): queue it again, up to MAX_ATTEMPTS tries in all, then mark it failed."""
    job = db.session.get(BackgroundJob, job_id, populate_existing=True)
    if job is None or job.status != JobStatus.RUNNING:
        return
    if job.attempts >= MAX_ATTEMPTS:
        _give_up(job, code)
        return
    job.status = JobStatus.QUEUED
    job.error = code[:60]
    job.progress_text = "Waiting to start again"
    job.progress_percent = 0
    job.lease_expires_at = None
    log.warning("job %s will be tried again kind=%s error=%s attempts=%d", job.id, job.kind, job.error, job.attempts)


def take_back_abandoned(now: datetime | None = None) -> int:
    """Running jobs whose worker went away (their lease ran out): tried again or failed."""
    now = now or utcnow()
    with unit_of_work() as session:
        ids = session.execute(
            select(BackgroundJob.id).where(BackgroundJob.status == JobStatus.RUNNING,
                                           BackgroundJob.lease_expires_at < now)
        ).scalars().all()
    for job_id in ids:
        after_crash(job_id, "worker_lost")
    return len(ids)


@transactional
def sweep_expired(now: datetime | None = None) -> int:
    """Delete the jobs that have expired (24 hours after they finished, or were asked for if they
    never ran) with their results. Running jobs are left to finish or be taken back."""
    now = now or utcnow()
    jobs = db.session.execute(
        select(BackgroundJob).where(BackgroundJob.expires_at <= now, BackgroundJob.status != JobStatus.RUNNING)
    ).scalars().all()
    files = [job.result_file_id for job in jobs if job.result_file_id is not None]
    for job in jobs:
        db.session.delete(job)
    db.session.flush()
    for file_id in files:
        stored = db.session.get(StoredFile, file_id)
        if stored is not None:
            delete_stored(stored)
    if jobs:
        log.info("jobs swept: %d (%d results deleted)", len(jobs), len(files))
    return len(jobs)


def counts() -> dict[str, int]:
    """How many jobs are in each state (for `flask jobs status`)."""
    rows = db.session.execute(select(BackgroundJob.status, func.count()).group_by(BackgroundJob.status)).all()
    found = {status: count for status, count in rows}
    return {status.value: found.get(status.value, 0) for status in JobStatus}
