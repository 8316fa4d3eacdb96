"""Workers delivering to a real simulator on loopback: delivery, faults, signatures, dead letters."""

from __future__ import annotations

import time

from sqlalchemy import select

from portal.connector import outbox
from portal.connector.models import ConnectorEndpoint
from portal.db import db
from portal.auth.roles import Role
from tests.connector.conftest import SECRET_938
from tests.connector.payloads import referral_payload
from tests.connector.portal_setup import (
    bulk_outbox,
    count_state,
    items,
    make_all_due,
    point_at,
    run_worker_once,
    submitted_referral,
)
from tests.factories import make_la, make_user, referring_school
import pytest


@pytest.fixture(autouse=True)
def fixed_backoff(monkeypatch):
    """A failed row waits a minute (no jitter), so a --once run tries each row once; tests bring
    rows forward with make_all_due() instead of waiting."""
    monkeypatch.setattr("portal.connector.outbox.next_attempt_delay", lambda attempt, *a, **k: 60.0)


def _northshire(casesim, secret=SECRET_938):
    la = make_la(code="938", name="Northshire")
    point_at(casesim, la, secret)
    return la


def test_a_submitted_referral_is_delivered_and_keeps_its_case_reference(app, casesim):
    la = _northshire(casesim)
    referral = submitted_referral(referring_school(la))
    totals = run_worker_once()
    assert totals["delivered"] == 1
    [item] = items()
    assert item.state == "delivered" and item.case_reference.startswith("CASE-938-")
    assert item.person_id.startswith("PER-938-") and item.delivered_at is not None and item.lease_owner is None
    [case] = casesim.cases("938")
    assert case["referral_id"] == str(referral.id) and case["case_reference"] == item.case_reference
    status = outbox.delivery_status(referral.id)
    assert status["state"] == "delivered" and status["case_reference"] == item.case_reference


def test_simulator_down_then_back_delivers_everything_once(app, casesim):
    la = _northshire(casesim)
    ids = bulk_outbox(la, 20)
    casesim.set_fault("error_500", scope="referrals")
    run_worker_once(batch=5)
    assert count_state("pending") == 20 and all(i.last_error == "server_error" for i in items())
    make_all_due()
    run_worker_once(batch=5)
    casesim.set_fault("none")
    make_all_due()
    run_worker_once(batch=5)
    assert count_state("delivered") == 20
    cases = casesim.cases("938")
    assert sorted(c["referral_id"] for c in cases) == sorted(map(str, ids))
    assert all(i.attempts == 3 for i in items())


def test_stored_then_dropped_connection_gives_no_duplicate_case(app, casesim):
    la = _northshire(casesim)
    bulk_outbox(la, 3)
    casesim.set_fault("drop_after_store", scope="referrals", count=3)
    run_worker_once()
    assert count_state("pending") == 3 and {i.last_error for i in items()} == {"connection_error"}
    assert len(casesim.cases("938")) == 3  # stored, but the answers were lost
    make_all_due()
    run_worker_once()
    assert count_state("delivered") == 3
    cases = casesim.cases("938")
    assert len(cases) == 3
    assert {i.case_reference for i in items()} == {c["case_reference"] for c in cases}


def test_a_hang_past_the_timeout_is_retried_and_delivered_once(app, casesim, monkeypatch):
    from portal.connector.client import Endpoint
    from portal.connector.endpoints import secrets_of

    monkeypatch.setattr("portal.connector.worker.client_endpoint",
                        lambda row: Endpoint(row.base_url, secrets_of(row), read_timeout=0.5, total_timeout=1.0))
    la = _northshire(casesim)
    bulk_outbox(la, 1)
    casesim.set_fault("hang", scope="referrals", delay=2, count=1)
    run_worker_once()
    assert [i.last_error for i in items()] == ["timeout"]
    time.sleep(1.5)  # the hung request carries on and stores the referral
    make_all_due()
    run_worker_once()
    [item] = items()
    assert item.state == "delivered" and len(casesim.cases("938")) == 1


def test_a_wrong_secret_is_refused_by_the_simulator_and_alerts_the_managers(app, casesim):
    la = _northshire(casesim, secret="a-wrong-secret-that-is-long-enough-0123456789")
    manager = make_user(Role.TRIAGE_MANAGER, la)
    bulk_outbox(la, 2)
    run_worker_once()
    assert count_state("pending") == 2 and {i.last_error for i in items()} == {"auth_refused"}
    assert casesim.cases("938") == []
    endpoint = db.session.execute(select(ConnectorEndpoint)).scalar_one()
    assert endpoint.problem == "auth_refused"
    mails = list((app.instance_path and __import__("pathlib").Path(app.instance_path) / "mail").glob("*.eml"))
    assert any(manager.email in m.read_text() for m in mails)
    # Fixing the secret clears the problem at the next success.
    point_at(casesim, la, SECRET_938)
    make_all_due()
    run_worker_once()
    assert count_state("delivered") == 2
    db.session.expire_all()
    assert db.session.execute(select(ConnectorEndpoint)).scalar_one().problem is None


def test_a_reply_signed_with_the_wrong_key_or_an_old_timestamp_is_not_trusted(app, casesim):
    la = _northshire(casesim)
    bulk_outbox(la, 1)
    casesim.set_fault("bad_response_signature", scope="referrals", count=1)
    run_worker_once()
    assert [i.last_error for i in items()] == ["untrusted_response"]
    casesim.set_fault("stale_response_timestamp", scope="referrals", count=1)
    make_all_due()
    run_worker_once()
    assert [(i.state, i.last_error) for i in items()] == [("pending", "untrusted_response")]
    make_all_due()
    run_worker_once()
    [item] = items()
    assert item.state == "delivered" and len(casesim.cases("938")) == 1


def test_a_conflict_is_dead_lettered_with_an_alert(app, casesim):
    la = _northshire(casesim)
    manager = make_user(Role.TRIAGE_MANAGER, la)
    [referral_id] = bulk_outbox(la, 1)
    # The case system already holds another body under this referral's key.
    from portal.connector.client import deliver_referral

    other = referral_payload("938", referral_id=str(referral_id), legal_surname="Different")
    assert deliver_referral(casesim.endpoint("938"), other, referral_id).delivered
    run_worker_once()
    [item] = items()
    assert item.state == "dead" and item.last_error == "conflict" and item.last_status_code == 409
    from pathlib import Path

    mails = [m.read_text() for m in (Path(app.instance_path) / "mail").glob("*.eml")]
    alert = [m for m in mails if manager.email in m and "could not be delivered" in m]
    assert alert and "Testchild" not in alert[0] and "Different" not in alert[0]
    # The email links to the connector status page, where the manager retries it.
    assert "/connector" in alert[0] and "(sign in to Safeguard Portal" not in alert[0]
    # Dead letters are not picked up again by workers.
    run_worker_once()
    assert items()[0].attempts == 1


def test_an_invalid_payload_is_dead_lettered_with_paths_not_values(app, casesim):
    la = _northshire(casesim)
    [referral_id] = bulk_outbox(la, 1)
    from portal.connector.models import OutboxItem

    row = db.session.execute(select(OutboxItem)).scalar_one()
    payload = row.payload
    payload["child"]["nhs_number"] = "1234567890"
    row.payload = payload
    db.session.commit()
    run_worker_once()
    [item] = items()
    assert item.state == "dead" and item.last_error == "invalid_payload"
    assert "child.nhs_number" in item.last_error_detail and "1234567890" not in item.last_error_detail
