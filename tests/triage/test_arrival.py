"""Arrival: a submitted referral enters its LA's queue, is acknowledged, and the DSLs are emailed."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from portal.db import utcnow
from portal.db import db
from portal.notify import outbox_path
from portal.referrals.models import Referral, ReferralEvent
from portal.triage.arrival import receive_referral
from portal.triage.decision_deadline import decision_due
from portal.triage.models import TriageItem
from portal.updates.models import SharedUpdate
from tests.factories import TRIAGE_FORENAME, TRIAGE_SURNAME, council, submitted_referral


def _emails() -> list[str]:
    folder = outbox_path()
    return [p.read_text() for p in folder.glob("*.eml")] if folder.exists() else []


def test_an_arriving_referral_is_queued_acknowledged_and_the_dsl_emailed_without_child_details(app):
    north = council()
    before = len(_emails())
    at = utcnow() - timedelta(minutes=5)
    referral = submitted_referral(north, submitted_at=at)
    item = db.session.execute(select(TriageItem).where(TriageItem.referral_id == referral.id)).scalar_one()
    assert item.local_authority_id == north.la.id and item.state == "new" and item.open
    assert item.due_at == decision_due(at)
    db.session.refresh(referral)
    assert referral.status == "acknowledged"
    assert "acknowledged" in [e.status for e in db.session.execute(
        select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).scalars()]
    update = db.session.execute(select(SharedUpdate).where(SharedUpdate.referral_id == referral.id)).scalar_one()
    assert update.kind == "acknowledgement" and update.school_id == north.school.id
    assert referral.reference in update.content["title"]
    emails = _emails()[before:]
    assert emails, "the DSL is emailed"
    for email in emails:
        assert TRIAGE_FORENAME not in email and TRIAGE_SURNAME not in email and referral.reference not in email


def test_receiving_twice_makes_one_queue_entry_and_one_acknowledgement(app):
    north = council()
    referral = submitted_referral(north)
    receive_referral(db.session.get(Referral, referral.id))
    db.session.commit()
    assert db.session.execute(select(func.count()).select_from(TriageItem)).scalar_one() == 1
    assert db.session.execute(select(func.count()).select_from(SharedUpdate)).scalar_one() == 1


def test_the_schools_submission_puts_the_referral_in_the_queue(app):
    """End to end through the referrals service, when the school side is present."""
    from tests.factories import make_referral, referring_school
    from portal.referrals import service as referrals

    s = referring_school()
    referral = referrals.submit_referral(make_referral(s, complete=True), s.dsl)
    item = db.session.execute(select(TriageItem).where(TriageItem.referral_id == referral.id)).scalar_one()
    assert item.local_authority_id == s.la.id
    assert referral.status == "acknowledged"
