"""Portal-side set-up for connector tests: LAs pointed at a running simulator, submitted referrals,
and connector workers run in-process or as real `flask connector run` subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from portal.connector import outbox
from portal.connector.endpoints import set_endpoint
from portal.connector.models import OutboxItem
from portal.connector.worker import Worker, WorkerOptions
from portal.db import utcnow
from portal.db import db
from portal.referrals import service as referrals
from portal.referrals.models import Referral
from tests.conftest import environ_for_tests
from tests.connector.conftest import SECRET_938
from tests.connector.payloads import referral_payload
from tests.factories import make_referral, make_school, referring_school

PROJECT = Path(__file__).resolve().parents[2]


def point_at(sim, la, secret: str = SECRET_938):
    endpoint = set_endpoint(la, f"{sim.base_url}/la/{la.code}", secret, allow_http=True)
    db.session.commit()
    return endpoint


def submitted_referral(setup=None, **kwargs) -> Referral:
    """A referral submitted through the real service (so its outbox row is written by it)."""
    setup = setup or referring_school()
    referral = make_referral(setup, complete=True, **kwargs)
    return referrals.submit_referral(referral, setup.dsl)


def bulk_outbox(la, count: int, setup=None) -> list[uuid.UUID]:
    """Many submitted referrals with outbox rows, quickly (no form pages): for load and races."""
    setup = setup or referring_school(la)
    ids = []
    for _ in range(count):
        referral = Referral(school_id=setup.school.id, pupil_id=setup.pupil.id, local_authority_id=la.id,
                            created_by_id=setup.dsl.id, status="submitted", submitted_at=utcnow(),
                            submitted_by_id=setup.dsl.id)
        referral.form = {}
        db.session.add(referral)
        db.session.flush()
        item = OutboxItem(referral_id=referral.id, local_authority_id=la.id, state="pending", attempts=0,
                          next_attempt_at=utcnow())
        item.payload = referral_payload(la.code, referral_id=str(referral.id), nhs_number=None, upn=None)
        db.session.add(item)
        ids.append(referral.id)
    db.session.commit()
    return ids


def run_worker_once(**options) -> dict:
    options.setdefault("poll_interval", 0.01)
    options.setdefault("worker_id", "test-worker")
    worker = Worker(WorkerOptions(**options))
    try:
        worker.run(once=True)
    finally:
        worker.close()
    return worker.totals


def items() -> list[OutboxItem]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxItem).order_by(OutboxItem.created_at)).scalars())


def count_state(state: str) -> int:
    return db.session.execute(select(func.count(OutboxItem.id)).where(OutboxItem.state == state)).scalar_one()


def make_all_due() -> None:
    """Bring every pending row's next attempt forward (instead of waiting out the backoff)."""
    db.session.execute(
        OutboxItem.__table__.update().where(OutboxItem.__table__.c.state == "pending")
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def subprocess_env() -> dict[str, str]:
    url = db.engine.url.render_as_string(hide_password=False)
    env = environ_for_tests(url, current_app.instance_path)
    env["PYTHONPATH"] = str(PROJECT)
    env["PYTHONUNBUFFERED"] = "1"
    # The simulators this test started are on the allow-list (tests.connector.conftest.allow_host).
    env["PORTAL_CONNECTOR_ALLOWED_HOSTS"] = os.environ.get("PORTAL_CONNECTOR_ALLOWED_HOSTS", "")
    return env


def start_worker_process(*args: str, log_path: Path | None = None) -> subprocess.Popen:
    """A real `flask --app portal connector run` on the test database."""
    command = [sys.executable, "-m", "flask", "--app", "portal", "connector", "run", *args]
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    return subprocess.Popen(command, env=subprocess_env(), cwd=str(PROJECT), stdout=out, stderr=subprocess.STDOUT)


__all__ = ["outbox", "make_school", "os"]
