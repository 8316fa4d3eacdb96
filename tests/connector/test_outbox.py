"""The outbox: written with the submission, claimed with leases, retried with backoff, dead-lettered."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.connector import outbox
from portal.connector.client import DeliveryResult, Outcome
from portal.connector.models import OutboxItem
from portal.connector.payload import validate_referral_payload
from portal.connector.retry import DEFAULT_CAP_SECONDS, backoff_ceiling
from portal.db import utcnow
from portal.db import db
from portal.referrals import service as referrals
from portal.referrals.models import Referral
from tests.connector.portal_setup import bulk_outbox, items, point_at, submitted_referral
from tests.factories import make_la, make_referral, make_reviewed_concern, referring_school


def test_submitting_a_referral_writes_its_outbox_row_with_a_valid_payload(app):
    setup = referring_school()
    concern = make_reviewed_concern(setup.pupil, setup.staff, categories=("cse", "neglect"))
    referral = submitted_referral(setup, concerns=[concern])
    [item] = items()
    assert item.referral_id == referral.id and item.state == "pending" and item.attempts == 0
    assert item.local_authority_id == setup.la.id
    payload = item.payload
    assert validate_referral_payload(payload) == []
    assert payload["referral_id"] == str(referral.id) and payload["la_code"] == "938"
    assert payload["child"]["legal_surname"] == setup.pupil.legal_surname
    assert payload["concerns"][0]["concern_id"] == str(concern.id)
    assert payload["concerns"][0]["categories"] == ["child_sexual_exploitation", "neglect"]
    assert payload["household"][0]["age"] == 41 and payload["household"][0]["lives_with_child"] is True
    assert payload["consent"]["consent_given"] is False and payload["consent"]["reason_not_sought"]


def test_the_payload_is_encrypted_at_rest(app):
    submitted_referral()
    raw = db.session.execute(select(OutboxItem.__table__.c.payload)).scalar_one()
    assert raw.startswith("v1:") and "Zorabelle" not in raw


def test_submitting_twice_writes_one_outbox_row(app):
    setup = referring_school()
    referral = submitted_referral(setup)
    referrals.submit_referral(referral, setup.dsl)
    assert len(items()) == 1


def test_an_incomplete_referral_leaves_no_outbox_row(app):
    setup = referring_school()
    referral = make_referral(setup, complete=False)
    with pytest.raises(referrals.ReferralIncomplete):
        referrals.submit_referral(referral, setup.dsl)
    assert items() == []


def test_a_submission_that_fails_after_the_outbox_row_leaves_neither(app, monkeypatch):
    setup = referring_school()
    referral = make_referral(setup, complete=True)

    def broken(*args, **kwargs):
        raise RuntimeError("the LA's queue is unavailable")

    monkeypatch.setattr("portal.triage.arrival.receive_referral", broken)
    with pytest.raises(RuntimeError):
        referrals.submit_referral(referral, setup.dsl)
    db.session.rollback()
    assert items() == []
    assert db.session.get(Referral, referral.id, populate_existing=True).status == "draft"


# --- claims and leases -----------------------------------------------------------------------------


def _la_with_endpoint(casesim):
    la = make_la(code="938", name="Northshire")
    point_at(casesim, la)
    return la


def test_a_claim_takes_due_rows_once_and_commits_a_lease(app, casesim):
    la = _la_with_endpoint(casesim)
    bulk_outbox(la, 5)
    first = outbox.claim_due("w1", batch=3, lease_seconds=60)
    second = outbox.claim_due("w2", batch=10, lease_seconds=60)
    assert len(first.items) == 3 and len(second.items) == 2
    assert not {i.id for i in first.items} & {i.id for i in second.items}
    assert not db.session().in_transaction()
    assert {i.state for i in items()} == {"in_flight"}
    assert outbox.claim_due("w3").items == []


def test_rows_of_an_la_without_an_endpoint_wait_unclaimed(app):
    la = make_la(code="938", name="Northshire")
    bulk_outbox(la, 2)
    assert outbox.claim_due("w1").items == []
    assert {(i.state, i.attempts) for i in items()} == {("pending", 0)}


def test_an_expired_lease_makes_the_row_due_again_and_fences_the_old_worker(app, casesim):
    la = _la_with_endpoint(casesim)
    bulk_outbox(la, 1)
    stale = outbox.claim_due("dead-worker", lease_seconds=60)
    assert outbox.claim_due("w2").items == []  # leased: not due
    db.session.execute(update(OutboxItem).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    fresh = outbox.claim_due("w2", lease_seconds=60)
    assert [i.id for i in fresh.items] == [stale.items[0].id]
    assert fresh.items[0].attempts == 2
    # The first worker wakes up and reports a timeout: its lease is gone, so nothing changes.
    outbox.record_results(stale, [(stale.items[0], DeliveryResult(Outcome.RETRYABLE, "timeout"))])
    [item] = items()
    assert item.state == "in_flight" and item.lease_owner == fresh.token
    # A delivery is the truth whoever holds the lease.
    outbox.record_results(stale, [(stale.items[0], DeliveryResult(Outcome.DELIVERED, "created", 201,
                                                                  case_reference="CASE-938-000001",
                                                                  person_id="PER-938-000001"))])
    [item] = items()
    assert item.state == "delivered" and item.case_reference == "CASE-938-000001"


# --- backoff ------------------------------------------------------------------------------------


def test_retry_delays_follow_capped_exponential_backoff_with_jitter(monkeypatch):
    monkeypatch.setattr("portal.connector.retry.random", random.Random(7))
    for attempt in range(1, 15):
        for _ in range(20):
            delay = outbox.retry_delay(attempt, DeliveryResult(Outcome.RETRYABLE, "timeout"))
            assert 0 <= delay <= backoff_ceiling(attempt)
    assert backoff_ceiling(1) == 2 and backoff_ceiling(5) == 32 and backoff_ceiling(30) == DEFAULT_CAP_SECONDS


def test_retry_after_is_a_floor_and_is_capped():
    result = DeliveryResult(Outcome.RETRYABLE, "throttled", 429, retry_after=120)
    assert outbox.retry_delay(1, result) >= 120
    huge = DeliveryResult(Outcome.RETRYABLE, "throttled", 429, retry_after=100000)
    assert outbox.retry_delay(1, huge) <= DEFAULT_CAP_SECONDS


def test_a_retryable_failure_schedules_the_next_attempt_and_counts_a_failure(app, casesim):
    la = _la_with_endpoint(casesim)
    bulk_outbox(la, 1)
    claim = outbox.claim_due("w1")
    before = utcnow()
    outbox.record_results(claim, [(claim.items[0], DeliveryResult(Outcome.RETRYABLE, "server_error", 503,
                                                                  retry_after=30))])
    [item] = items()
    assert item.state == "pending" and item.last_error == "server_error" and item.last_status_code == 503
    assert item.lease_owner is None
    assert before + timedelta(seconds=29) <= item.next_attempt_at <= before + timedelta(seconds=DEFAULT_CAP_SECONDS + 5)
    from portal.connector.models import DeliveryFailure

    assert db.session.execute(select(func.count(DeliveryFailure.id))).scalar_one() == 1
