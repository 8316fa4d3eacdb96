"""The README's walk-through on the demo data: Elm Street Surgery's GP refers Amelia
Hartley-Nkemelu to Northshire, and Northshire's triage worker sees Oakfield's earlier referral
about her on the referral's page."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.auth.models import User
from portal.db import db
from tests.factories import agency_referral
from tests.signing_in import sign_in


def test_the_demo_gp_refers_amelia_and_triage_finds_oakfield_s_referral(app, client):
    from demo.cli import seed

    seed()
    db.session.commit()
    gp = db.session.execute(select(User).where(User.email == "gp@elmstreet.demo")).scalar_one()
    sign_in(client, gp)
    assert "Northshire" in client.get("/agency/referrals/new").get_data(as_text=True)
    referral = agency_referral(gp, child={"forename": "Amelia", "surname": "Hartley-Nkemelu", "born": date(2014, 3, 9)})
    worker = db.session.execute(select(User).where(User.email == "triage@northshire.demo")).scalar_one()
    sign_in(client, worker)
    assert "Elm Street Surgery (GP practice)" in client.get("/triage?source=health").get_data(as_text=True)
    page = client.get(f"/triage/referrals/{referral.id}").get_data(as_text=True)
    assert "Earlier referrals to this council" in page
    earlier = page.split("Earlier referrals to this council")[1].split("Case summary")[0]
    assert "938-" in earlier and "Surname and date of birth" in earlier


def test_the_demo_queue_has_the_police_s_referral_matched_with_riverside_s(app, client):
    from demo.cli import seed
    from portal.referrals.models import Referral

    seed()
    seed()  # idempotent
    made = db.session.execute(select(Referral).where(Referral.agency_id.is_not(None))).scalars().all()
    assert len(made) == 1 and made[0].status == "acknowledged"
    worker = db.session.execute(select(User).where(User.email == "triage@northshire.demo")).scalar_one()
    sign_in(client, worker)
    queue = client.get("/triage?source=police").get_data(as_text=True)
    assert "Northshire Police (Police force)" in queue and "Kai Whitfield" in queue
    page = client.get(f"/triage/referrals/{made[0].id}").get_data(as_text=True)
    earlier = page.split("Earlier referrals to this council")[1].split("Case summary")[0]
    assert "938-" in earlier
    lead = db.session.execute(select(User).where(User.email == "lead@northshire-police.demo")).scalar_one()
    sign_in(client, lead)
    assert made[0].reference in client.get("/agency").get_data(as_text=True)
