"""Password hashing (Argon2id) and the password rules (NCSC / OWASP ASVS 2.1).

Rules: at least 12 characters and at most 256 (so a pass-phrase of several words fits), no
composition rules, refused when it is a known common or breached password, when it is easy to
guess (zxcvbn's estimate), or when it contains the user's email name.

Hashing uses argon2-cffi's Argon2id with its RFC 9106 "low memory" profile (64 MiB, 3 passes);
tests use far cheaper parameters so the suite stays fast. Hashes made with older parameters are
upgraded the next time the user signs in.
"""

from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

MIN_LENGTH = 12
MAX_LENGTH = 256
# zxcvbn's estimate of guesses below which a password is refused: 10^8 guesses is hours of an
# online attack without throttling and seconds offline.
MIN_GUESSES_LOG10 = 8


class PasswordRejected(ValueError):
    """The password breaks a rule; the message is shown to the user as it is."""


@functools.cache
def _hasher(test_mode: bool) -> PasswordHasher:
    if test_mode:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    return PasswordHasher(type=Type.ID)  # RFC 9106 low-memory: t=3, m=64 MiB, p=4


def hasher() -> PasswordHasher:
    return _hasher(current_app.config.get("PORTAL_ENV") == "test")


def hash_password(password: str) -> str:
    return hasher().hash(password)


@functools.cache
def _dummy_hash(test_mode: bool) -> str:
    return _hasher(test_mode).hash("not-a-real-password-only-used-to-spend-time")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches. With no hash (unknown or invited user) the same work is done
    against a dummy hash, so that the answer takes as long as for a real account."""
    ph = hasher()
    target = stored_hash or _dummy_hash(current_app.config.get("PORTAL_ENV") == "test")
    try:
        ok = ph.verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    return bool(ok and stored_hash)


def needs_rehash(stored_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# --- the rules ------------------------------------------------------------------------------


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn (maintained on PyPI) ships the 30,000 most common passwords from breach corpora.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _email_name(email: str) -> str:
    return (email or "").split("@", 1)[0].lower()


def check_password_rules(password: str, *, email: str, display_name: str = "") -> None:
    """Raise PasswordRejected with a GOV.UK-style message if the password may not be used."""
    if not password:
        raise PasswordRejected("Enter a password")
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Your password must be {MIN_LENGTH} characters or more")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Your password must be {MAX_LENGTH} characters or fewer")
    lowered = password.lower()
    name = _email_name(email)
    # Short email names ("jo") would refuse too many good passwords; 3 characters is the floor.
    if len(name) >= 3 and name in lowered:
        raise PasswordRejected("Your password must not contain the first part of your email address")
    for part in re.split(r"[.\-_+]", name):
        if len(part) >= 4 and part in lowered:
            raise PasswordRejected("Your password must not contain the first part of your email address")
    if lowered in _common_passwords() or lowered.strip() in _common_passwords():
        raise PasswordRejected("This password is too common. Choose a different password")
    from zxcvbn import zxcvbn

    # zxcvbn refuses inputs over 72 characters (it gets slow); the first 72 are plenty to judge.
    hints = [name, *(display_name or "").lower().split(), "safeguard", "portal"]
    estimate = zxcvbn(password[:72], user_inputs=[h for h in hints if h])
    if estimate["guesses_log10"] < MIN_GUESSES_LOG10:
        raise PasswordRejected(
            "This password is too easy to guess. Try three or more random words that mean something to you"
        )
