"""Signing in: the password step, the code step (or a recovery code), and re-authentication.

Every answer to a failed attempt is the same whether or not the email belongs to an account,
and takes about as long (the password is checked against a dummy hash when there is none).
Throttling is in portal.auth.throttle; every attempt is audited without the password or code.

Between the steps the half-finished sign-in is a server-side row (portal.auth.stages): the
browser holds only its random token, and the step that finishes the sign-in uses the row up.

Each step is a unit of work: a failure is an answer (an `Outcome`), not an error, so its audit
event commits; a success that completes the sign-in starts the server-side session in the same
transaction as the code is used up.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal import audit
from portal.auth import credentials, passwords, recovery, session_store, single_sign_on, stages, throttle, totp
from portal.auth.credentials import AccountError
from portal.auth.models import FirstFactor, SessionEndReason, SignInMethod, SignInStage, SignInStageKind, User
from portal.auth.users import find_user, normalise_email
from portal.transaction import transactional, unit_of_work


@dataclass(frozen=True)
class Outcome:
    ok: bool = False
    user: User | None = None
    locked: throttle.Locked | None = None
    replayed: bool = False
    must_enrol: bool = False
    recovery_codes_left: int | None = None
    # The random token of the next stage (for the browser's cookie), after a correct password.
    stage_token: str | None = None
    # The password was right, but the organisation signs in with its own accounts only.
    single_sign_on_only: bool = False


class StageGone(AccountError):
    """The half-finished sign-in was used up by another request meanwhile: start again."""

    def __init__(self):
        super().__init__("Your sign-in has expired. Sign in again", "code")


class EnrolmentRefused(AccountError):
    """Setting up an app is only for someone with no second factor (or whose app was reset)."""


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
def check_password(email: str, password: str, next_url: str | None = None) -> Outcome:
    """Step one. On success a server-side stage is started (its token is in the outcome) and the
    caller asks for a code, or for setting up the app if the user has no second factor."""
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
    if not single_sign_on.password_sign_in_allowed(user):
        audit.record("auth.sign_in", object_type="user", object_id=user.id, outcome="failure",
                     detail="password_sign_in_off", actor_id=user.id, organisation_id=user.organisation_id)
        return Outcome(single_sign_on_only=True)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    token = stages.begin(user, next_url)
    return Outcome(ok=True, user=user, must_enrol=not user.has_second_factor, stage_token=token)


def pending(token: str | None, kind: SignInStageKind) -> SignInStage | None:
    """The browser's half-finished sign-in waiting for `kind`, if it is still live."""
    return stages.find(token, kind)


def _finish(stage: SignInStage, method: SignInMethod) -> None:
    """Use the stage up and start the session; `StageGone` (the unit of work rolls back, the
    code is not used up) if another request used it first."""
    if not stages.use(stage):
        raise StageGone()
    if stage.first_factor == FirstFactor.SINGLE_SIGN_ON:
        method = _AFTER_SINGLE_SIGN_ON.get(method, method)
    _start(stage.user, method)


_AFTER_SINGLE_SIGN_ON = {
    SignInMethod.TOTP: SignInMethod.SSO_TOTP,
    SignInMethod.RECOVERY_CODE: SignInMethod.SSO_RECOVERY_CODE,
    SignInMethod.ENROLMENT: SignInMethod.SSO_ENROLMENT,
}


@transactional
def sign_in_with_code(stage: SignInStage, code: str) -> Outcome:
    """Step two with the authenticator app's code; a correct one uses the stage up and starts
    the session. A lock ends the stage (the password is asked again)."""
    user = stage.user
    outcome = _check_code(user, code)
    if outcome.ok:
        _finish(stage, SignInMethod.TOTP)
    if outcome.locked:
        stages.use(stage)
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
def sign_in_with_recovery_code(stage: SignInStage, code: str) -> Outcome:
    """Step two with a recovery code: used up, audited, the session started, and the user told
    how many are left."""
    user = stage.user
    source = throttle.source_for(user.email)
    lock = throttle.check(source)
    if lock is not None:
        stages.use(stage)
        return _locked(source, user, lock)
    if not user.is_active or not recovery.use_code(user, code):
        outcome = _refuse(source, user, "bad_recovery_code")
        if outcome.locked:
            stages.use(stage)
        return outcome
    throttle.record_success(source)
    left = recovery.remaining(user)
    audit.record("auth.recovery_code_used", object_type="user", object_id=user.id, detail=f"left_{left}", actor=user)
    _finish(stage, SignInMethod.RECOVERY_CODE)
    return Outcome(ok=True, user=user, recovery_codes_left=left)


def enrol_and_sign_in(stage: SignInStage, code: str) -> list[str]:
    """Step two for someone with no app yet: the first correct code from the newly set-up app
    makes it their second factor, uses the stage up and starts the session. Returns their 10
    recovery codes (an `AccountError` if the code is wrong).

    Refused (`EnrolmentRefused`, audited) if the user has a second factor by now: only an LA
    admin's reset (which clears it) lets someone set up an app at sign-in again.
    """
    # The refusal is a unit of work of its own, committed before the error is raised: its audit
    # event stands and the stage is used up.
    with unit_of_work():
        user = stage.user
        refused = user.has_second_factor or stage.kind != SignInStageKind.ENROL
        if refused:
            stages.use(stage)
            audit.record("auth.totp_enrol", object_type="user", object_id=user.id, outcome="failure",
                         detail="already_has_second_factor", actor_id=user.id, organisation_id=user.organisation_id)
    if refused:
        raise EnrolmentRefused("Your account already has an authenticator app. Sign in with a code from it", "code")
    return _enrol(stage, code)


@transactional
def _enrol(stage: SignInStage, code: str) -> list[str]:
    codes = credentials.finish_enrolment(stage.user, code)
    _finish(stage, SignInMethod.ENROLMENT)
    return codes


def _start(user: User, method: SignInMethod) -> None:
    session_store.start(user)
    audit.record("auth.sign_in", object_type="user", object_id=user.id, detail=method, actor=user)


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
