"""Signing in: the password step, the code step (or a recovery code), and re-authentication.

Every answer to a failed attempt is the same whether or not the email belongs to an account,
and takes about as long (the password is checked against a dummy hash when there is none).
Throttling is in portal.auth.throttle; every attempt is audited without the password or code.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal import audit
from portal.auth import passwords, recovery, throttle, totp
from portal.auth.models import User
from portal.db import db


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    email = normalise_email(email)
    if not email:
        return None
    return db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()


@dataclass(frozen=True)
class Outcome:
    ok: bool = False
    user: User | None = None
    locked: throttle.Locked | None = None
    replayed: bool = False
    must_enrol: bool = False
    recovery_codes_left: int | None = None


def _refuse(source, user: User | None, detail: str, *, replayed: bool = False) -> Outcome:
    lock = throttle.record_failure(source)
    audit.record(
        "auth.sign_in",
        object_type="user" if user else None,
        object_id=user.id if user else None,
        outcome="failure",
        detail=detail,
        actor_id=user.id if user else None,
        organisation_id=user.organisation_id if user else None,
    )
    if lock is not None and lock.started:
        audit.record(
            "auth.lockout",
            object_type="user" if user else None,
            object_id=user.id if user else None,
            outcome="success",
            detail="source_locked_15_minutes" if lock.scope == "source" else "account_hourly_limit",
            actor_id=user.id if user else None,
            organisation_id=user.organisation_id if user else None,
        )
    return Outcome(locked=lock, replayed=replayed)


def _locked(source, user: User | None, lock: throttle.Locked) -> Outcome:
    audit.record(
        "auth.sign_in",
        object_type="user" if user else None,
        object_id=user.id if user else None,
        outcome="failure",
        detail="locked" if lock.scope == "source" else "account_hourly_limit",
        actor_id=user.id if user else None,
        organisation_id=user.organisation_id if user else None,
    )
    return Outcome(locked=lock)


def check_password(email: str, password: str) -> Outcome:
    """Step one. On success the caller asks for a code (or enrolment, if the user has none)."""
    source = throttle.source_for(normalise_email(email))
    user = find_user(email)
    lock = throttle.check(source)
    if lock is not None:
        return _locked(source, user, lock)
    stored = user.password_hash if user is not None else None
    matches = passwords.verify_password(stored, password or "")
    if not matches or user is None or not user.is_active:
        detail = "unknown_account" if user is None else ("bad_password" if not matches else "inactive")
        return _refuse(source, user, detail)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return Outcome(ok=True, user=user, must_enrol=not user.has_second_factor)


def check_code(user: User, code: str) -> Outcome:
    """Step two with the authenticator app's code."""
    source = throttle.source_for(user.email)
    lock = throttle.check(source)
    if lock is not None:
        return _locked(source, user, lock)
    if not user.is_active:
        return _refuse(source, user, "inactive")
    result = totp.check_code(user, code)
    if result.replayed:
        audit.record("auth.totp_replay", object_type="user", object_id=user.id, outcome="failure", actor=user)
        return _refuse(source, user, "replayed_code", replayed=True)
    if not result.ok:
        return _refuse(source, user, "bad_code")
    throttle.record_success(source)
    return Outcome(ok=True, user=user)


def check_recovery_code(user: User, code: str) -> Outcome:
    """Step two with a recovery code: used up, audited, and the user told how many are left."""
    source = throttle.source_for(user.email)
    lock = throttle.check(source)
    if lock is not None:
        return _locked(source, user, lock)
    if not user.is_active or not recovery.use_code(user, code):
        return _refuse(source, user, "bad_recovery_code")
    throttle.record_success(source)
    left = recovery.remaining(user)
    audit.record("auth.recovery_code_used", object_type="user", object_id=user.id, detail=f"left_{left}", actor=user)
    return Outcome(ok=True, user=user, recovery_codes_left=left)


def record_signed_in(user: User, method: str) -> None:
    audit.record("auth.sign_in", object_type="user", object_id=user.id, detail=method, actor=user)


def reauthenticate(user: User, password: str, code: str) -> Outcome:
    """Password and code again, for sensitive actions. Failures count towards the lock."""
    source = throttle.source_for(user.email)
    lock = throttle.check(source)
    if lock is not None:
        return _locked(source, user, lock)
    if not passwords.verify_password(user.password_hash, password or ""):
        return _refuse(source, user, "reauth_bad_password")
    result = totp.check_code(user, code)
    if result.replayed:
        audit.record("auth.totp_replay", object_type="user", object_id=user.id, outcome="failure", actor=user)
        return _refuse(source, user, "reauth_replayed_code", replayed=True)
    if not result.ok:
        return _refuse(source, user, "reauth_bad_code")
    throttle.record_success(source)
    audit.record("auth.reauthenticate", object_type="user", object_id=user.id, actor=user)
    return Outcome(ok=True, user=user)
