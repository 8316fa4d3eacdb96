"""Who may reach a partner agency's referral pages: every new route refuses another organisation
(404), another council's agency (404), every school role, every council role and the Encompass
notifier (403 for the area, 404 for a record); a professional sees only their own referrals, the
agency's safeguarding lead all of them. And the professional learns nothing about whether the
child they name is known to the portal."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from portal.auth.roles import Role
from portal.db import db
from portal.orgs.models import AgencyKind, AgencyReferralArea
from portal.referrals.models import Referral
from portal.updates.models import SharedUpdate
from tests.factories import (TRIAGE_PUPIL, agency_referral, agency_user, council, make_agency, make_la, make_pupil,
                             make_school, make_user)
from tests.signing_in import sign_in


@pytest.fixture
def world(app):
    c = council()
    surgery = make_agency(c.la, kind=AgencyKind.GP_PRACTICE, name="Elm Street Surgery", ods_code="A81001")
    police = make_agency(c.la, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    southmoor = make_la(code="939", name="Southmoor")
    far_agency = make_agency(southmoor, kind=AgencyKind.GP_PRACTICE, name="Far Surgery")
    gp = agency_user(surgery, Role.AGENCY_PROFESSIONAL, password_hash="x")
    referral = agency_referral(gp)
    update = db.session.execute(select(SharedUpdate).where(SharedUpdate.referral_id == referral.id)).scalar_one()
    people = {
        "gp": gp,
        "other GP professional": agency_user(surgery, Role.AGENCY_PROFESSIONAL, password_hash="x"),
        "GP lead": agency_user(surgery, Role.AGENCY_LEAD, password_hash="x"),
        "police professional": agency_user(police, Role.AGENCY_PROFESSIONAL, password_hash="x"),
        "police lead": agency_user(police, Role.AGENCY_LEAD, password_hash="x"),
        "notifier": agency_user(police, Role.ENCOMPASS_NOTIFIER, password_hash="x"),
        "Southmoor professional": agency_user(far_agency, Role.AGENCY_PROFESSIONAL, password_hash="x"),
        "Southmoor lead": agency_user(far_agency, Role.AGENCY_LEAD, password_hash="x"),
        "dsl": c.dsl,
        "deputy": make_user(Role.DEPUTY_DSL, c.school, password_hash="x"),
        "staff": c.staff,
        "worker": c.worker,
        "manager": c.manager,
        "admin": c.admin,
        "cme": make_user(Role.CME_OFFICER, c.la, password_hash="x"),
        "keycontact": make_user(Role.ENCOMPASS_KEY_CONTACT, c.la, password_hash="x"),
    }
    return {"council": c, "surgery": surgery, "southmoor": southmoor, "referral": referral, "update": update,
            "people": people}


# Who reaches each of the agency's own pages (anyone else: 403).
AREA_PAGES = {
    "/agency": {"gp", "other GP professional", "GP lead", "police professional", "police lead",
                "Southmoor professional", "Southmoor lead"},
    "/agency/referrals/new": {"gp", "other GP professional", "GP lead", "police professional", "police lead",
                              "Southmoor professional", "Southmoor lead"},
}


@pytest.mark.parametrize("path", sorted(AREA_PAGES))
def test_the_agency_pages_refuse_every_school_and_council_role_and_the_notifier(client, world, path):
    for name, user in world["people"].items():
        sign_in(client, user)
        status = client.get(path).status_code
        assert status == (200 if name in AREA_PAGES[path] else 403), (name, path, status)


REFERRAL_PAGES = ["", "/task-list", "/check-answers", "/confirmation", "/child", "/household", "/reasons",
                  "/immediate-risk", "/immediate-risk/call-now"]


@pytest.mark.parametrize("page", REFERRAL_PAGES)
def test_an_agency_referral_is_its_referrer_s_and_its_lead_s_only(client, world, page):
    referral = world["referral"]
    path = f"/referrals/{referral.id}{page}"
    # Submitted: the form's pages send its own people back to the referral; nobody else learns it exists.
    allowed = {"gp", "GP lead"}
    for name, user in world["people"].items():
        sign_in(client, user)
        status = client.get(path).status_code
        if name in allowed:
            assert status in (200, 302), (name, path, status)
        elif name in ("worker", "manager", "admin", "cme", "keycontact", "staff", "notifier"):
            assert status == 403, (name, path, status)
        else:
            assert status == 404, (name, path, status)


def test_the_council_s_update_is_read_by_the_referrer_and_the_agency_lead_only(client, world):
    path = f"/agency/updates/{world['update'].id}"
    for name, user in world["people"].items():
        sign_in(client, user)
        status = client.get(path).status_code
        if name in ("gp", "GP lead"):
            assert status == 200, name
        elif name in ("other GP professional", "police professional", "police lead", "Southmoor professional",
                      "Southmoor lead"):
            assert status == 404, name
        else:
            assert status == 403, name
    # Nor through the school's inbox: 403 for an agency, 404 for a school's lead.
    sign_in(client, world["people"]["gp"])
    assert client.get(f"/updates/{world['update'].id}").status_code == 403
    sign_in(client, world["people"]["dsl"])
    assert client.get(f"/updates/{world['update'].id}").status_code == 404


def test_the_lists_show_a_professional_their_own_and_the_lead_the_agency_s(client, world):
    referral = world["referral"]
    second = agency_referral(world["people"]["other GP professional"], child={**TRIAGE_PUPIL, "forename": "Clementine"})
    pages = {}
    for name in ("gp", "other GP professional", "GP lead", "police lead"):
        sign_in(client, world["people"][name])
        pages[name] = client.get("/agency").get_data(as_text=True)
    assert referral.reference in pages["gp"] and second.reference not in pages["gp"]
    assert second.reference in pages["other GP professional"] and referral.reference not in pages["other GP professional"]
    assert referral.reference in pages["GP lead"] and second.reference in pages["GP lead"]
    assert referral.reference not in pages["police lead"] and second.reference not in pages["police lead"]
    # Nor does a school see it among its referrals.
    sign_in(client, world["people"]["dsl"])
    assert referral.reference not in client.get("/referrals").get_data(as_text=True)


def _start(client, la_id):
    page = client.get("/agency/referrals/new").get_data(as_text=True)
    token = re.search(r'name="start_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post("/agency/referrals/new", data={"start_token": token, "local_authority": str(la_id)})


def test_an_agency_refers_to_its_own_council_and_to_a_neighbour_only_when_allowed(client, world):
    gp, southmoor = world["people"]["gp"], world["southmoor"]
    sign_in(client, gp)
    assert "Southmoor" not in client.get("/agency/referrals/new").get_data(as_text=True)
    refused = _start(client, southmoor.id)
    assert refused.status_code == 400  # not one of the choices: the form says so, nothing is made
    assert db.session.execute(select(Referral).where(Referral.local_authority_id == southmoor.id)).first() is None
    db.session.add(AgencyReferralArea(agency_id=world["surgery"].id, local_authority_id=southmoor.id))
    db.session.commit()
    assert "Southmoor" in client.get("/agency/referrals/new").get_data(as_text=True)
    response = _start(client, southmoor.id)
    assert response.status_code == 302
    made = db.session.execute(select(Referral).where(Referral.local_authority_id == southmoor.id)).scalar_one()
    assert made.agency_id == world["surgery"].id
    # A second press of the same start button makes no second draft.


def test_a_double_press_of_start_makes_one_draft(client, world):
    sign_in(client, world["people"]["GP lead"])
    page = client.get("/agency/referrals/new").get_data(as_text=True)
    token = re.search(r'name="start_token"[^>]*value="([^"]+)"', page).group(1)
    data = {"start_token": token, "local_authority": str(world["council"].la.id)}
    first = client.post("/agency/referrals/new", data=data)
    second = client.post("/agency/referrals/new", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    lead = world["people"]["GP lead"]
    assert len(db.session.execute(select(Referral).where(Referral.created_by_id == lead.id)).all()) == 1


def test_naming_a_known_child_or_an_unknown_one_reads_no_school_record_and_answers_the_same(client, world):
    """The professional's pages never look at pupil records: the same answers whether or not the
    portal knows the child, and not one statement reads the pupil table."""
    c = world["council"]
    known = {"forename": "Peregrine", "surname": "Ashbourne", "born": TRIAGE_PUPIL["born"]}
    make_pupil(c.school, **known)
    unknown = {"forename": "Tamsin", "surname": "Wexcombe", "born": TRIAGE_PUPIL["born"]}
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement.lower())

    answers = {}
    sign_in(client, world["people"]["police professional"])
    for label, child in (("known", known), ("unknown", unknown)):
        start = _start(client, c.la.id)
        referral = db.session.execute(
            select(Referral).where(Referral.created_by_id == world["people"]["police professional"].id)
            .order_by(Referral.created_at.desc())).scalars().first()
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            child_post = client.post(f"/referrals/{referral.id}/child", data={
                "legal_forename": child["forename"], "legal_surname": child["surname"],
                "date_of_birth": [str(child["born"].day), str(child["born"].month), str(child["born"].year)],
                "address": "1 Any Street", "school_id": str(c.school.id)})
            check = client.get(f"/referrals/{referral.id}/task-list")
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        answers[label] = (start.status_code, child_post.status_code, child_post.headers.get("Location", "").replace(
            str(referral.id), "ID"), check.status_code,
            check.get_data(as_text=True).replace(child["forename"], "NAME").replace(child["surname"], "NAME")
            .replace(str(referral.id), "ID"))
        answers[label] = answers[label][:4] + (re.sub(r'nonce="[^"]+"', "", answers[label][4]),)
    assert answers["known"] == answers["unknown"]
    assert not [s for s in statements if re.search(r"\bfrom pupil\b|\bjoin pupil\b", s)]
