"""Signing in with the organisation's account, against a real OpenID Connect provider on
loopback (tests/oidc/provider: panva's oidc-provider). Every answer the portal checks here was
made by that provider: its discovery document, its keys, its codes and its signed id_tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth import oidc, passwords, totp, wall_clock
from portal.auth.models import SecondFactorPolicy, SingleSignOnLink, SingleSignOnRequest, User, UserSession
from portal.auth.roles import Role
from portal.db import db
from tests.factories import make_la, make_school, make_user
from tests.oidc.conftest import (
    OTHER_CLIENT_ID,
    ProviderBrowser,
    make_settings,
    sign_in_with_sso,
    start_at_portal,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def oakfield(app, allowed):
    la = make_la("938", "Northshire")
    return make_school(la, name="Oakfield Primary School")


def person(email, organisation, role=Role.DSL, *, with_app=True):
    user = make_user(role, organisation, email=email)
    user.password_hash = passwords.hash_password("correct-Horse-battery-42")
    if with_app:
        totp.set_secret(user, SECRET)
    db.session.commit()
    return user


def sign_ins(detail=None):
    query = select(AuditEvent).where(AuditEvent.action == "auth.sign_in")
    if detail is not None:
        query = query.where(AuditEvent.detail == detail)
    return db.session.execute(query).scalars().all()


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def live_sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.ended_at.is_(None)))


# --- the happy paths -------------------------------------------------------------------------


def test_by_default_the_portals_code_is_still_asked_after_the_organisations_account(client, oakfield, allowed):
    make_settings(oakfield, allowed)
    dsl = person("dsl@oakfield.demo", oakfield)

    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo")

    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/code")
    assert not signed_in(client)
    response = client.post("/sign-in/code", data={"code": totp.current_code(SECRET)})
    assert response.status_code == 302
    assert signed_in(client)
    assert [e.detail for e in sign_ins() if e.outcome == "success"] == ["sso_totp"]
    link = db.session.execute(select(SingleSignOnLink)).scalar_one()
    assert link.user_id == dsl.id


def test_the_providers_multi_factor_is_accepted_when_the_organisation_chooses_it(client, oakfield, allowed):
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("dsl@oakfield.demo", oakfield)

    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo")  # the provider says amr: pwd, mfa

    assert response.status_code == 302 and not response.headers["Location"].endswith("/sign-in/code")
    assert signed_in(client)
    assert sign_ins("sso_provider_mfa")


def test_without_the_providers_multi_factor_claim_the_portals_code_is_asked(client, oakfield, allowed):
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("staff@oakfield.demo", oakfield, Role.SCHOOL_STAFF)

    response, _ = sign_in_with_sso(client, "staff@oakfield.demo")  # amr: pwd only

    assert response.headers["Location"].endswith("/sign-in/code")
    assert not signed_in(client)


def test_a_later_sign_in_finds_the_account_by_its_link(client, oakfield, allowed):
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("dsl@oakfield.demo", oakfield)
    sign_in_with_sso(client, "dsl@oakfield.demo")
    client.post("/sign-out")

    sign_in_with_sso(client, "dsl@oakfield.demo")

    assert signed_in(client)
    assert db.session.scalar(select(func.count()).select_from(SingleSignOnLink)) == 1


# --- refusals --------------------------------------------------------------------------------


def test_an_unknown_person_is_refused_and_nothing_is_created(client, oakfield, allowed):
    make_settings(oakfield, allowed)
    person("dsl@oakfield.demo", oakfield)
    users_before = db.session.scalar(select(func.count()).select_from(User))

    response, _ = sign_in_with_sso(client, "stranger@oakfield.demo")

    assert response.status_code == 403
    assert "You do not have an account for this service" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before
    assert db.session.scalar(select(func.count()).select_from(SingleSignOnLink)) == 0
    assert sign_ins("sso_unknown_account")
    assert not signed_in(client)


def test_a_person_of_another_tenant_is_refused(client, oakfield, allowed):
    """Oakfield's sign-in, but at the provider someone signs in with a Hillcrest account."""
    make_settings(oakfield, allowed, domains="oakfield.demo hillcrest.demo")
    hillcrest = make_school(oakfield.local_authority, name="Hillcrest High School")
    person("dsl@hillcrest.demo", hillcrest)

    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo", as_who="dsl@hillcrest.demo")

    assert response.status_code == 403
    assert "This account cannot be used here" in response.get_data(as_text=True)
    assert sign_ins("sso_wrong_tenant")
    assert live_sessions() == 0


def test_a_hillcrest_user_cannot_sign_in_through_oakfield(client, oakfield, allowed):
    """Without a tenant to check, the account must still belong to Oakfield."""
    make_settings(oakfield, allowed, tenant=None, domains="oakfield.demo hillcrest.demo")
    hillcrest = make_school(oakfield.local_authority, name="Hillcrest High School")
    person("dsl@hillcrest.demo", hillcrest)

    response, _ = sign_in_with_sso(client, "dsl@hillcrest.demo")

    assert response.status_code == 403
    assert sign_ins("sso_other_organisation")
    assert live_sessions() == 0


def test_an_email_of_another_domain_is_refused(client, oakfield, allowed):
    make_settings(oakfield, allowed, tenant=None)
    hillcrest = make_school(oakfield.local_authority, name="Hillcrest High School")
    person("dsl@hillcrest.demo", hillcrest)

    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo", as_who="dsl@hillcrest.demo")

    assert response.status_code == 403
    assert sign_ins("sso_email_domain")


def test_someone_disabled_at_the_provider_cannot_sign_in(client, oakfield, allowed):
    make_settings(oakfield, allowed)
    person("left@oakfield.demo", oakfield)

    response, back = sign_in_with_sso(client, "left@oakfield.demo")

    assert "error=access_denied" in back
    assert response.status_code == 400
    assert "You did not finish signing in" in response.get_data(as_text=True)
    assert sign_ins("sso_cancelled")
    assert live_sessions() == 0


def test_someone_deactivated_in_the_portal_cannot_sign_in(client, oakfield, allowed):
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    dsl = person("dsl@oakfield.demo", oakfield)
    dsl.active = False
    db.session.commit()

    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo")

    assert response.status_code == 403
    assert sign_ins("sso_inactive")
    assert live_sessions() == 0


def test_a_replayed_answer_is_refused(client, app, oakfield, allowed):
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("dsl@oakfield.demo", oakfield)
    response, back = sign_in_with_sso(client, "dsl@oakfield.demo")
    assert signed_in(client)
    client.post("/sign-out")

    replayed = client.get(back)
    other_browser = app.test_client().get(back)

    for answer in (replayed, other_browser):
        assert answer.status_code == 400
        assert "Your sign-in has expired or was not valid" in answer.get_data(as_text=True)
    assert len(sign_ins("sso_state")) == 2
    assert live_sessions() == 0


def test_an_answer_in_another_browser_is_refused(client, app, oakfield, allowed):
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("dsl@oakfield.demo", oakfield)
    back = ProviderBrowser().sign_in(start_at_portal(client, "dsl@oakfield.demo"), "dsl@oakfield.demo")

    answer = app.test_client().get(back)  # someone else's browser, with the code and state

    assert answer.status_code == 400
    assert live_sessions() == 0
    # and the request is used up: the right browser cannot use it afterwards either
    assert client.get(back).status_code == 400


def test_an_answer_after_ten_minutes_is_refused(client, oakfield, allowed, monkeypatch):
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("dsl@oakfield.demo", oakfield)
    back = ProviderBrowser().sign_in(start_at_portal(client, "dsl@oakfield.demo"), "dsl@oakfield.demo")
    later = wall_clock.now() + timedelta(minutes=11)
    monkeypatch.setattr(wall_clock, "now", lambda: later)

    assert client.get(back).status_code == 400
    assert sign_ins("sso_state")


def test_a_tampered_id_token_is_refused(client, oakfield, allowed, monkeypatch):
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("dsl@oakfield.demo", oakfield)
    real = oidc.exchange_code

    def tampered(*args, **kwargs):
        token = real(*args, **kwargs)
        header, payload, signature = token["id_token"].split(".")
        flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        return {**token, "id_token": ".".join((header, payload, flipped))}

    monkeypatch.setattr(oidc, "exchange_code", tampered)
    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo")

    assert response.status_code == 400
    assert sign_ins("sso_id_token_signature")
    assert live_sessions() == 0


def test_a_changed_claim_breaks_the_signature(client, oakfield, allowed, monkeypatch):
    import base64
    import json

    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("dsl@oakfield.demo", oakfield)
    real = oidc.exchange_code

    def other_tenant(*args, **kwargs):
        token = real(*args, **kwargs)
        header, payload, signature = token["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["email"] = "admin@oakfield.demo"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return {**token, "id_token": ".".join((header, forged, signature))}

    monkeypatch.setattr(oidc, "exchange_code", other_tenant)
    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo")

    assert response.status_code == 400
    assert sign_ins("sso_id_token_signature")


def test_an_expired_id_token_is_refused(client, oakfield, allowed, monkeypatch):
    """The provider's id_tokens live 2 minutes; the portal allows a minute of clock skew."""
    make_settings(oakfield, allowed, second_factor=SecondFactorPolicy.PROVIDER_MFA)
    person("dsl@oakfield.demo", oakfield)
    back = ProviderBrowser().sign_in(start_at_portal(client, "dsl@oakfield.demo"), "dsl@oakfield.demo")
    later = wall_clock.now() + timedelta(minutes=4)  # the request (10 minutes) is still live
    monkeypatch.setattr(wall_clock, "now", lambda: later)

    response = client.get(back)

    assert response.status_code == 400
    assert sign_ins("sso_id_token_expired")
    assert live_sessions() == 0


def test_an_id_token_for_another_client_is_refused(client, oakfield, allowed, monkeypatch):
    """A token the provider made for another service (its audience) is not a sign-in here."""
    person("dsl@oakfield.demo", oakfield)
    settings = make_settings(oakfield, allowed, client_id=OTHER_CLIENT_ID,
                             second_factor=SecondFactorPolicy.PROVIDER_MFA)
    captured = {}
    real = oidc.exchange_code

    def capture(*args, **kwargs):
        captured.update(real(*args, **kwargs))
        raise oidc.ProviderError("captured")

    monkeypatch.setattr(oidc, "exchange_code", capture)
    sign_in_with_sso(client, "dsl@oakfield.demo")
    assert "id_token" in captured
    settings.client_id = "portal"
    settings.client_secret = "test-client-secret-of-the-portal"
    db.session.commit()
    monkeypatch.setattr(oidc, "exchange_code", lambda *a, **k: dict(captured))

    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo")

    assert response.status_code == 400
    assert sign_ins("sso_id_token_aud")
    assert live_sessions() == 0


def test_an_issuer_the_operator_has_not_allowed_is_never_contacted(client, app, oakfield, allowed, monkeypatch):
    make_settings(oakfield, allowed)
    monkeypatch.setitem(app.config, "PORTAL_OIDC_ALLOWED_ISSUERS", "https://id.example.org")
    oidc.forget_cached()

    response = client.post("/sign-in/organisation", data={"email": "dsl@oakfield.demo"})

    assert response.status_code == 200
    assert "not answering" in response.get_data(as_text=True)
    assert sign_ins("sso_issuer_not_allowed")


def test_a_discovery_document_naming_another_issuer_is_refused(client, app, oakfield, allowed, monkeypatch):
    other_name = allowed.replace("127.0.0.1", "localhost")
    make_settings(oakfield, other_name)
    monkeypatch.setitem(app.config, "PORTAL_OIDC_ALLOWED_ISSUERS", other_name)
    oidc.forget_cached()

    response = client.post("/sign-in/organisation", data={"email": "dsl@oakfield.demo"})

    assert response.status_code == 200
    assert sign_ins("sso_discovery_issuer_mismatch")
    oidc.forget_cached()


def test_an_email_domain_without_single_sign_on_is_told_to_use_a_password(client, oakfield, allowed):
    make_settings(oakfield, allowed)

    response = client.post("/sign-in/organisation", data={"email": "someone@riverside.demo"})

    assert response.status_code == 200
    assert "has not set up single sign-on" in response.get_data(as_text=True)


def test_nothing_from_the_provider_reaches_the_audit_log_or_the_page(client, oakfield, allowed):
    make_settings(oakfield, allowed)
    response, back = sign_in_with_sso(client, "stranger@oakfield.demo")
    code = back.split("code=")[1].split("&")[0]

    page = response.get_data(as_text=True)
    assert code not in page and "stranger@oakfield.demo" not in page
    for event in db.session.execute(select(AuditEvent)).scalars():
        assert code not in (event.detail or "")
    request = db.session.execute(select(SingleSignOnRequest)).scalar_one()
    assert request.used_at is not None


# --- password sign-in turned off -------------------------------------------------------------


def test_password_sign_in_can_be_turned_off_but_an_la_admin_keeps_theirs(client, oakfield, allowed):
    from datetime import datetime, timezone

    make_settings(oakfield, allowed, password_sign_in=False, first_success_at=datetime.now(timezone.utc))
    person("dsl@oakfield.demo", oakfield)
    la_settings = make_settings(oakfield.local_authority, allowed, domains="northshire.demo",
                                password_sign_in=False, first_success_at=datetime.now(timezone.utc))
    admin = person("admin@northshire.demo", oakfield.local_authority, Role.LA_ADMIN)
    person("triage@northshire.demo", oakfield.local_authority, Role.TRIAGE_WORKER)
    assert la_settings and admin

    refused = client.post("/sign-in", data={"email": "dsl@oakfield.demo", "password": "correct-Horse-battery-42"})
    triage = client.post("/sign-in", data={"email": "triage@northshire.demo", "password": "correct-Horse-battery-42"})
    break_glass = client.post("/sign-in", data={"email": "admin@northshire.demo", "password": "correct-Horse-battery-42"})

    assert refused.status_code == 200 and "signs in with its own accounts" in refused.get_data(as_text=True)
    assert triage.status_code == 200 and "signs in with its own accounts" in triage.get_data(as_text=True)
    assert break_glass.status_code == 302 and break_glass.headers["Location"].endswith("/sign-in/code")
    assert sign_ins("password_sign_in_off")
