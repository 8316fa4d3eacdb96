"""Password rules, password reset (1 hour, single use, second factor still asked) and invitations
(72 hours, single use), ending with enrolment and recovery codes."""

import email
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth import passwords, totp
from portal.auth.models import RecoveryCode, User, UserSession
from portal.auth.roles import Role
from portal.db import db
from portal.notify import outbox_path
from portal.notify.outbox import send_due
from tests.auth.conftest import PASSWORD, code_now, full_sign_in, make_account, sign_in_with_password
from tests.factories import make_la, make_school
from tests.signing_in import sign_in

NEW_PASSWORD = "lantern-Orchard-velvet-93"


@pytest.fixture(autouse=True)
def empty_outbox(app):
    folder = outbox_path()
    if folder.exists():
        for path in folder.glob("*.eml"):
            path.unlink()
    yield


def _emails() -> list[email.message.Message]:
    # Reset emails are left to the outbox worker (so the "check your email" answer never waits
    # for the mail server): run its pass, as `flask mail send` would within seconds.
    send_due()
    paths = sorted(outbox_path().glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(Path(p).read_bytes()) for p in paths]


def _link(message, path: str) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(rf"https?://[^/\s]+({re.escape(path)}[A-Za-z0-9_\-]+)", body).group(1)


def _audited(action: str) -> list[AuditEvent]:
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


# --- rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, message",
    [
        ("short-pass1", "12 characters or more"),
        ("x" * 257, "256 characters or fewer"),
        ("password1234", "too common"),
        ("qwertyuiopasdf", "too"),
        ("my-jane.doe-password-x", "must not contain the first part of your email"),
    ],
)
def test_password_rules_refuse(app, password, message):
    with pytest.raises(passwords.PasswordRejected, match=message):
        passwords.check_password_rules(password, email="jane.doe@example.org")


@pytest.mark.parametrize("password", ["correct horse battery staple", "lantern-Orchard-velvet-93", "a" * 3 + " Quiet river under 9 bridges " + "z" * 90])
def test_password_rules_allow_long_passphrases_without_composition_rules(app, password):
    passwords.check_password_rules(password, email="jane.doe@example.org")


def test_passwords_are_hashed_with_argon2id(app):
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert passwords.verify_password(hashed, PASSWORD) and not passwords.verify_password(hashed, "other")


def test_full_strength_parameters_outside_tests(app):
    assert passwords._hasher(False).memory_cost == 65536 and passwords._hasher(False).time_cost == 3


# --- password reset -------------------------------------------------------------------------


def test_reset_link_changes_the_password_once_and_still_asks_for_the_code(client, clock):
    user = make_account(Role.DSL)
    full_sign_in(client, user, clock)
    other = client.application.test_client()
    client.post("/sign-out")
    sign_in(other, user)  # a session elsewhere: ended by the reset
    client.post("/forgot-password", data={"email": user.email})
    [message] = _emails()
    assert message["To"] == user.email
    link = _link(message, "/reset-password/")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"].endswith("/sign-in")
    assert other.get("/home").status_code == 302
    # Used once only.
    assert client.get(link).status_code == 404
    assert "expired or has already been used" in client.get(link).get_data(as_text=True)
    # The new password works, and the second factor is still asked for.
    response = sign_in_with_password(client, user.email, NEW_PASSWORD)
    assert response.headers["Location"].endswith("/sign-in/code")
    assert client.get("/home").status_code == 302
    assert _audited("auth.password_reset") and _audited("auth.password_reset_request")
    assert len(_emails()) == 2  # and a "your password has changed" email


def test_reset_link_expires_after_an_hour(client, clock):
    user = make_account(Role.DSL)
    client.post("/forgot-password", data={"email": user.email})
    link = _link(_emails()[0], "/reset-password/")
    clock.advance(minutes=59)
    assert client.get(link).status_code == 200
    clock.advance(minutes=1, seconds=1)
    assert client.get(link).status_code == 404
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    db.session.refresh(user)
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_a_newer_reset_link_cancels_the_older_one(client, clock):
    user = make_account(Role.DSL)
    client.post("/forgot-password", data={"email": user.email})
    client.post("/forgot-password", data={"email": user.email})
    first, second = (_link(m, "/reset-password/") for m in _emails())
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_no_email_for_unknown_or_deactivated_accounts_and_at_most_three_an_hour(client, clock):
    user = make_account(Role.DSL)
    gone = make_account(Role.DSL)
    gone.active = False
    db.session.commit()
    client.post("/forgot-password", data={"email": "nobody@example.org"})
    client.post("/forgot-password", data={"email": gone.email})
    assert _emails() == []
    for _ in range(5):
        client.post("/forgot-password", data={"email": user.email})
    assert len(_emails()) == 3


def test_emails_hold_no_password_and_nothing_about_children(client, clock):
    user = make_account(Role.DSL)
    client.post("/forgot-password", data={"email": user.email})
    body = _emails()[0].get_payload(decode=True).decode()
    assert PASSWORD not in body and "pupil" not in body.lower() and "child" not in body.lower()


# --- changing the password ------------------------------------------------------------------


def test_password_change_needs_the_current_password_and_ends_other_sessions(client, app, clock):
    user = make_account(Role.DSL)
    sign_in(client, user)
    elsewhere = app.test_client()
    sign_in(elsewhere, user)
    response = client.post("/account/password", data={"current_password": "Not-it-at-all-1", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "Your current password is incorrect" in response.get_data(as_text=True)
    response = client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert elsewhere.get("/home").status_code == 302
    db.session.refresh(user)
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert [e.outcome for e in _audited("auth.password_change")] == ["failure", "success"]


# --- invitations ----------------------------------------------------------------------------


def _invite(client, clock, school):
    admin = make_account(Role.LA_ADMIN, school.local_authority)
    sign_in(client, admin)
    response = client.post("/admin/users/invite", data={
        "display_name": "New Lead", "email": "New.Lead@Example.org", "organisation": str(school.id), "role": "dsl",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    client.post("/sign-out")
    [message] = _emails()
    assert message["To"] == "new.lead@example.org"
    return _link(message, "/invitation/")


def test_invited_user_sets_password_enrols_saves_codes_and_signs_in(client, clock):
    school = make_school(make_la(), name="Oakfield Primary School")
    link = _invite(client, clock, school)
    page = client.get(link).get_data(as_text=True)
    assert "Create your password" in page and "Oakfield Primary School" in page
    # A bad password is refused with a clear message.
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert "12 characters or more" in response.get_data(as_text=True)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"].endswith("/sign-in/set-up-app")
    page = client.get("/sign-in/set-up-app").get_data(as_text=True)
    assert "<svg" in page  # the QR code, drawn on the server
    user = db.session.execute(select(User).where(User.email == "new.lead@example.org")).scalar_one()
    secret = totp.pending_secret(user)
    assert totp.grouped(secret) in page
    # A wrong code does not finish the enrolment.
    wrong = "000000" if code_now(secret) != "000000" else "111111"
    assert "not correct" in client.post("/sign-in/set-up-app", data={"code": wrong}).get_data(as_text=True)
    response = client.post("/sign-in/set-up-app", data={"code": code_now(secret)})
    page = response.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z2-9-]{19})</code>", page)
    assert len(codes) == 10 and "You will not see these codes again" in page
    assert client.get("/home").status_code == 200
    # The invitation link is spent.
    assert client.get(link).status_code == 404
    client.post("/sign-out")
    # Sign in again with a recovery code, then time out.
    sign_in_with_password(client, user.email, NEW_PASSWORD)
    assert client.post("/sign-in/recovery-code", data={"code": codes[3]}).status_code == 302
    clock.advance(minutes=31)
    assert "/timed-out" in client.get("/home").headers["Location"]
    for action in ("auth.invite", "auth.invitation_accept", "auth.totp_enrol", "auth.recovery_code_used"):
        assert _audited(action), action
    assert db.session.execute(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).scalars().all()


def test_the_enrolment_code_cannot_be_used_again_to_sign_in(client, clock):
    school = make_school(make_la())
    link = _invite(client, clock, school)
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.get("/sign-in/set-up-app")
    user = db.session.execute(select(User).where(User.email == "new.lead@example.org")).scalar_one()
    secret = totp.pending_secret(user)
    code = code_now(secret)
    client.post("/sign-in/set-up-app", data={"code": code})
    client.post("/sign-out")
    sign_in_with_password(client, user.email, NEW_PASSWORD)
    assert "already been used" in client.post("/sign-in/code", data={"code": code}).get_data(as_text=True)


def test_invitation_expires_after_72_hours(client, clock):
    school = make_school(make_la())
    link = _invite(client, clock, school)
    clock.advance(hours=71, minutes=59)
    assert client.get(link).status_code == 200
    clock.advance(minutes=2)
    assert client.get(link).status_code == 404
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    user = db.session.execute(select(User).where(User.email == "new.lead@example.org")).scalar_one()
    assert user.password_hash is None


def test_a_user_who_has_not_enrolled_must_enrol_at_sign_in(client, clock):
    user = make_account(Role.DSL, secret=None)
    response = sign_in_with_password(client, user.email)
    assert response.headers["Location"].endswith("/sign-in/set-up-app")
    assert client.get("/home").status_code == 302
    assert client.get("/sign-in/code").status_code == 302  # no way round enrolment


def test_cli_invite_prints_the_link(app, clock):
    la = make_la(code="938")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "invite", "Admin@Example.org", "--role", "la_admin", "--org", "938"])
    assert result.exit_code == 0, result.output
    assert re.search(r"/invitation/[A-Za-z0-9_\-]{30,}", result.output)
    user = db.session.execute(select(User).where(User.email == "admin@example.org")).scalar_one()
    assert user.local_authority_id == la.id and user.role == "la_admin"
    result = runner.invoke(args=["users", "invite", "x@example.org", "--role", "dsl", "--org", "938"])
    assert result.exit_code != 0  # a DSL belongs to a school
    result = runner.invoke(args=["users", "invite", "x@example.org", "--role", "dsl", "--org", "999999"])
    assert result.exit_code != 0
