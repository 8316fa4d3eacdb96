"""Answers that do not say whether an email address has an account."""

import re
import time

from portal.auth.roles import Role
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


def test_wrong_password_and_unknown_email_take_similar_time(client, app, clock):
    from portal.auth import passwords

    # Full-strength Argon2 for this one test: the dummy hash must cost what a real one costs.
    passwords._hasher.cache_clear()
    passwords._dummy_hash.cache_clear()
    app.config["PORTAL_ENV"] = "development"
    try:
        user = make_account(Role.DSL, email="known@example.org")

        def timed(email):
            start = time.perf_counter()
            client.post("/sign-in", data={"email": email, "password": "Wrong-password-123"})
            return time.perf_counter() - start

        timed("warm-up@example.org")
        known = min(timed(user.email) for _ in range(5))
        unknown = min(timed("unknown@example.org") for _ in range(5))
    finally:
        app.config["PORTAL_ENV"] = "test"
        passwords._hasher.cache_clear()
        passwords._dummy_hash.cache_clear()
    assert known > 0.01 and unknown > 0.01  # both did the Argon2 work
    assert abs(known - unknown) / max(known, unknown) < 0.5


def test_password_reset_answers_the_same_for_unknown_addresses(client, app, clock):
    make_account(Role.DSL, email="known@example.org")
    known = client.post("/forgot-password", data={"email": "known@example.org"})
    unknown = client.post("/forgot-password", data={"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert client.get(known.headers["Location"]).get_data(as_text=True).count("If the address you entered belongs to an account") == 1
