"""Server-side sessions: sign-out, idle and absolute timeouts, the timeout warning's endpoints."""

from sqlalchemy import select

from portal.auth.models import UserSession
from portal.auth.roles import Role
from portal.db import db
from tests.auth.conftest import full_sign_in, make_account
from tests.signing_in import sign_in


def _copy_cookie(source, target):
    target.set_cookie("portal_session", source.get_cookie("portal_session").value)


def test_sign_out_invalidates_a_copied_cookie(client, app, clock):
    user = make_account(Role.DSL)
    full_sign_in(client, user, clock)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/home").status_code == 200  # the copy works while the session is alive
    assert client.post("/sign-out").headers["Location"].endswith("/signed-out")
    assert client.get("/home").status_code == 302
    assert thief.get("/home").status_code == 302  # and not after sign-out
    row = db.session.execute(select(UserSession)).scalar_one()
    assert row.ended_at is not None and row.end_reason == "sign_out"


def test_idle_timeout_after_30_minutes(client, clock):
    sign_in(client, make_account(Role.DSL))
    clock.advance(minutes=29, seconds=59)
    assert client.get("/home").status_code == 200  # activity: the idle timer restarts
    clock.advance(minutes=29, seconds=59)
    assert client.get("/home").status_code == 200
    clock.advance(minutes=30)
    response = client.get("/home")
    assert response.status_code == 302
    assert "/timed-out?next=/home" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "For your security, we signed you out" in page
    assert db.session.execute(select(UserSession)).scalar_one().end_reason == "idle_timeout"
    clock.advance(seconds=-3600)  # a session once ended stays ended
    assert client.get("/home").status_code == 302


def test_absolute_timeout_after_12_hours_even_when_active(client, clock):
    sign_in(client, make_account(Role.DSL))
    for _ in range(11 * 4 + 3):  # a request every 15 minutes for 11h45m
        clock.advance(minutes=15)
        assert client.get("/home").status_code == 200
    clock.advance(minutes=15)
    response = client.get("/home")
    assert "/timed-out" in response.headers["Location"]
    assert db.session.execute(select(UserSession)).scalar_one().end_reason == "absolute_timeout"


def test_status_is_a_background_request_that_never_extends_the_session(client, clock):
    sign_in(client, make_account(Role.DSL))
    clock.advance(minutes=20)
    status = client.get("/session/status", headers={"Accept": "application/json"}).get_json()
    assert status == {"signed_in": True, "expires_in": 600, "can_extend": True}
    clock.advance(minutes=10)
    response = client.get("/session/status", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.get_json() == {"signed_in": False}


def test_stay_signed_in_refreshes_the_server_side_expiry(client, clock):
    sign_in(client, make_account(Role.DSL))
    clock.advance(minutes=28)
    status = client.post("/session/keep-alive", headers={"Accept": "application/json"}).get_json()
    assert status["expires_in"] == 30 * 60
    clock.advance(minutes=28)
    assert client.get("/home").status_code == 200


def test_near_the_absolute_limit_the_warning_cannot_extend(client, clock):
    sign_in(client, make_account(Role.DSL))
    for _ in range(47):
        clock.advance(minutes=15)
        client.get("/home")
    status = client.get("/session/status", headers={"Accept": "application/json"}).get_json()
    assert status["can_extend"] is False and status["expires_in"] == 15 * 60


def test_keep_alive_needs_a_csrf_token(client, clock):
    sign_in(client, make_account(Role.DSL))
    assert client.post("/session/keep-alive", csrf=False).status_code == 400


def test_timeout_warning_markup_and_script_are_on_signed_in_pages(client, clock):
    sign_in(client, make_account(Role.DSL))
    page = client.get("/home").get_data(as_text=True)
    assert 'data-module="portal-session-timeout"' in page
    assert 'data-idle-seconds="1800"' in page
    assert "session-timeout.js" in page
    assert "Stay signed in" in page
    assert "<script>" not in page.replace("<script nonce=", "")  # nothing inline: the CSP forbids it


def test_timed_out_page_says_typing_was_kept_when_the_script_kept_it(client, clock):
    page = client.get("/timed-out?next=/home&kept=1").get_data(as_text=True)
    assert "We kept what you had typed" in page
    assert 'href="/sign-in?next=/home"' in page or 'href="/sign-in?next=%2Fhome"' in page


def test_timeout_sign_out_from_the_warning_ends_the_session(client, clock):
    sign_in(client, make_account(Role.DSL))
    response = client.post("/sign-out", data={"reason": "timeout", "next": "/home", "kept": "1"})
    assert "/timed-out" in response.headers["Location"] and "kept=1" in response.headers["Location"]
    assert db.session.execute(select(UserSession)).scalar_one().end_reason == "timeout"


def test_deactivation_ends_sessions_at_once(client, clock):
    user = make_account(Role.DSL)
    sign_in(client, user)
    assert client.get("/home").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/home").status_code == 302
    user.active = True
    db.session.commit()
    assert client.get("/home").status_code == 302  # the session was ended, not just refused
    assert db.session.execute(select(UserSession)).scalar_one().end_reason == "deactivated"


def test_users_of_a_deactivated_la_are_refused(client, clock):
    from tests.factories import make_la, make_school

    la = make_la()
    user = make_account(Role.DSL, make_school(la))
    sign_in(client, user)
    la.active = False
    db.session.commit()
    assert client.get("/home").status_code == 302
