"""Your account: changing email or the authenticator app needs a full re-authentication."""

import re

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth import totp
from portal.auth.roles import Role
from portal.db import db
from portal.notify.models import MailMessage
from tests.auth.test_enumeration import _normalised
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


def _mail_to(address: str) -> list[MailMessage]:
    return [m for m in db.session.execute(select(MailMessage)).scalars() if m.recipient == address]


def test_changing_email_needs_reauthentication_and_a_link_sent_to_the_new_address(client, app, clock):
    user = make_account(Role.DSL)
    old = user.email
    sign_in(client, user)
    clock.advance(minutes=16)
    assert client.post("/account/email", data={"email": "new.address@example.org"}).status_code == 302
    assert _mail_to("new.address@example.org") == []
    _reauthenticate(client, clock, "/account/email")
    page = client.post("/account/email", data={"email": "New.Address@example.org"}).get_data(as_text=True)
    assert "Check your email" in page and "new.address@example.org" in page
    db.session.refresh(user)
    assert user.email == old  # nothing changes until the new address is confirmed
    [message] = _mail_to("new.address@example.org")
    link = re.search(r"https?://[^/\s]+(/account/email/confirm/[A-Za-z0-9_\-]+)", message.body).group(1)
    elsewhere = app.test_client()  # the link works in whichever browser reads the email
    assert "Confirm your new email address" in elsewhere.get(link).get_data(as_text=True)
    assert elsewhere.post(link).headers["Location"].endswith("/sign-in")
    db.session.refresh(user)
    assert user.email == "new.address@example.org"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "user.email_change")).scalar_one()
    assert len(_mail_to(old)) == 1 and len(_mail_to("new.address@example.org")) == 2  # both told
    assert elsewhere.get(link).status_code == 404  # used once only


def test_an_email_change_link_expires_after_24_hours(client, clock):
    user = make_account(Role.DSL)
    full_sign_in(client, user, clock)
    client.post("/account/email", data={"email": "later@example.org"})
    [message] = _mail_to("later@example.org")
    link = re.search(r"https?://[^/\s]+(/account/email/confirm/[A-Za-z0-9_\-]+)", message.body).group(1)
    clock.advance(hours=24, seconds=1)
    assert client.post(link).status_code == 404
    db.session.refresh(user)
    assert user.email != "later@example.org"


def test_an_address_in_use_anywhere_gets_the_same_answer_and_its_holder_is_told(client, clock):
    """Finding 8: "There is already an account" told anyone which addresses have accounts, in
    any organisation. The page is now the same; the holder hears, and nothing changes."""
    user = make_account(Role.DSL)
    elsewhere = make_account(Role.DSL)  # another school, another LA
    full_sign_in(client, user, clock)
    taken = client.post("/account/email", data={"email": elsewhere.email}).get_data(as_text=True)
    free = client.post("/account/email", data={"email": "free.address@example.org"}).get_data(as_text=True)
    assert "There is already an account" not in taken
    assert _normalised(taken, elsewhere.email) == _normalised(free, "free.address@example.org")
    [told] = _mail_to(elsewhere.email)
    assert "Nothing has changed" in told.body and user.email not in told.body
    db.session.refresh(user)
    db.session.refresh(elsewhere)
    assert user.email != elsewhere.email


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
