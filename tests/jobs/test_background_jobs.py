"""The jobs worker itself, with a kind registered for the test: each job claimed once, made in a
child process, a crash tried again a bounded number of times, a hung job stopped, a vanished
worker's job taken back, expired results swept, and the command line."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from portal.auth.roles import Role
from portal.db import db, utcnow
from portal.files import read_chunks
from portal.jobs import registry
from portal.jobs.models import BackgroundJob, JobStatus
from portal.jobs.registry import JobKind, JobResult
from portal.jobs.service import MAX_ATTEMPTS, claim_next, counts, result_of, submit
from tests.factories import make_school, make_user
from tests.jobs.running import run_jobs

KIND = "test.echo"


@pytest.fixture
def requester(app):
    return make_user(Role.DSL, make_school())


@pytest.fixture
def kind(monkeypatch, tmp_path):
    """A kind whose behaviour each test sets: `behaviour[0](context)` returns the text to keep."""
    behaviour = [lambda context: f"made in process {os.getpid()}"]

    def run(context):
        context.progress("Halfway", 50)
        return JobResult(content=behaviour[0](context).encode(), filename="result.txt")

    def install(seconds: int = 60):
        monkeypatch.setitem(registry.KINDS, KIND, JobKind(name=KIND, run=run, seconds=seconds))

    install()
    return behaviour, install


def job(job_id) -> BackgroundJob:
    db.session.expire_all()
    return db.session.get(BackgroundJob, job_id)


def result_text(found: BackgroundJob) -> str:
    return b"".join(read_chunks(result_of(found))).decode()


def test_a_job_is_made_in_a_child_process_and_kept_in_the_file_store(app, requester, kind):
    queued, new = submit(KIND, subject_id=None, parameters={"n": 1}, requested_by=requester)

    assert new and run_jobs() == 1

    done = job(queued.id)
    assert (done.status, done.attempts, done.progress_percent, done.error) == (JobStatus.DONE, 1, 100, None)
    assert done.started_at and done.finished_at and done.expires_at > utcnow() + timedelta(hours=23)
    made_in = int(result_text(done).rsplit(" ", 1)[1])
    assert made_in != os.getpid()  # the worker kept none of the job's memory
    assert run_jobs() == 0


def test_each_job_is_claimed_once_oldest_first(app, requester, kind):
    first, _ = submit(KIND, subject_id=None, parameters={"n": 1}, requested_by=requester)
    second, _ = submit(KIND, subject_id=None, parameters={"n": 2}, requested_by=requester)

    claimed = [claim_next(), claim_next(), claim_next()]

    assert [c.id if c else None for c in claimed] == [first.id, second.id, None]
    assert {job(first.id).status, job(second.id).status} == {JobStatus.RUNNING}


def test_the_same_job_asked_twice_is_one_job_until_it_has_run(app, requester, kind):
    one, new_one = submit(KIND, subject_id=requester.id, parameters={"n": 1}, requested_by=requester)
    two, new_two = submit(KIND, subject_id=requester.id, parameters={"n": 1}, requested_by=requester)
    assert (one.id, new_one, new_two) == (two.id, True, False)
    run_jobs()
    three, new_three = submit(KIND, subject_id=requester.id, parameters={"n": 1}, requested_by=requester)
    assert new_three and three.id != one.id


def test_a_crashed_job_is_tried_again_a_bounded_number_of_times(app, requester, kind):
    behaviour, _ = kind
    behaviour[0] = lambda context: os._exit(3)  # the child dies without a word (as when killed)
    queued, _ = submit(KIND, subject_id=None, parameters={}, requested_by=requester)

    run_jobs()

    failed = job(queued.id)
    assert (failed.status, failed.error, failed.attempts) == (JobStatus.FAILED, "crashed", MAX_ATTEMPTS)
    assert failed.result_file_id is None


def test_a_job_that_crashed_once_succeeds_on_its_next_try(app, requester, kind, tmp_path):
    behaviour, _ = kind
    marker = tmp_path / "tried"

    def once(context):
        if not marker.exists():
            marker.write_text("x")
            os._exit(9)
        return "second time"

    behaviour[0] = once
    queued, _ = submit(KIND, subject_id=None, parameters={}, requested_by=requester)

    run_jobs()

    done = job(queued.id)
    assert (done.status, done.attempts, result_text(done)) == (JobStatus.DONE, 2, "second time")


def test_a_failure_is_recorded_by_its_class_name_and_not_tried_again(app, requester, kind):
    behaviour, _ = kind

    def refuse(context):
        raise LookupError("a message that may quote a child's name")

    behaviour[0] = refuse
    queued, _ = submit(KIND, subject_id=None, parameters={}, requested_by=requester)

    run_jobs()

    failed = job(queued.id)
    assert (failed.status, failed.error, failed.attempts) == (JobStatus.FAILED, "LookupError", 1)


def test_a_job_that_runs_too_long_is_stopped(app, requester, kind):
    behaviour, install = kind
    install(seconds=1)
    behaviour[0] = lambda context: time.sleep(30) or "never"
    queued, _ = submit(KIND, subject_id=None, parameters={}, requested_by=requester)

    started = time.monotonic()
    run_jobs()

    assert time.monotonic() - started < 15
    assert (job(queued.id).status, job(queued.id).error) == (JobStatus.FAILED, "timed_out")


def test_a_running_job_whose_worker_vanished_is_taken_back(app, requester, kind):
    queued, _ = submit(KIND, subject_id=None, parameters={}, requested_by=requester)
    claim_next()  # a worker claimed it, then its machine stopped
    db.session.execute(update(BackgroundJob).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    run_jobs()

    done = job(queued.id)
    assert (done.status, done.attempts) == (JobStatus.DONE, 2)


def test_a_kind_no_area_registered_fails(app, requester, kind):
    queued, _ = submit(KIND, subject_id=None, parameters={}, requested_by=requester)
    db.session.execute(update(BackgroundJob).values(kind="test.gone"))
    db.session.commit()

    run_jobs()

    assert (job(queued.id).status, job(queued.id).error) == (JobStatus.FAILED, "unknown_kind")


def test_an_old_queued_job_and_a_finished_ones_result_are_swept(app, requester, kind):
    done, _ = submit(KIND, subject_id=None, parameters={"n": 1}, requested_by=requester)
    run_jobs()
    waiting, _ = submit(KIND, subject_id=None, parameters={"n": 2}, requested_by=requester)
    db.session.execute(update(BackgroundJob).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    run_jobs()

    db.session.expire_all()
    assert db.session.execute(select(BackgroundJob)).first() is None
    from portal.files.models import StoredFile

    assert db.session.execute(select(StoredFile)).first() is None


def test_the_command_line_runs_a_pass_counts_and_sweeps(app, requester, kind):
    runner = app.test_cli_runner()
    submit(KIND, subject_id=None, parameters={}, requested_by=requester)

    assert "queued: 1" in runner.invoke(args=["jobs", "status"]).output
    ran = runner.invoke(args=["jobs", "work"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.strip().endswith("1 run")
    db.session.expire_all()
    assert counts()["done"] == 1
    assert runner.invoke(args=["jobs", "sweep"]).output.strip() == "0 swept"


def test_a_worker_being_stopped_puts_its_job_back_in_the_queue(app, requester, kind):
    import signal

    from portal.jobs.worker import run_claimed

    class Stopped(Exception):
        pass

    def stop(signum, frame):
        raise Stopped()

    behaviour, _ = kind
    behaviour[0] = lambda context: time.sleep(30) or "never"
    queued, _ = submit(KIND, subject_id=None, parameters={}, requested_by=requester)
    claimed = claim_next()
    previous = signal.signal(signal.SIGALRM, stop)  # as SIGTERM does to `flask jobs work`
    signal.alarm(1)
    try:
        with pytest.raises(Stopped):
            run_claimed(claimed.id, KIND)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

    back = job(queued.id)
    assert (back.status, back.error, back.attempts) == (JobStatus.QUEUED, "worker_stopped", 1)
