"""Answers that do not say whether an email address has an account."""

import re

from sqlalchemy import event, func, select

from portal.auth.models import AccountToken, PasswordResetRequest
from portal.auth.roles import Role
from portal.db import db
from portal.notify.models import MailMessage
from portal.notify.outbox import send_due
from tests.auth.conftest import make_account

VARYING = [
    re.compile(r'name="csrf_token"[^>]*value="[^"]*"'),
    re.compile(r'value="[^"]*"\s+name="csrf_token"'),
    re.compile(r'nonce="[^"]*"'),
    re.compile(r'data-csrf-token="[^"]*"'),
]


def _normalised(page: str, email: str) -> str:
    for pattern in VARYING:
        page = pattern.sub("", page)
    return page.replace(email, "EMAIL")


def test_wrong_password_and_unknown_email_answer_identically(client, clock):
    user = make_account(Role.DSL, email="known@example.org")
    known = client.post("/sign-in", data={"email": user.email, "password": "Wrong-password-123"})
    unknown = client.post("/sign-in", data={"email": "unknown@example.org", "password": "Wrong-password-123"})
    assert known.status_code == unknown.status_code == 200
    assert "Enter a correct email address and password" in known.get_data(as_text=True)
    assert _normalised(known.get_data(as_text=True), "known@example.org") == _normalised(
        unknown.get_data(as_text=True), "unknown@example.org"
    )
    assert known.headers.get("Set-Cookie") is None or "portal_device" not in known.headers.get("Set-Cookie")


def test_wrong_password_and_unknown_email_do_the_same_argon2_work(client, app, clock, monkeypatch):
    """Timing is equal by construction: an unknown address is checked against a dummy hash with
    the same parameters. (The times themselves are measured in bench/sign_in_timing_bench.py.)"""
    from portal.auth import passwords

    real_hasher = passwords.hasher
    verified: list[str] = []

    class Recording:
        def __init__(self, inner):
            self.inner = inner

        def verify(self, stored, password):
            verified.append(stored.rsplit("$", 2)[0])  # the algorithm and its parameters
            return self.inner.verify(stored, password)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    user = make_account(Role.DSL, email="known@example.org")
    monkeypatch.setattr(passwords, "hasher", lambda: Recording(real_hasher()))
    client.post("/sign-in", data={"email": user.email, "password": "Wrong-password-123"})
    client.post("/sign-in", data={"email": "unknown@example.org", "password": "Wrong-password-123"})
    assert len(verified) == 2 and verified[0] == verified[1]


def test_password_reset_answers_the_same_for_unknown_addresses(client, app, clock):
    make_account(Role.DSL, email="known@example.org")
    known = client.post("/forgot-password", data={"email": "known@example.org"})
    unknown = client.post("/forgot-password", data={"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert client.get(known.headers["Location"]).get_data(as_text=True).count("If the address you entered belongs to an account") == 1


# --- forgot password: the same work for every address, by construction ----------------------


def _statements_during(app, fn) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "crypto_data_key" not in statement:  # the keyring's cache refreshing is not the look-up
            seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_forgot_password_runs_the_same_statements_for_real_and_unknown_addresses(client, app, clock):
    """Finding 8: the answer was measurably slower for a real account. The page now only records
    the request; the address is not even looked up until the mail worker runs."""
    make_account(Role.DSL, email="known@example.org")
    client.post("/forgot-password", data={"email": "warm-up@example.org"})  # the keyring is loaded once
    known = _statements_during(app, lambda: client.post("/forgot-password", data={"email": "known@example.org"}))
    unknown = _statements_during(app, lambda: client.post("/forgot-password", data={"email": "unknown@example.org"}))
    assert known == unknown
    assert not any("user_account" in statement for statement in known)
    # Nothing is issued or queued by the page itself.
    assert db.session.execute(select(func.count()).select_from(MailMessage)).scalar() == 0
    assert db.session.execute(select(func.count()).select_from(AccountToken)).scalar() == 0
    assert db.session.execute(select(func.count()).select_from(PasswordResetRequest)).scalar() == 3


def test_the_mail_worker_sends_the_reset_link_and_forgets_every_request(client, app, clock):
    user = make_account(Role.DSL, email="known@example.org")
    client.post("/forgot-password", data={"email": "Known@Example.org "})
    client.post("/forgot-password", data={"email": "unknown@example.org"})
    send_due()
    assert db.session.execute(select(func.count()).select_from(PasswordResetRequest)).scalar() == 0
    [message] = db.session.execute(select(MailMessage)).scalars().all()
    assert message.recipient == user.email and message.state == "sent"
    assert "/reset-password/" in message.body
