"""Submitting tells the other areas through ReferralSubmitted, in one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.connector.models import OutboxItem
from portal.db import db
from portal.events import ReferralSubmitted, subscribers_of
from portal.referrals import service as referrals
from portal.referrals.models import Referral, ReferralStatus
from portal.triage.models import TriageItem
from portal.updates.models import SharedUpdate
from tests.factories import make_referral, referring_school


def test_the_las_queue_and_its_acknowledgement_then_the_outbox_hear_it(app):
    heard = [f"{handler.__module__}.{handler.__name__}" for handler in subscribers_of(ReferralSubmitted)]
    ours = [name for name in heard if name.split(".")[1] in ("triage", "connector", "updates")]
    assert ours == [
        "portal.triage.subscribers.referral_arrives",
        "portal.connector.subscribers.referral_goes_to_the_case_system",
    ]


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_submission_makes_one_queue_entry_outbox_row_and_acknowledgement(app):
    s = referring_school()
    referral = referrals.submit_referral(make_referral(s, complete=True), s.dsl)
    referrals.submit_referral(referral, s.dsl)  # again: nothing more
    assert (_count(TriageItem), _count(OutboxItem), _count(SharedUpdate)) == (1, 1, 1)
    assert referral.status == ReferralStatus.ACKNOWLEDGED


def test_a_subscriber_that_fails_leaves_the_referral_a_draft(app, monkeypatch):
    s = referring_school()
    referral = make_referral(s, complete=True)

    def broken(*args, **kwargs):
        raise RuntimeError("the updates inbox is unavailable")

    monkeypatch.setattr("portal.triage.arrival.create_shared_update", broken)
    with pytest.raises(RuntimeError):
        referrals.submit_referral(referral, s.dsl)
    assert db.session.get(Referral, referral.id, populate_existing=True).status == ReferralStatus.DRAFT
    assert (_count(TriageItem), _count(OutboxItem), _count(SharedUpdate)) == (0, 0, 0)
