"""Helpers for the accounts tests: a clock to move, accounts with a password and an app."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.auth import wall_clock as auth_clock
from portal.auth import passwords, totp
from portal.db import db
from portal.extensions import limiter
from tests.factories import make_user

PASSWORD = "correct-Horse-battery-42"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class Clock:
    """A clock the tests move forward by hand (TOTP steps, lockouts, timeouts, link expiry)."""

    def __init__(self):
        # Mid-step, so that a code is not at the edge of its 30 seconds.
        self.now = datetime(2026, 11, 23, 9, 0, 10, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch, app):
    fake = Clock()
    monkeypatch.setattr(auth_clock, "now", fake)
    # Lock-out counters live in Flask-Limiter's storage: every test starts with none.
    limiter.reset()
    yield fake
    limiter.reset()


def make_account(role, organisation=None, *, password: str = PASSWORD, secret: str | None = SECRET, **fields):
    """A user who has accepted their invitation and set up their authenticator app."""
    user = make_user(role, organisation, **fields)
    user.password_hash = passwords.hash_password(password)
    if secret:
        totp.set_secret(user, secret)
    db.session.commit()
    return user


def code_now(secret: str = SECRET) -> str:
    return totp.current_code(secret)


def sign_in_with_password(client, email: str, password: str = PASSWORD, **kwargs):
    return client.post("/sign-in", data={"email": email, "password": password}, **kwargs)


def full_sign_in(client, user, clock, *, secret: str = SECRET, password: str = PASSWORD):
    """Walk the real pages: password, then a fresh code (the clock moves a step so it is new)."""
    response = sign_in_with_password(client, user.email, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    clock.advance(seconds=30)
    response = client.post("/sign-in/code", data={"code": code_now(secret)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response
