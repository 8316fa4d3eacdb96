"""Real `flask --app portal connector run` processes: killed mid-send, and four at once.

The four-worker race needs PostgreSQL's row locks (SKIP LOCKED) to show anything: on SQLite it
runs with fewer referrals, where SQLite's single writer serialises the claims.
"""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
from sqlalchemy import select, update

from portal.connector.models import OutboxItem
from portal.db import utcnow
from portal.db import db
from tests.connector.portal_setup import bulk_outbox, count_state, items, point_at, start_worker_process
from tests.factories import make_la


def _wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        db.session.expire_all()
        if predicate():
            return True
        time.sleep(step)
    return False


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_a_worker_killed_mid_send_is_delivered_once_after_restart(app, casesim, tmp_path):
    la = make_la(code="938", name="Northshire")
    point_at(casesim, la)
    [referral_id] = bulk_outbox(la, 1)
    casesim.set_fault("hang", scope="referrals", delay=3, count=1)
    worker = start_worker_process("--batch", "1", "--poll-interval", "0.1", "--no-pull", "--worker-id", "doomed",
                                  log_path=tmp_path / "doomed.log")
    try:
        assert _wait_for(lambda: count_state("in_flight") == 1, 30), (tmp_path / "doomed.log").read_text()
        time.sleep(0.5)  # the request is on the wire, the simulator is holding it
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    [item] = items()
    assert item.state == "in_flight" and item.lease_owner.startswith("doomed/")
    # The hung request carries on and the simulator stores the referral; nobody records it.
    assert _wait_for(lambda: len(casesim.cases("938")) == 1, 10)
    # The dead worker's lease runs out (brought forward here rather than waited for).
    db.session.execute(update(OutboxItem).values(lease_until=utcnow()))
    db.session.commit()
    again = start_worker_process("--once", "--no-pull", "--worker-id", "restarted", log_path=tmp_path / "again.log")
    assert again.wait(60) == 0, (tmp_path / "again.log").read_text()
    [item] = items()
    assert item.state == "delivered" and item.attempts == 2
    [case] = casesim.cases("938")
    assert case["referral_id"] == str(referral_id) and item.case_reference == case["case_reference"]


def test_four_workers_deliver_each_referral_exactly_once(app, casesim, tmp_path):
    count = 1000 if _postgres() else 80
    la = make_la(code="938", name="Northshire")
    point_at(casesim, la)
    ids = bulk_outbox(la, count)
    started = time.monotonic()
    workers = [
        start_worker_process("--once", "--no-pull", "--batch", "25", "--concurrency", "4", "--worker-id", f"w{n}",
                             log_path=tmp_path / f"w{n}.log")
        for n in range(4)
    ]
    try:
        for n, worker in enumerate(workers):
            assert worker.wait(120) == 0, (tmp_path / f"w{n}.log").read_text()[-3000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    elapsed = time.monotonic() - started
    db.session.expire_all()
    rows = db.session.execute(select(OutboxItem.state, OutboxItem.attempts, OutboxItem.case_reference)).all()
    assert Counter(state for state, _, _ in rows) == {"delivered": count}
    assert {attempts for _, attempts, _ in rows} == {1}, "a row was claimed twice"
    cases = casesim.cases("938")
    assert len(cases) == count
    assert sorted(c["referral_id"] for c in cases) == sorted(map(str, ids))
    assert len({reference for _, _, reference in rows}) == count
    # Work was shared: more than one worker delivered something (each logs its total).
    delivered_by = [int((tmp_path / f"w{n}.log").read_text().rsplit("Delivered ", 1)[1].split(",")[0])
                    for n in range(4)]
    assert sum(delivered_by) == count
    if _postgres():
        assert sum(1 for d in delivered_by if d) >= 2
    assert elapsed < 90


