"""An LA admin registers partner agencies and invites their safeguarding leads; an agency's lead
invites its people. Another council's admin, school people and agency people are refused."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.auth.roles import Role
from portal.db import db
from portal.orgs.models import Agency, AgencyKind
from tests.factories import agency_user, make_agency, make_la, make_school, make_user
from tests.signing_in import sign_in


def _agency_named(name: str) -> Agency:
    return db.session.execute(select(Agency).where(Agency.name == name)).scalar_one()


def test_la_admin_registers_a_gp_practice_that_may_also_refer_to_a_neighbour(client):
    northshire, southmoor = make_la("938", "Northshire"), make_la("939", "Southmoor")
    sign_in(client, make_user(Role.LA_ADMIN, northshire))
    page = client.get("/admin/agencies/new").get_data(as_text=True)
    assert "Southmoor" in page and "GP practice" in page
    response = client.post("/admin/agencies/new", data={
        "name": "  Elm   Street Surgery ", "kind": "gp_practice", "ods_code": "a81001",
        "referral_la_ids": [str(southmoor.id)],
    })
    assert response.status_code == 302
    agency = _agency_named("Elm Street Surgery")
    assert (agency.kind_enum, agency.ods_code, agency.local_authority_id) == (AgencyKind.GP_PRACTICE, "A81001", northshire.id)
    assert agency.referral_la_ids == {northshire.id, southmoor.id}
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "agency.add")).scalar_one()
    listing = client.get("/admin/agencies").get_data(as_text=True)
    assert "Elm Street Surgery" in listing and "1 neighbouring" in listing


def test_bad_agency_details_are_reshown_with_clear_errors(client):
    la = make_la()
    sign_in(client, make_user(Role.LA_ADMIN, la))
    page = client.post("/admin/agencies/new", data={"name": "Elm Street Surgery", "kind": "gp_practice",
                                                   "ods_code": "12345"}).get_data(as_text=True)
    assert "There is a problem" in page and "a letter and 5 digits" in page
    assert 'value="Elm Street Surgery"' in page
    page = client.post("/admin/agencies/new", data={"name": "Northshire Police", "kind": "police_force",
                                                   "ods_code": "RXX"}).get_data(as_text=True)
    assert "Only NHS organisations have an ODS code" in page
    page = client.post("/admin/agencies/new", data={"name": "", "kind": "spaceship"}).get_data(as_text=True)
    assert "Enter the organisation’s name" in page
    stranger = make_la()
    page = client.post("/admin/agencies/new", data={"name": "Northshire Police", "kind": "police_force",
                                                   "referral_la_ids": [str(stranger.id), "not-a-uuid"]})
    assert page.status_code == 200
    assert db.session.execute(select(Agency)).first() is None


def test_a_police_organisation_stays_police(client):
    la = make_la()
    police = make_agency(la, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    sign_in(client, make_user(Role.LA_ADMIN, la))
    page = client.post(f"/admin/agencies/{police.id}/edit",
                       data={"name": "Northshire Police", "kind": "voluntary"}).get_data(as_text=True)
    assert "A police organisation cannot become another kind" in page
    assert client.post(f"/admin/agencies/{police.id}/edit",
                       data={"name": "Northshire Constabulary", "kind": "police_team"}).status_code == 302
    db.session.refresh(police)
    assert (police.name, police.kind) == ("Northshire Constabulary", "police_team")


def test_deactivating_an_agency_signs_its_people_out(client, app):
    la = make_la()
    surgery = make_agency(la)
    gp = agency_user(surgery)
    other = app.test_client()
    sign_in(other, gp)
    assert other.get("/home").status_code == 200
    sign_in(client, make_user(Role.LA_ADMIN, la))
    assert client.post(f"/admin/agencies/{surgery.id}/deactivate").status_code == 302
    assert other.get("/home").status_code == 302  # back to sign-in
    assert client.post(f"/admin/agencies/{surgery.id}/reactivate").status_code == 302
    db.session.refresh(surgery)
    assert surgery.active


def test_another_council_school_people_and_agency_people_are_refused(client):
    la = make_la()
    surgery = make_agency(la)
    refused = [
        make_user(Role.LA_ADMIN, make_la()),
        make_user(Role.TRIAGE_MANAGER, la),
        make_user(Role.DSL, make_school(la)),
        agency_user(surgery, Role.AGENCY_LEAD),
        agency_user(make_agency(la, kind=AgencyKind.POLICE_FORCE), Role.ENCOMPASS_NOTIFIER),
    ]
    for user in refused:
        sign_in(client, user)
        for path in (f"/admin/agencies/{surgery.id}/edit", f"/admin/agencies/{surgery.id}/deactivate",
                     f"/admin/agencies/{surgery.id}/reactivate"):
            assert client.get(path).status_code in (403, 404), (user.role, path)
            assert client.post(path, data={"name": "Taken over", "kind": "voluntary"}).status_code in (403, 404)
        listing = client.get("/admin/agencies")
        if user.role == Role.LA_ADMIN:  # their own council's list, without this agency
            assert surgery.name not in listing.get_data(as_text=True)
        else:
            assert listing.status_code in (403, 404)
    db.session.refresh(surgery)
    assert surgery.active and surgery.name != "Taken over"


def test_la_admin_invites_an_agency_lead_who_invites_a_notifier(client):
    la = make_la()
    police = make_agency(la, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    sign_in(client, make_user(Role.LA_ADMIN, la))
    page = client.get("/admin/users/invite").get_data(as_text=True)
    assert "Northshire Police" in page
    assert client.post("/admin/users/invite", data={
        "display_name": "Karen Whitlock", "email": "lead@police.test", "organisation": str(police.id),
        "role": "agency_lead"}).status_code == 302
    lead = db.session.execute(select(User).where(User.email == "lead@police.test")).scalar_one()
    assert lead.agency_id == police.id and lead.school_id is None and lead.local_authority_id is None
    # The admin cannot make a professional there (the lead does).
    page = client.post("/admin/users/invite", data={
        "display_name": "Jordan Reeves", "email": "pc@police.test", "organisation": str(police.id),
        "role": "agency_professional"}).get_data(as_text=True)
    assert "There is a problem" in page

    lead.password_hash = "set"  # accepted the invitation
    db.session.commit()
    sign_in(client, lead)
    page = client.get("/admin/users/invite").get_data(as_text=True)
    assert "Operation Encompass notifier" in page and "Triage worker" not in page
    assert client.post("/admin/users/invite", data={
        "display_name": "Jordan Reeves", "email": "pc@police.test", "organisation": str(police.id),
        "role": "encompass_notifier"}).status_code == 302
    notifier = db.session.execute(select(User).where(User.email == "pc@police.test")).scalar_one()
    assert (notifier.agency_id, notifier.role) == (police.id, "encompass_notifier")
    users = client.get("/admin/users").get_data(as_text=True)
    assert "Jordan Reeves" in users


def test_a_gp_practice_lead_cannot_invite_a_notifier(client):
    la = make_la()
    surgery = make_agency(la)
    sign_in(client, agency_user(surgery, Role.AGENCY_LEAD))
    page = client.get("/admin/users/invite").get_data(as_text=True)
    assert "Operation Encompass notifier" not in page
    client.post("/admin/users/invite", data={
        "display_name": "Someone", "email": "someone@gp.test", "organisation": str(surgery.id),
        "role": "encompass_notifier"})
    assert db.session.execute(select(User).where(User.email == "someone@gp.test")).scalar_one_or_none() is None


def test_an_agency_user_signs_in_to_a_home_page(client):
    la = make_la()
    gp = agency_user(make_agency(la, name="Elm Street Surgery"))
    sign_in(client, gp)
    page = client.get("/home").get_data(as_text=True)
    assert "Elm Street Surgery" in page
