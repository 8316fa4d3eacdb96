"""Signing in: the password step, the code step (or a recovery code), and re-authentication.

Every answer to a failed attempt is the same whether or not the email belongs to an account,
and takes about as long (the password is checked against a dummy hash when there is none).
Throttling is in portal.auth.throttle; every attempt is audited without the password or code.

Each step is a unit of work: a failure is an answer (an `Outcome`), not an error, so its audit
event commits; a success that completes the sign-in starts the server-side session in the same
transaction as the code is used up.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal import audit
from portal.auth import credentials, passwords, recovery, session_store, throttle, totp
from portal.auth.models import SessionEndReason, SignInMethod, User
from portal.auth.users import find_user, get_user, normalise_email
from portal.transaction import transactional


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
            detail="source_locked_15_minutes" if lock.scope == throttle.LockScope.SOURCE else "account_hourly_limit",
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
        detail="locked" if lock.scope == throttle.LockScope.SOURCE else "account_hourly_limit",
        actor_id=user.id if user else None,
        organisation_id=user.organisation_id if user else None,
    )
    return Outcome(locked=lock)


@transactional
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


@transactional
def sign_in_with_code(user: User, code: str) -> Outcome:
    """Step two with the authenticator app's code; a correct one starts the session."""
    outcome = _check_code(user, code)
    if outcome.ok:
        _start(user, SignInMethod.TOTP)
    return outcome


def _check_code(user: User, code: str) -> Outcome:
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


@transactional
def sign_in_with_recovery_code(user: User, code: str) -> Outcome:
    """Step two with a recovery code: used up, audited, the session started, and the user told
    how many are left."""
    source = throttle.source_for(user.email)
    lock = throttle.check(source)
    if lock is not None:
        return _locked(source, user, lock)
    if not user.is_active or not recovery.use_code(user, code):
        return _refuse(source, user, "bad_recovery_code")
    throttle.record_success(source)
    left = recovery.remaining(user)
    audit.record("auth.recovery_code_used", object_type="user", object_id=user.id, detail=f"left_{left}", actor=user)
    _start(user, SignInMethod.RECOVERY_CODE)
    return Outcome(ok=True, user=user, recovery_codes_left=left)


@transactional
def enrol_and_sign_in(user: User, code: str) -> list[str]:
    """Step two for someone with no app yet: the first correct code from the newly set-up app
    makes it their second factor and starts the session. Returns their 10 recovery codes (an
    `AccountError` if the code is wrong)."""
    codes = credentials.finish_enrolment(user, code)
    _start(user, SignInMethod.ENROLMENT)
    return codes


def _start(user: User, method: SignInMethod) -> None:
    session_store.start(user)
    audit.record("auth.sign_in", object_type="user", object_id=user.id, detail=method, actor=user)


def pending_user(user_id: str) -> User | None:
    """The account a half-finished sign-in (password done, code not yet) is for, if it may still
    sign in."""
    user = get_user(user_id)
    if user is None or not user.is_active:
        return None
    return user


@transactional
def sign_out(user: User, *, timed_out: bool) -> None:
    """End this browser's session (the page's timeout warning ran out, or the person chose to)."""
    audit.record("auth.sign_out", object_type="user", object_id=user.id, detail="timeout" if timed_out else None, actor=user)
    session_store.end_current(SessionEndReason.TIMEOUT if timed_out else SessionEndReason.SIGN_OUT)


@transactional
def reauthenticate(user: User, password: str, code: str) -> Outcome:
    """Password and code again, for sensitive actions; a success restarts this session's
    15 minutes. Failures count towards the lock."""
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
    session_store.mark_reauthenticated(session_store.current())
    return Outcome(ok=True, user=user)
