"""A council sends a partner agency's referral on to another council: it arrives in that queue
with its source, and the agency hears from both councils (never a school)."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth.roles import Role
from portal.db import db
from portal.orgs.models import AgencyKind
from portal.triage import service as triage
from portal.triage.models import TriageItem
from portal.updates.models import SharedUpdate
from tests.factories import agency_referral, agency_user, council, make_agency
from tests.signing_in import sign_in


def test_an_agency_referral_sent_on_to_another_council_keeps_its_source_and_its_referrer(app, client):
    north = council()
    south = council(code="939", name="Southmoor")
    police = make_agency(north.la, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    officer = agency_user(police, Role.AGENCY_PROFESSIONAL, password_hash="x")
    referral = agency_referral(officer)
    item = triage.item_for(north.worker, referral.id)
    triage.decide(north.worker, item, triage.DecisionDraft(
        outcome="referred_to_another_la", reasons="Lives in Southmoor now", feedback="Sent to Southmoor.",
        rag="amber", routed_to_la_id=south.la.id, routing_note="Family moved last month"))
    db.session.expire_all()
    there = db.session.execute(select(TriageItem).where(TriageItem.local_authority_id == south.la.id)).scalar_one()
    assert there.agency_id == police.id and there.source == "police" and there.school_id is None
    updates = db.session.execute(select(SharedUpdate).where(SharedUpdate.referral_id == referral.id)).scalars().all()
    assert {u.local_authority_id for u in updates} == {north.la.id, south.la.id}
    assert all(u.agency_id == police.id and u.school_id is None for u in updates)
    sign_in(client, south.worker)
    assert "Northshire Police (Police force)" in client.get("/triage").get_data(as_text=True)
    sign_in(client, officer)
    home = client.get("/agency").get_data(as_text=True)
    assert "Southmoor" in home and "Northshire" in home
