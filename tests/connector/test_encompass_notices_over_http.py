"""Operation Encompass notices through the connector to a real simulator on loopback: a notice
recorded on the police's pages, routed by the mail worker's pass, queued once and delivered by
the connector worker; faults, redelivery, an LA without an endpoint, an old receiver, the logs."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from casesim.cli import casesim_cli
from portal.connector import notice_outbox
from portal.connector.models import ConnectorEndpoint, NoticeOutboxItem, OutboxItem
from portal.connector.notice_payload import NOTICES_PATH
from portal.db import db, utcnow
from portal.encompass.service import route_waiting
from portal.notify.models import MailMessage
from tests.connector.conftest import SECRET_938
from tests.connector.portal_setup import point_at, run_worker_once, submitted_referral
from tests.encompass.conftest import (  # noqa: F401 (world is a fixture)
    DISCLOSURE,
    KNOWN,
    SIBLING,
    as_user,
    child_form,
    record_notice,
    world,
)
from tests.factories import referring_school


@pytest.fixture(autouse=True)
def fixed_backoff(monkeypatch):
    """A failed row waits a minute (no jitter): a --once run tries each row once; tests bring rows
    forward with make_due() instead of waiting."""
    monkeypatch.setattr("portal.connector.outbox.next_attempt_delay", lambda attempt, *a, **k: 60.0)


def notice_rows() -> list[NoticeOutboxItem]:
    db.session.expire_all()
    return list(db.session.execute(select(NoticeOutboxItem).order_by(NoticeOutboxItem.created_at)).scalars())


def make_due() -> None:
    db.session.execute(
        NoticeOutboxItem.__table__.update().where(NoticeOutboxItem.__table__.c.state == "pending")
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def send_household_notice(client, world) -> str:
    """The police record one notice for two children at one address: Amelia (on Oakfield's roll)
    and her brother (on no roll in the portal); the mail worker's pass routes both."""
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [
        child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"], disclosure=DISCLOSURE),
        child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"], exposure=["saw"], injured="yes",
                   injuries="A bruise on his arm"),
    ])
    assert notice_rows() == []  # sent, not routed yet: the council is told once it is routed
    assert route_waiting() == 2
    return notice_id


def test_a_routed_notice_is_queued_once_and_delivered_to_the_case_system(app, client, world, casesim):
    point_at(casesim, world.northshire)
    notice_id = send_household_notice(client, world)
    [row] = notice_rows()
    assert row.state == "pending" and str(row.notice_id) == notice_id and row.local_authority_id == world.northshire.id

    totals = run_worker_once()
    assert totals["delivered"] == 1
    [row] = notice_rows()
    assert row.state == "delivered" and row.notice_reference.startswith("ENC-938-") and row.delivered_at
    assert row.lease_owner is None and row.attempts == 1

    [received] = casesim.store.list_notices("938")
    assert received["notice_id"] == notice_id and received["children"] == 2 and received["at_school"] == 1
    body = casesim.store.notice_body(row.notice_reference)
    amelia, brother = body["children"]
    assert body["police"] == {"kind": "police_force", "name": "Northshire Police"}
    assert body["police_reference"] == "NP/2026/004417"
    assert amelia["routed_to"] == "school" and amelia["school"]["laestab"] == world.oakfield.laestab
    assert amelia["child_words"] == DISCLOSURE and amelia["affected"] == {"present": True, "saw": False, "heard": True}
    assert brother["routed_to"] == "held" and brother["school"] is None and brother["held_reason"] == "no_match"
    assert brother["injured"] == "yes" and brother["injuries"] == "A bruise on his arm"
    # Referrals' cases are untouched: a notice is not a referral.
    assert casesim.cases("938") == []

    # A second pass of either worker adds and sends nothing.
    assert route_waiting() == 0 and run_worker_once()["delivered"] == 0
    assert len(notice_rows()) == 1 and len(casesim.store.list_notices()) == 1

    # The simulator's list shows it, with no personal details.
    result = CliRunner().invoke(casesim_cli, ["list", "--db", str(casesim.store.db_path)], obj=None)
    assert row.notice_reference in result.output and "Amelia" not in result.output
    admin = casesim.admin("GET", "/_admin/notices?la=938").json()
    assert [n["notice_reference"] for n in admin["notices"]] == [row.notice_reference]


def test_the_last_child_routed_raises_it_once(app, client, world):
    as_user(client, world.people["notifier"])
    record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"]),
                           child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"])])
    assert route_waiting(limit=1) == 1
    assert notice_rows() == []  # one child still waiting to be routed
    assert route_waiting(limit=1) == 1
    assert len(notice_rows()) == 1
    # Enqueueing the same notice again (a replayed event) adds nothing.
    from portal.encompass.models import EncompassNotice
    from portal.transaction import unit_of_work

    with unit_of_work():
        notice = db.session.get(EncompassNotice, notice_rows()[0].notice_id)
        assert notice_outbox.enqueue_notice(notice) is None
    assert len(notice_rows()) == 1


def test_after_a_simulator_fault_it_is_retried_and_delivered_once(app, client, world, casesim):
    point_at(casesim, world.northshire)
    send_household_notice(client, world)
    casesim.set_fault("error_500", scope="notices")
    run_worker_once()
    [row] = notice_rows()
    assert row.state == "pending" and row.last_error == "server_error" and row.last_status_code == 500
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)  # backoff
    assert casesim.store.list_notices() == []
    casesim.set_fault("none")
    make_due()
    run_worker_once()
    [row] = notice_rows()
    assert row.state == "delivered" and row.attempts == 2 and row.last_error is None
    assert len(casesim.store.list_notices()) == 1


def test_a_fault_on_referrals_only_leaves_notices_alone_and_the_other_way_round(app, client, world, casesim):
    point_at(casesim, world.northshire)
    send_household_notice(client, world)
    casesim.set_fault("error_500", scope="referrals")
    run_worker_once()
    assert notice_rows()[0].state == "delivered"


def test_stored_then_dropped_answer_is_redelivered_without_a_duplicate(app, client, world, casesim):
    point_at(casesim, world.northshire)
    send_household_notice(client, world)
    casesim.set_fault("drop_after_store", scope="notices", count=1)
    run_worker_once()
    [row] = notice_rows()
    assert row.state == "pending" and row.last_error == "connection_error"
    [stored] = casesim.store.list_notices()  # stored, but the answer was lost
    make_due()
    run_worker_once()
    [row] = notice_rows()
    assert row.state == "delivered" and row.notice_reference == stored["notice_reference"]
    assert len(casesim.store.list_notices()) == 1


def test_a_worker_that_died_holding_the_lease_leaves_it_to_another_once(app, client, world, casesim):
    point_at(casesim, world.northshire)
    send_household_notice(client, world)
    claim = notice_outbox.claim_due("worker-that-dies", batch=10, lease_seconds=60)
    assert len(claim.items) == 1
    assert notice_outbox.claim_due("another-worker").items == []  # leased: nobody else takes it
    assert run_worker_once()["delivered"] == 0
    db.session.execute(NoticeOutboxItem.__table__.update().values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert run_worker_once()["delivered"] == 1
    [row] = notice_rows()
    assert row.state == "delivered" and row.attempts == 2
    # The dead worker's late answer cannot undo the delivery.
    from portal.connector.client import DeliveryResult, Outcome

    notice_outbox.record_results(claim, [(claim.items[0], DeliveryResult(Outcome.RETRYABLE, "timeout"))])
    assert notice_rows()[0].state == "delivered"
    assert len(casesim.store.list_notices()) == 1


def test_an_la_without_an_endpoint_keeps_its_notices_waiting(app, client, world, casesim):
    send_household_notice(client, world)
    assert run_worker_once()["delivered"] == 0
    [row] = notice_rows()
    assert row.state == "pending" and row.attempts == 0 and row.last_error is None  # never claimed
    point_at(casesim, world.northshire)
    assert run_worker_once()["delivered"] == 1
    assert len(casesim.store.list_notices("938")) == 1


def test_a_case_system_that_does_not_take_notices_dead_letters_them_and_referrals_carry_on(
        app, client, world, casesim, monkeypatch):
    point_at(casesim, world.northshire)
    send_household_notice(client, world)
    submitted_referral(referring_school(world.northshire))
    # An older receiver: nothing listens at the notices' path (404).
    monkeypatch.setattr("portal.connector.notice_client.NOTICES_PATH", "/v1/not-there-yet")
    run_worker_once()
    [row] = notice_rows()
    assert row.state == "dead" and row.last_error == "not_accepted" and row.last_status_code == 404
    db.session.expire_all()
    assert db.session.execute(select(ConnectorEndpoint.problem)).scalar_one() is None  # not an endpoint problem
    assert db.session.execute(select(OutboxItem.state)).scalar_one() == "delivered"
    emails = db.session.execute(select(MailMessage)).scalars().all()
    alert = [e for e in emails if "could not be delivered" in e.subject]
    assert len(alert) == 1 and "Amelia" not in alert[0].body and "NP/2026" not in alert[0].body

    # Once the council's adapter takes them, an operator sends them again.
    monkeypatch.setattr("portal.connector.notice_client.NOTICES_PATH", NOTICES_PATH)
    result = app.test_cli_runner().invoke(args=["connector", "retry-notices", "938"])
    assert "1 notice(s) queued again" in result.output, result.output
    run_worker_once()
    assert notice_rows()[0].state == "delivered"
    counts = app.test_cli_runner().invoke(args=["connector", "notices", "938"]).output
    assert "delivered 1" in counts and "dead 0" in counts


def test_a_body_that_breaks_the_schema_is_refused_422_by_the_simulator(app, client, world, casesim):
    point_at(casesim, world.northshire)
    send_household_notice(client, world)
    [row] = notice_rows()
    payload = row.payload
    payload["children"][0]["routed_to"] = "pupil"
    from portal.connector.notice_client import deliver_notice

    result = deliver_notice(casesim.endpoint(secrets=(SECRET_938,)), payload, payload["notice_id"])
    assert result.permanent and result.reason == "invalid_payload"  # refused before sending
    from portal.connector.client import _request_headers
    from portal.connector.payload import canonical_json
    import httpx

    body = canonical_json(payload)
    headers = _request_headers(casesim.endpoint(), body, None,
                               {"Idempotency-Key": payload["notice_id"], "Content-Type": "application/json"})
    answer = httpx.post(f"{casesim.base_url}/la/938/v1/encompass-notices", content=body, headers=headers)
    assert answer.status_code == 422
    assert {"path": "children[0].routed_to", "code": "not_allowed"} in answer.json()["problems"]
    # Unsigned: refused before the body is read.
    assert httpx.post(f"{casesim.base_url}/la/938/v1/encompass-notices", content=body).status_code == 401


def test_a_forged_answer_is_not_trusted(app, client, world, casesim):
    point_at(casesim, world.northshire)
    send_household_notice(client, world)
    casesim.set_fault("bad_response_signature", scope="notices", count=1)
    run_worker_once()
    [row] = notice_rows()
    assert row.state == "pending" and row.last_error == "untrusted_response"
    make_due()
    run_worker_once()
    assert notice_rows()[0].state == "delivered" and len(casesim.store.list_notices()) == 1


def test_nothing_personal_in_the_logs(app, client, world, casesim, caplog):
    caplog.set_level(logging.DEBUG)
    point_at(casesim, world.northshire)
    send_household_notice(client, world)
    casesim.set_fault("error_500", scope="notices", count=1)
    run_worker_once()
    make_due()
    run_worker_once()
    assert notice_rows()[0].state == "delivered"
    text = caplog.text + json.dumps([r.args for r in caplog.records], default=str)
    assert "connector delivery notice=" in caplog.text
    for secret in (KNOWN["forename"], KNOWN["surname"], SIBLING["forename"], "XQ-DISCLOSURE-7781", "NP/2026/004417",
                   "Larkspur", "bruise", world.oakfield.laestab):
        assert secret not in text, secret


def test_the_payload_is_encrypted_at_rest(app, client, world):
    send_household_notice(client, world)
    raw = db.session.execute(select(NoticeOutboxItem.__table__.c.payload)).scalar_one()
    assert "Amelia" not in str(raw) and "NP/2026" not in str(raw)
    assert db.session.execute(select(func.count(NoticeOutboxItem.id))).scalar_one() == 1
    assert uuid.UUID(str(notice_rows()[0].notice_id))


def test_two_workers_routing_two_children_at_once_queue_the_notice_exactly_once(app, client, world, monkeypatch):
    """PostgreSQL (workers on many machines): two workers each route one child of the same notice
    at the same moment (matching takes a while here). If neither waited for the other, each would
    see the other's child still waiting (not yet committed) and neither would raise
    EncompassNoticeRouted. The notice's row lock makes the second wait for the first (the audit
    chain's head would serialise them too, a little later), with no deadlock: exactly one does."""
    import threading
    import time

    from portal.encompass import service as encompass
    from portal.encompass.models import EncompassChild

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the race needs PostgreSQL")
    as_user(client, world.people["notifier"])
    record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"]),
                           child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"])])
    child_ids = list(db.session.execute(select(EncompassChild.id).order_by(EncompassChild.position)).scalars())
    db.session.commit()
    real_matching = encompass.matching_pupils

    def slow_matching(*args, **kwargs):
        time.sleep(0.5)
        return real_matching(*args, **kwargs)

    monkeypatch.setattr(encompass, "matching_pupils", slow_matching)
    errors, routed = [], []

    def route(child_id):
        try:
            with app.app_context():
                routed.append(encompass._route_one(child_id))
                db.session.remove()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=route, args=(child_id,)) for child_id in child_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and routed == [1, 1]
    assert len(notice_rows()) == 1
