from sqlalchemy import func, select

from demo.cli import seed
from portal.db import db
from demo.referrals import seed_demo_referrals
from portal.referrals.models import Referral


def test_demo_referrals_are_one_submitted_referral_per_school_and_seeding_twice_adds_none(app):
    seed()  # the whole demo, which includes these referrals (and the triage demo's own)
    before = db.session.execute(select(func.count()).select_from(Referral)).scalar_one()
    seed_demo_referrals()
    seed_demo_referrals()
    assert db.session.execute(select(func.count()).select_from(Referral)).scalar_one() == before
    # (Northshire Police's demo referral has no school: demo/agency_referrals.py.)
    counts = db.session.execute(select(Referral.school_id, func.count()).where(Referral.school_id.is_not(None))
                                .group_by(Referral.school_id)).all()
    assert len(counts) == 3 and all(n >= 1 for _, n in counts)
    referrals = db.session.execute(select(Referral)).scalars().all()
    assert all(r.status != "draft" and r.reference for r in referrals)
    assert {r.reference[:3] for r in referrals} == {"938", "939"}
