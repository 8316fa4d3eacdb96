"""The jobs worker: claims queued jobs and makes each one in a child process.

    flask --app portal jobs work --loop      # supervised (deploy/systemd/safeguard-portal-jobs.service)
    run_pending()                            # one pass, as the tests drive it

Each job runs in a process forked from the worker for that job alone, so whatever the job grows
by (WeasyPrint's layout of a 100-page bundle grows a process by about 100 MiB that Python keeps)
is handed back to the system when it exits; the worker stays small. Before its first fork the
worker runs each kind's `warm_up` (fonts found, stylesheets parsed), so every child starts warm.

The child records its own outcome: done with the result, or failed with the error's class name.
A child that ends without recording one (killed for memory, a crash) is a crash: the job is
queued again, up to MAX_ATTEMPTS tries in all. A child still running after its kind's time limit
is stopped and the job failed (`timed_out`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import uuid

from portal.auth.models import User
from portal.db import db
from portal.jobs.models import BackgroundJob, JobStatus
from portal.jobs.registry import KINDS, JobContext, kind_named
from portal.jobs.service import (
    after_crash,
    claim_next,
    fail,
    finish,
    report_progress,
    sweep_expired,
    take_back_abandoned,
)
from portal.transaction import unit_of_work

log = logging.getLogger("portal.jobs")


def warm_up() -> None:
    """What every child would otherwise pay for on its own (run once, before the first fork)."""
    for kind in KINDS.values():
        if kind.warm_up is not None:
            kind.warm_up()


def run_pending(limit: int | None = None) -> int:
    """One pass: sweep expired jobs, take back abandoned ones, then run queued jobs one after
    another until none is left (or `limit` have run). Returns how many ran."""
    sweep_expired()
    take_back_abandoned()
    ran = 0
    while limit is None or ran < limit:
        job = claim_next()
        if job is None:
            break
        run_claimed(job.id, job.kind)
        ran += 1
    return ran


def run_claimed(job_id: uuid.UUID, kind_name: str) -> None:
    kind = kind_named(kind_name)
    if kind is None:
        fail(job_id, "unknown_kind")
        return
    if "fork" not in multiprocessing.get_all_start_methods():  # not on Linux: in this process
        run_here(job_id)
        return
    # Nothing of this process's transaction may be shared with the child: end it before forking.
    with unit_of_work():
        pass
    process = multiprocessing.get_context("fork").Process(target=_child, args=(job_id,), daemon=True)
    process.start()
    try:
        process.join(kind.seconds)
    except BaseException:
        # The worker is being stopped (SIGTERM, Ctrl-C): the job goes back to the queue for the
        # next worker rather than waiting for its lease to run out.
        process.kill()
        process.join()
        after_crash(job_id, "worker_stopped")
        raise
    if process.is_alive():
        process.kill()
        process.join()
        fail(job_id, "timed_out")
        return
    with unit_of_work() as session:
        job = session.get(BackgroundJob, job_id, populate_existing=True)
        still_running = job is not None and job.status == JobStatus.RUNNING
    if still_running:
        after_crash(job_id, "crashed" if process.exitcode else "no_outcome")


def _child(job_id: uuid.UUID) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the worker's own handler is not the job's
    # The parent's pooled connections are its own: forget them here without closing them.
    db.engine.dispose(close=False)
    db.session.remove()
    try:
        run_here(job_id)
    except BaseException as error:  # noqa: BLE001 - recording the outcome failed: a crash
        log.error("job %s process failed error=%s", job_id, type(error).__name__)
        os._exit(1)


def run_here(job_id: uuid.UUID) -> None:
    """Make one claimed job in this process and record its outcome."""
    with unit_of_work() as session:
        job = session.get(BackgroundJob, job_id, populate_existing=True)
        if job is None or job.status != JobStatus.RUNNING:
            return
        kind = kind_named(job.kind)
        requester = session.get(User, job.requested_by_id)
        context = JobContext(
            job_id=job.id,
            subject_id=job.subject_id,
            parameters=dict(job.parameters or {}),
            requested_by=requester,
            progress=lambda text, percent: report_progress(job_id, text, percent),
        )
    try:
        result = kind.run(context)
    except Exception as error:  # noqa: BLE001 - recorded by class name only: messages can quote data
        db.session.remove()  # whatever the job left half-done in its session (an aborted transaction) goes
        fail(job_id, type(error).__name__)
        return
    finish(job_id, result, requester)
