"""Your account: changing email or the authenticator app needs a full re-authentication."""

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth import totp
from portal.auth.roles import Role
from portal.db import db
from tests.auth.conftest import PASSWORD, SECRET, code_now, full_sign_in, make_account, sign_in_with_password
from tests.signing_in import sign_in


def _reauthenticate(client, clock, next_path):
    page = client.get(next_path)
    assert f"/re-authenticate?next={next_path}" in page.headers["Location"]
    clock.advance(seconds=30)
    response = client.post(f"/re-authenticate?next={next_path}", data={"password": PASSWORD, "code": code_now()})
    assert response.headers["Location"].endswith(next_path)


def test_account_page_shows_the_users_settings(client, clock):
    user = make_account(Role.DSL, display_name="Dee Ess")
    sign_in(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "Dee Ess" in page and user.email in page and "0 left" in page


def test_changing_email_needs_reauthentication_and_is_audited(client, clock):
    user = make_account(Role.DSL)
    sign_in(client, user)
    clock.advance(minutes=16)
    assert client.post("/account/email", data={"email": "new.address@example.org"}).status_code == 302
    db.session.refresh(user)
    assert user.email != "new.address@example.org"
    _reauthenticate(client, clock, "/account/email")
    assert client.post("/account/email", data={"email": "New.Address@example.org"}).status_code == 302
    db.session.refresh(user)
    assert user.email == "new.address@example.org"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "user.email_change")).scalar_one()


def test_email_already_used_is_refused(client, clock):
    user = make_account(Role.DSL)
    other = make_account(Role.DSL)
    full_sign_in(client, user, clock)
    page = client.post("/account/email", data={"email": other.email}).get_data(as_text=True)
    assert "There is already an account with this email address" in page


def test_moving_to_a_new_authenticator_app_needs_reauthentication(client, app, clock):
    user = make_account(Role.DSL)
    full_sign_in(client, user, clock)  # a full sign-in counts as recent
    elsewhere = app.test_client()
    sign_in(elsewhere, user)
    page = client.get("/account/authenticator").get_data(as_text=True)
    assert "<svg" in page
    db.session.refresh(user)
    new_secret = totp.pending_secret(user)
    assert new_secret != SECRET
    clock.advance(seconds=30)
    response = client.post("/account/authenticator", data={"code": code_now(new_secret)})
    assert "Save your recovery codes" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_secret == new_secret
    assert elsewhere.get("/home").status_code == 302  # other sessions ended
    client.post("/sign-out")
    sign_in_with_password(client, user.email)
    clock.advance(seconds=30)
    assert client.post("/sign-in/code", data={"code": code_now(SECRET)}).status_code == 200  # old app refused
    assert client.post("/sign-in/code", data={"code": code_now(new_secret)}).status_code == 302


def test_recovery_codes_can_be_replaced_after_reauthentication(client, clock):
    user = make_account(Role.DSL)
    sign_in(client, user)
    clock.advance(minutes=16)
    client.get("/home")
    _reauthenticate(client, clock, "/account/recovery-codes")
    page = client.post("/account/recovery-codes").get_data(as_text=True)
    assert page.count("<code>") == 10


def test_reauthentication_lasts_15_minutes(client, clock):
    user = make_account(Role.DSL)
    full_sign_in(client, user, clock)
    clock.advance(minutes=14)
    assert client.get("/account/email").status_code == 200
    clock.advance(minutes=2)
    assert "/re-authenticate" in client.get("/account/email").headers["Location"]
