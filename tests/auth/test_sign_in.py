import re

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import User, UserSession
from portal.auth.roles import Role
from portal.db import db
from tests.auth.conftest import PASSWORD, code_now, full_sign_in, make_account, sign_in_with_password


def _actions(action):
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars().all()


def test_sign_in_with_password_and_code_reaches_home(client, clock):
    user = make_account(Role.DSL, display_name="Dee Ess")
    assert client.get("/sign-in").status_code == 200
    response = sign_in_with_password(client, user.email.upper())  # email is case-insensitive
    assert response.headers["Location"].endswith("/sign-in/code")
    response = client.post("/sign-in/code", data={"code": code_now()})
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    db.session.refresh(user)
    assert user.last_sign_in_at is not None
    success = [e for e in _actions("auth.sign_in") if e.outcome == "success"]
    assert len(success) == 1 and success[0].actor_id == user.id


def test_sign_in_returns_to_the_page_asked_for(client, clock):
    user = make_account(Role.LA_ADMIN)
    response = client.get("/admin/schools")
    assert "/sign-in?next=/admin/schools" in response.headers["Location"]
    client.post("/sign-in?next=/admin/schools", data={"email": user.email, "password": PASSWORD})
    response = client.post("/sign-in/code", data={"code": code_now()})
    assert response.headers["Location"].endswith("/admin/schools")


def test_next_cannot_send_the_user_to_another_site(client, clock):
    user = make_account(Role.DSL)
    client.post("/sign-in?next=//evil.example/x", data={"email": user.email, "password": PASSWORD})
    response = client.post("/sign-in/code", data={"code": code_now()})
    assert response.headers["Location"].endswith("/home")


def test_code_page_needs_the_password_step_first(client, clock):
    make_account(Role.DSL)
    assert client.get("/sign-in/code").headers["Location"].endswith("/sign-in")
    assert client.post("/sign-in/code", data={"code": code_now()}).headers["Location"].endswith("/sign-in")


def test_wrong_code_is_refused(client, clock):
    user = make_account(Role.DSL)
    sign_in_with_password(client, user.email)
    response = client.post("/sign-in/code", data={"code": "000000" if code_now() != "000000" else "111111"})
    assert response.status_code == 200
    assert "The security code is not correct" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_replayed_code_is_refused_logged_and_the_user_told(client, app, clock):
    user = make_account(Role.DSL)
    full_sign_in(client, user, clock)
    code = code_now()  # the code just used
    client.post("/sign-out")
    other = app.test_client()
    sign_in_with_password(other, user.email)
    response = other.post("/sign-in/code", data={"code": code})
    page = response.get_data(as_text=True)
    assert "This code has already been used" in page
    assert other.get("/home").status_code == 302
    assert _actions("auth.totp_replay")
    assert any(e.detail == "replayed_code" for e in _actions("auth.sign_in"))


def test_a_code_from_an_earlier_step_is_refused_after_a_later_one_was_used(client, app, clock):
    user = make_account(Role.DSL)
    old_code = code_now()
    clock.advance(seconds=30)
    full_sign_in(client, user, clock)  # uses the code of a later step
    client.post("/sign-out")
    clock.advance(seconds=-60)
    sign_in_with_password(client, user.email)
    response = client.post("/sign-in/code", data={"code": old_code})
    assert "already been used" in response.get_data(as_text=True)


def test_codes_one_step_either_side_are_accepted(client, clock):
    user = make_account(Role.DSL)
    previous = code_now()
    clock.advance(seconds=30)
    sign_in_with_password(client, user.email)
    assert client.post("/sign-in/code", data={"code": previous}).status_code == 302


def test_a_code_two_steps_old_is_refused(client, clock):
    user = make_account(Role.DSL)
    stale = code_now()
    clock.advance(seconds=65)
    sign_in_with_password(client, user.email)
    assert client.post("/sign-in/code", data={"code": stale}).status_code == 200


def test_session_id_is_rotated_at_sign_in(client, clock):
    user = make_account(Role.DSL)
    client.get("/sign-in")
    with client.session_transaction() as s:
        s["planted"] = "by-an-attacker"
    full_sign_in(client, user, clock)
    with client.session_transaction() as s:
        assert "planted" not in s
        token = s["sid"]
    full_sign_in(client.application.test_client(), user, clock)
    rows = db.session.execute(select(UserSession).where(UserSession.user_id == user.id)).scalars().all()
    assert len(rows) == 2
    assert all(row.token_hash != token for row in rows)  # only a hash is stored


def test_signing_in_after_an_idle_logout_starts_a_new_session(client, clock):
    user = make_account(Role.DSL)
    full_sign_in(client, user, clock)
    with client.session_transaction() as s:
        first = s["sid"]
    client.post("/sign-out")
    full_sign_in(client, user, clock)
    with client.session_transaction() as s:
        assert s["sid"] != first


def test_deactivated_user_cannot_sign_in_and_answer_is_the_usual_one(client, clock):
    user = make_account(Role.DSL)
    user.active = False
    db.session.commit()
    page = sign_in_with_password(client, user.email).get_data(as_text=True)
    assert "Enter a correct email address and password" in page


def test_invited_user_without_password_cannot_sign_in(client, clock):
    user = make_account(Role.DSL)
    user.password_hash = None
    db.session.commit()
    response = sign_in_with_password(client, user.email, "")
    assert response.status_code == 200
    response = sign_in_with_password(client, user.email, PASSWORD)
    assert "Enter a correct email address and password" in response.get_data(as_text=True)


def test_sign_in_failure_audit_holds_neither_password_nor_code(client, clock):
    user = make_account(Role.DSL)
    sign_in_with_password(client, user.email, "Wrong-password-123")
    sign_in_with_password(client, "nobody@example.org", "Wrong-password-123")
    events = _actions("auth.sign_in")
    assert [e.detail for e in events] == ["bad_password", "unknown_account"]
    for event in events:
        text = " ".join(str(v) for v in vars(event).values())
        assert "Wrong-password" not in text
        assert "nobody" not in text and user.email not in text


def test_recovery_code_signs_in_once_and_says_how_many_are_left(client, app, clock):
    from portal.auth import recovery

    user = make_account(Role.DSL)
    codes = recovery.replace_codes(user)
    db.session.commit()
    sign_in_with_password(client, user.email)
    response = client.post("/sign-in/recovery-code", data={"code": codes[0].upper()})
    assert response.status_code == 302
    page = client.get("/home").get_data(as_text=True)
    assert "You have 9 recovery codes left" in page
    assert _actions("auth.recovery_code_used")[0].detail == "left_9"
    client.post("/sign-out")
    sign_in_with_password(client, user.email)
    response = client.post("/sign-in/recovery-code", data={"code": codes[0]})
    assert "not correct or has already been used" in response.get_data(as_text=True)


def test_recovery_codes_are_stored_hashed(client, clock):
    from portal.auth import recovery
    from portal.auth.models import RecoveryCode

    user = make_account(Role.DSL)
    codes = recovery.replace_codes(user)
    db.session.commit()
    stored = [r.code_hash for r in db.session.execute(select(RecoveryCode)).scalars()]
    assert len(stored) == 10
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code)
        assert all(code not in h and code.replace("-", "") not in h for h in stored)


def test_totp_secret_is_encrypted_at_rest(client, clock):
    from sqlalchemy import text

    from tests.auth.conftest import SECRET

    user = make_account(Role.DSL)
    raw = db.session.execute(text("SELECT totp_secret FROM user_account WHERE id = :id"), {"id": user.id.hex if db.engine.dialect.name == "sqlite" else user.id}).scalar_one()
    assert raw.startswith("v1:") and SECRET not in raw
    assert db.session.get(User, user.id).totp_secret == SECRET
