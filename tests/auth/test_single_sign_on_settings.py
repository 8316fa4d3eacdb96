"""The single sign-on settings page: an LA admin for the LA and its schools, a school's DSL for
their school; everyone else refused; the client secret encrypted at rest; changes audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from portal.audit.models import AuditEvent
from portal.auth.models import SingleSignOnSettings
from portal.auth.roles import Role
from portal.db import db
from tests.factories import make_la, make_school, make_user
from tests.signing_in import sign_in

ISSUER = "https://id.example.org"
FORM = {
    "enabled": "yes", "provider": "oidc", "tenant": "", "issuer": ISSUER, "email_domains": "oakfield.sch.uk",
    "client_id": "portal-client", "client_secret": "a-very-secret-client-secret", "second_factor": "portal_code",
    "password_sign_in": "yes",
}


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_OIDC_ALLOWED_ISSUERS", ISSUER)
    la = make_la("938", "Northshire")
    school = make_school(la, name="Oakfield Primary School")
    other_la = make_la("939", "Southmoor")
    far_school = make_school(other_la, name="Hillcrest High School")
    return la, school, other_la, far_school


def actions(name):
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == name)).scalars().all()


def test_a_dsl_turns_on_single_sign_on_for_their_school_with_the_secret_encrypted(client, world):
    la, school, *_ = world
    sign_in(client, make_user(Role.DSL, school))

    page = client.get("/admin/single-sign-on")
    assert page.status_code == 200 and "/sign-in/organisation/callback" in page.get_data(as_text=True)
    response = client.post("/admin/single-sign-on", data=FORM)

    assert response.status_code == 302
    settings = db.session.execute(select(SingleSignOnSettings)).scalar_one()
    assert settings.school_id == school.id and settings.enabled and settings.client_secret == FORM["client_secret"]
    raw = db.session.execute(text("SELECT client_secret FROM single_sign_on_settings")).scalar_one()
    assert FORM["client_secret"] not in str(raw)
    assert actions("sso.settings_change") and actions("sso.second_factor_policy")[0].detail == "portal_code"
    assert FORM["client_secret"] not in client.get("/admin/single-sign-on").get_data(as_text=True)


def test_accepting_the_providers_multi_factor_is_shown_and_audited(client, world):
    la, school, *_ = world
    sign_in(client, make_user(Role.DSL, school))
    client.post("/admin/single-sign-on", data=FORM)

    client.post("/admin/single-sign-on", data={**FORM, "client_secret": "", "second_factor": "provider_mfa"})

    assert [e.detail for e in actions("sso.second_factor_policy")] == ["portal_code", "provider_mfa"]
    page = client.get("/admin/single-sign-on").get_data(as_text=True)
    assert "The provider’s multi-factor authentication is accepted" in page
    settings = db.session.execute(select(SingleSignOnSettings)).scalar_one()
    assert settings.client_secret == FORM["client_secret"]  # a blank secret keeps the saved one


def test_an_la_admin_sets_up_single_sign_on_for_the_la_and_one_of_its_schools(client, world):
    la, school, *_ = world
    sign_in(client, make_user(Role.LA_ADMIN, la))

    own = client.post("/admin/single-sign-on", data={**FORM, "email_domains": "northshire.gov.uk"})
    for_school = client.post(f"/admin/schools/{school.id}/single-sign-on", data=FORM)

    assert own.status_code == 302 and for_school.status_code == 302
    rows = db.session.execute(select(SingleSignOnSettings)).scalars().all()
    assert {(r.local_authority_id, r.school_id) for r in rows} == {(la.id, None), (None, school.id)}


def test_an_issuer_the_operator_has_not_allowed_is_refused(client, world):
    la, school, *_ = world
    sign_in(client, make_user(Role.DSL, school))

    response = client.post("/admin/single-sign-on", data={**FORM, "issuer": "https://evil.example.net"})

    assert response.status_code == 200
    assert "Enter an issuer address the portal’s operator has allowed" in response.get_data(as_text=True)
    assert db.session.execute(select(SingleSignOnSettings)).first() is None


def test_an_entra_tenant_id_and_a_google_domain_are_checked(client, world):
    la, school, *_ = world
    sign_in(client, make_user(Role.DSL, school))

    entra = client.post("/admin/single-sign-on", data={**FORM, "provider": "entra", "tenant": "not-a-tenant"})
    google = client.post("/admin/single-sign-on", data={**FORM, "provider": "google", "tenant": "not a domain"})
    good = client.post("/admin/single-sign-on", data={**FORM, "provider": "entra",
                                                      "tenant": "0A1B2C3D-1111-2222-3333-444455556666"})

    assert entra.status_code == 200 and "Enter the tenant ID" in entra.get_data(as_text=True)
    assert google.status_code == 200 and "Enter your Google Workspace domain" in google.get_data(as_text=True)
    assert good.status_code == 302
    settings = db.session.execute(select(SingleSignOnSettings)).scalar_one()
    assert settings.issuer == "https://login.microsoftonline.com/0a1b2c3d-1111-2222-3333-444455556666/v2.0"


def test_password_sign_in_stays_on_until_someone_has_signed_in_with_single_sign_on(client, world):
    la, school, *_ = world
    sign_in(client, make_user(Role.DSL, school))

    response = client.post("/admin/single-sign-on", data={**FORM, "password_sign_in": "no"})

    assert response.status_code == 200
    assert "Password sign-in can only be turned off once someone has signed in" in response.get_data(as_text=True)


def test_two_organisations_cannot_claim_the_same_email_domain(client, world):
    la, school, *_ = world
    other = make_school(la, name="Riverside Academy")
    admin = make_user(Role.LA_ADMIN, la)
    sign_in(client, admin)
    client.post(f"/admin/schools/{school.id}/single-sign-on", data=FORM)

    response = client.post(f"/admin/schools/{other.id}/single-sign-on", data=FORM)

    assert response.status_code == 200
    assert "Another organisation already signs in with one of these email domains" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.DEPUTY_DSL])
def test_school_staff_and_deputies_are_refused(client, world, role):
    la, school, *_ = world
    sign_in(client, make_user(role, school))

    assert client.get("/admin/single-sign-on").status_code == 403
    assert client.post("/admin/single-sign-on", data=FORM).status_code == 403
    assert client.get(f"/admin/schools/{school.id}/single-sign-on").status_code == 403


@pytest.mark.parametrize("role", [Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER])
def test_the_councils_triage_roles_are_refused(client, world, role):
    la, school, *_ = world
    sign_in(client, make_user(role, la))

    assert client.get("/admin/single-sign-on").status_code == 403
    assert client.get(f"/admin/schools/{school.id}/single-sign-on").status_code == 403


def test_another_councils_school_and_another_school_are_not_found(client, world):
    la, school, other_la, far_school = world
    sign_in(client, make_user(Role.LA_ADMIN, la))
    assert client.get(f"/admin/schools/{far_school.id}/single-sign-on").status_code == 404
    assert client.post(f"/admin/schools/{far_school.id}/single-sign-on", data=FORM).status_code == 404

    sign_in(client, make_user(Role.DSL, school))
    neighbour = make_school(la, name="Riverside Academy")
    assert client.get(f"/admin/schools/{neighbour.id}/single-sign-on").status_code == 404
    assert db.session.execute(select(SingleSignOnSettings)).first() is None


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    assert client.get("/admin/single-sign-on").status_code == 302
