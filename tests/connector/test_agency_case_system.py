"""A partner agency's referral through the council's case system and back: delivered with its
agency named, its status and decision pulled back to the agency (never to a school), and case
summaries shared with the agency only as the council's policy for agencies allows, which can
differ from its policy for schools."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth.roles import Role
from portal.connector.pull import pull_la
from portal.db import db
from portal.orgs.models import AgencyKind
from portal.referrals.models import Referral
from portal.triage.models import Audience
from portal.triage.sharing import permitted_summary_fields, set_sharing_policy
from portal.updates.models import SharedUpdate
from tests.connector.portal_setup import items, point_at, run_worker_once
from tests.factories import agency_referral, agency_user, make_agency, make_la, make_user
from tests.signing_in import sign_in


def _delivered(casesim):
    la = make_la(code="938", name="Northshire")
    point_at(casesim, la)
    surgery = make_agency(la, kind=AgencyKind.GP_PRACTICE, name="Elm Street Surgery", ods_code="A81001")
    gp = agency_user(surgery, Role.AGENCY_PROFESSIONAL, password_hash="x")
    referral = agency_referral(gp)
    run_worker_once(pull=False)
    [item] = items()
    assert item.state == "delivered" and item.case_reference
    return la, surgery, gp, referral, item, make_user(Role.TRIAGE_MANAGER, la, password_hash="x")


def test_the_case_system_s_decision_reaches_the_agency(app, client, casesim):
    la, surgery, gp, referral, item, manager = _delivered(casesim)
    received = casesim.store.list_referrals("938")
    assert received and received[0]
    casesim.store.set_status(item.case_reference, "decided", decision={
        "outcome": "early_help", "rag": "amber", "reasons": "Internal RSN-7", "feedback_for_school": "Early help offered."})
    assert pull_la(la.id, "w1", force=True) == "pulled"
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "decided"
    decisions = [u for u in db.session.execute(select(SharedUpdate).where(SharedUpdate.kind == "decision")).scalars()
                 if "Early help offered." in repr(u.content)]
    assert len(decisions) == 1 and decisions[0].agency_id == surgery.id and decisions[0].school_id is None
    assert "RSN-7" not in repr(decisions[0].content)
    sign_in(client, gp)
    assert "Early help offered." in client.get(f"/agency/updates/{decisions[0].id}").get_data(as_text=True)


def test_case_summaries_follow_the_policy_for_agencies_not_the_one_for_schools(app, casesim):
    la, surgery, gp, referral, item, manager = _delivered(casesim)
    set_sharing_policy(manager, la.id, ["status", "allocated_worker", "note_for_school"])  # schools
    summary = {"la_code": "938", "person_id": item.person_id, "status": "child_in_need", "start_date": "2025-02-01",
               "allocated_worker": {"name": "Jo Worker", "email": "jo@example.org"}, "note_for_school": "Hello"}
    casesim.admin("POST", "/_admin/summaries", json=summary).raise_for_status()
    pull_la(la.id, "w1", force=True)
    # No policy for agencies yet: the agency sees nothing of it.
    assert not db.session.execute(select(SharedUpdate).where(SharedUpdate.kind == "case_summary")).scalars().all()
    set_sharing_policy(manager, la.id, ["status"], Audience.AGENCIES)
    assert permitted_summary_fields(la.id, Audience.AGENCIES) == {"status"}
    assert permitted_summary_fields(la.id) == {"status", "allocated_worker", "note_for_school"}
    casesim.admin("POST", "/_admin/summaries", json={**summary, "status": "child_protection_plan",
                                                     "cp_category": "neglect"}).raise_for_status()
    pull_la(la.id, "w1", force=True)
    db.session.expire_all()
    [update] = db.session.execute(select(SharedUpdate).where(SharedUpdate.kind == "case_summary")).scalars().all()
    assert update.agency_id == surgery.id and update.referral_id == referral.id and update.pupil_id is None
    assert set(update.content["summary"]) == {"status"}
    assert "Jo Worker" not in repr(update.content)


def test_a_triage_manager_sets_the_policy_for_agencies_on_its_own_page(app, client):
    la = make_la(code="938", name="Northshire")
    manager = make_user(Role.TRIAGE_MANAGER, la, password_hash="x")
    sign_in(client, manager)
    page = client.get("/triage/sharing-policy/agencies").get_data(as_text=True)
    assert "What partner agencies may see" in page
    response = client.post("/triage/sharing-policy/agencies", data={"fields": ["status", "team"]})
    assert response.status_code == 302
    assert permitted_summary_fields(la.id, Audience.AGENCIES) == {"status", "team"}
    assert permitted_summary_fields(la.id) == set()
    assert "What schools may see" in client.get("/triage/sharing-policy").get_data(as_text=True)
    # Another council's manager, a triage worker and an agency's lead are refused.
    other = make_user(Role.TRIAGE_MANAGER, make_la(code="939", name="Southmoor"), password_hash="x")
    sign_in(client, other)
    client.post("/triage/sharing-policy/agencies", data={"fields": []})
    assert permitted_summary_fields(la.id, Audience.AGENCIES) == {"status", "team"}
    for user in (make_user(Role.TRIAGE_WORKER, la, password_hash="x"),
                 agency_user(make_agency(la), Role.AGENCY_LEAD, password_hash="x")):
        sign_in(client, user)
        assert client.get("/triage/sharing-policy/agencies").status_code == 403
