"""Throttling: 10 consecutive failures lock the account for that source for 15 minutes; no
account takes more than 100 failures an hour from unrecognised sources; a browser the user
signed in from before keeps working while the account is under attack."""

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth import throttle
from portal.auth.roles import Role
from portal.db import db
from tests.auth.conftest import PASSWORD, code_now, full_sign_in, make_account, sign_in_with_password

WRONG = "Not-the-password-1"


def _fail(client, email, times, ip="203.0.113.5"):
    for _ in range(times):
        response = client.post("/sign-in", data={"email": email, "password": WRONG}, environ_base={"REMOTE_ADDR": ip})
    return response


def test_ten_failures_lock_the_account_for_that_source_and_say_until_when(client, clock):
    user = make_account(Role.DSL)
    page = _fail(client, user.email, 10).get_data(as_text=True)
    assert "There have been too many attempts to sign in. Try again at 9:15am." in page
    # The right password is refused while locked, from that source.
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert response.status_code == 200
    assert "too many attempts" in response.get_data(as_text=True)
    lockouts = db.session.execute(select(AuditEvent).where(AuditEvent.action == "auth.lockout")).scalars().all()
    assert len(lockouts) == 1 and lockouts[0].object_id == str(user.id)


def test_lockout_ends_after_15_minutes(client, clock):
    user = make_account(Role.DSL)
    _fail(client, user.email, 10)
    clock.advance(minutes=14, seconds=59)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert response.status_code == 200
    clock.advance(seconds=2)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert response.headers["Location"].endswith("/sign-in/code")


def test_another_source_is_not_locked_out(client, app, clock):
    user = make_account(Role.DSL)
    _fail(client, user.email, 10, ip="203.0.113.5")
    other = app.test_client()
    response = other.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.headers["Location"].endswith("/sign-in/code")


def test_failures_must_be_consecutive(client, clock):
    user = make_account(Role.DSL)
    ip = {"REMOTE_ADDR": "203.0.113.5"}
    _fail(client, user.email, 9)
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base=ip)
    clock.advance(seconds=30)
    assert client.post("/sign-in/code", data={"code": code_now()}, environ_base=ip).status_code == 302
    client.post("/sign-out", environ_base=ip)
    page = _fail(client, user.email, 9).get_data(as_text=True)
    assert "too many attempts" not in page


def test_wrong_codes_count_towards_the_lock(client, clock):
    user = make_account(Role.DSL)
    wrong = "123456" if code_now() != "123456" else "654321"
    sign_in_with_password(client, user.email)
    for _ in range(9):
        client.post("/sign-in/code", data={"code": wrong})
    page = client.post("/sign-in/code", data={"code": wrong}).get_data(as_text=True)
    assert "too many attempts" in page
    # The pending sign-in is gone, and the password step is locked too.
    assert client.get("/sign-in/code").status_code == 302
    assert "too many attempts" in sign_in_with_password(client, user.email).get_data(as_text=True)


def test_no_account_takes_more_than_100_failures_an_hour_from_unrecognised_sources(client, clock):
    user = make_account(Role.DSL)
    for n in range(100):
        # Many addresses, never 10 from one: only the account-wide budget can stop this.
        _fail(client, user.email, 1, ip=f"10.0.{n // 250}.{n % 250}")
        if n % 20 == 19:
            clock.advance(minutes=1)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "192.0.2.200"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "too many attempts to sign in to this account" in page
    assert "sign in from a device you have used before" in page
    # Counted in 10-minute buckets, conservatively: the budget is back once the 9:00-9:10
    # bucket holding the failures is more than an hour old.
    assert "Try again at 10:10am" in page
    clock.now = clock.now.replace(hour=10, minute=9, second=59)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "192.0.2.200"})
    assert response.status_code == 200
    clock.advance(seconds=1)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "192.0.2.200"})
    assert response.headers["Location"].endswith("/sign-in/code")


def test_a_recognised_browser_signs_in_while_the_account_is_under_attack(client, app, clock):
    """A malicious lock-out of a DSL fails: their own browser is a source of its own."""
    dsl = make_account(Role.DSL)
    school_ip = {"REMOTE_ADDR": "203.0.113.5"}
    full_sign_in(client, dsl, clock)  # the DSL's browser gets a device cookie
    client.post("/sign-out")
    attacker = app.test_client()
    # 100 failures from many addresses (counted directly: the pages are walked in the test
    # above), then 10 more through the pages from the school's own address.
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.0.1"}):
        source = throttle.source_for(dsl.email)
        for _ in range(100):
            throttle.record_failure(source)
            throttle.record_success(source)  # spread over addresses: none reaches its own lock
    _fail(attacker, dsl.email, 10, ip="203.0.113.5")
    assert "too many attempts" in _fail(attacker, dsl.email, 1, ip="198.51.100.9").get_data(as_text=True)
    response = client.post("/sign-in", data={"email": dsl.email, "password": PASSWORD}, environ_base=school_ip)
    assert response.headers["Location"].endswith("/sign-in/code")
    clock.advance(seconds=30)
    assert client.post("/sign-in/code", data={"code": code_now()}, environ_base=school_ip).status_code == 302
    assert client.get("/home").status_code == 200


def test_a_forged_device_cookie_is_ignored(client, clock):
    user = make_account(Role.DSL)
    client.set_cookie(throttle.DEVICE_COOKIE, "forged.value")
    _fail(client, user.email, 10)
    page = client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.5"}).get_data(as_text=True)
    assert "too many attempts" in page


def test_unknown_email_locks_exactly_like_a_real_one(client, clock):
    user = make_account(Role.DSL)
    real = _fail(client, user.email, 10).get_data(as_text=True)
    unknown = _fail(client, "nobody@example.org", 10).get_data(as_text=True)
    assert "Try again at 9:15am" in real and "Try again at 9:15am" in unknown


def test_flask_limiter_caps_sign_in_posts_per_address(client, app, clock):
    extra = app.config["PORTAL_SETTINGS"].extra
    extra["PORTAL_SIGN_IN_RATE_LIMIT"] = "5 per minute"
    try:
        statuses = [client.post("/sign-in", data={"email": f"u{n}@example.org", "password": WRONG}).status_code for n in range(6)]
    finally:
        del extra["PORTAL_SIGN_IN_RATE_LIMIT"]
    assert statuses == [200] * 5 + [429]
    assert client.get("/sign-in").status_code == 200  # only the POSTs are limited
