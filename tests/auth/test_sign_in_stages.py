"""The half-finished sign-in is a server-side row, not a claim in the signed cookie.

Finding 2 of the security review: `{user, stage: "enrol"}` lived in Flask's signed session, so
anyone holding SECRET_KEY could forge it for any user, set up an app of their own and get a full
session with no password. Now the cookie holds only a random token; the row (found by its hash)
lives 10 minutes, is used once, and enrolment is refused to a user who has a second factor.
"""

import hashlib

import pyotp
import pytest
from flask_login import login_user
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth import signin, stages, totp
from portal.auth.administration import reset_second_factor
from portal.auth.models import SignInStage, SignInStageKind, UserSession
from portal.auth.roles import Role
from portal.db import db
from tests.auth.conftest import SECRET, code_now, make_account, sign_in_with_password
from tests.factories import make_la

PENDING = "pending_sign_in"


def _sessions(user) -> int:
    return db.session.execute(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)).scalar()


def _pending_token(client) -> str:
    with client.session_transaction() as browser:
        return browser[PENDING]


def _set_pending(client, value) -> None:
    with client.session_transaction() as browser:  # signed with the app's SECRET_KEY
        browser[PENDING] = value


def _enrolment_secret(client) -> str:
    page = client.get("/sign-in/set-up-app").get_data(as_text=True)
    user_secret = db.session.execute(select(SignInStage)).scalars().first().user
    db.session.refresh(user_secret)
    assert "QR code" in page
    return totp.pending_secret(user_secret)


@pytest.mark.parametrize("has_app", [True, False])
def test_a_forged_pending_sign_in_gets_nowhere_even_with_the_secret_key(client, clock, has_app):
    victim = make_account(Role.DSL, secret=SECRET if has_app else None)
    forged = {"user": str(victim.id), "stage": "enrol", "at": clock.now.timestamp(), "next": None}
    for value in (forged, {**forged, "stage": "code"}, str(victim.id), "made-up-token"):
        _set_pending(client, value)
        for path in ("/sign-in/set-up-app", "/sign-in/code", "/sign-in/recovery-code"):
            assert client.get(path).headers["Location"].endswith("/sign-in")
        attacker_code = pyotp.TOTP(pyotp.random_base32()).now()
        assert client.post("/sign-in/set-up-app", data={"code": attacker_code}).headers["Location"].endswith("/sign-in")
        assert client.post("/sign-in/code", data={"code": code_now()}).headers["Location"].endswith("/sign-in")
    db.session.refresh(victim)
    assert _sessions(victim) == 0
    assert victim.has_second_factor == has_app and victim.totp_pending_secret is None
    assert client.get("/home").status_code == 302


def test_the_cookie_carries_only_a_random_token_whose_hash_is_stored(client, clock):
    user = make_account(Role.DSL)
    sign_in_with_password(client, user.email)
    token = _pending_token(client)
    assert isinstance(token, str) and str(user.id) not in token
    row = db.session.execute(select(SignInStage)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert row.user_id == user.id and row.kind == SignInStageKind.CODE
    assert (row.expires_at - row.created_at).total_seconds() == 600


def test_a_used_stage_token_is_refused(client, app, clock):
    user = make_account(Role.DSL)
    sign_in_with_password(client, user.email)
    token = _pending_token(client)
    assert client.post("/sign-in/code", data={"code": code_now()}).headers["Location"].endswith("/home")
    clock.advance(seconds=30)
    other = app.test_client()
    _set_pending(other, token)  # a copy of the cookie from before the code was entered
    assert other.get("/sign-in/code").headers["Location"].endswith("/sign-in")
    assert other.post("/sign-in/code", data={"code": code_now()}).headers["Location"].endswith("/sign-in")
    assert other.get("/home").status_code == 302
    assert _sessions(user) == 1


def test_a_stage_token_expires_after_ten_minutes(client, clock):
    user = make_account(Role.DSL)
    sign_in_with_password(client, user.email)
    clock.advance(minutes=10, seconds=1)
    assert client.post("/sign-in/code", data={"code": code_now()}).headers["Location"].endswith("/sign-in")
    assert client.get("/home").status_code == 302
    assert _sessions(user) == 0


def test_a_stage_ends_when_the_account_is_locked(client, clock):
    user = make_account(Role.DSL)
    sign_in_with_password(client, user.email)
    wrong = "000000" if code_now() != "000000" else "111111"
    for _ in range(10):
        client.post("/sign-in/code", data={"code": wrong})
    assert db.session.execute(select(SignInStage.used_at)).scalar_one() is not None


def test_enrolment_is_refused_once_the_user_has_an_app(client, app, clock):
    """Two browsers past the password of a user with no app: once one has set one up, the
    other may not set up another (it would replace the factor with no code from it)."""
    user = make_account(Role.DSL, secret=None)
    other = app.test_client()
    for browser in (client, other):
        assert sign_in_with_password(browser, user.email).headers["Location"].endswith("/sign-in/set-up-app")
    secret = _enrolment_secret(client)
    assert client.post("/sign-in/set-up-app", data={"code": totp.current_code(secret)}).status_code == 200
    db.session.refresh(user)
    assert user.has_second_factor
    assert other.get("/sign-in/set-up-app").headers["Location"].endswith("/sign-in")
    clock.advance(seconds=30)
    assert other.post("/sign-in/set-up-app", data={"code": totp.current_code(secret)}).headers["Location"].endswith("/sign-in")
    assert other.get("/home").status_code == 302
    assert _sessions(user) == 1


def test_the_enrolment_service_refuses_a_user_with_a_second_factor_and_audits_it(app, clock):
    user = make_account(Role.DSL, secret=None)
    with app.test_request_context():
        token = stages.begin(user)
        db.session.commit()
        totp.set_secret(user, SECRET)  # set up meanwhile
        db.session.commit()
        stage = db.session.execute(select(SignInStage)).scalar_one()
        with pytest.raises(signin.EnrolmentRefused):
            signin.enrol_and_sign_in(stage, code_now())
        assert stages.find(token, SignInStageKind.ENROL) is None
    db.session.refresh(user)
    assert totp.pending_secret(user) is None and user.totp_secret == SECRET
    refused = db.session.execute(select(AuditEvent).where(AuditEvent.action == "auth.totp_enrol")).scalar_one()
    assert refused.outcome == "failure" and refused.detail == "already_has_second_factor"


def test_an_la_admins_reset_lets_the_user_set_up_an_app_again(client, app, clock):
    la = make_la()
    admin = make_account(Role.LA_ADMIN, la)
    user = make_account(Role.TRIAGE_WORKER, la)
    with app.test_request_context():
        login_user(admin)
        reset_second_factor(user, actor=admin)
    assert sign_in_with_password(client, user.email).headers["Location"].endswith("/sign-in/set-up-app")
    secret = _enrolment_secret(client)
    assert client.post("/sign-in/set-up-app", data={"code": totp.current_code(secret)}).status_code == 200
    assert client.get("/home").status_code == 200
