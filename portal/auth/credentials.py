"""What a person signs in with, and its changes: passwords (set, reset by email link, changed),
the sign-in email address, the authenticator app (enrolment, replacement) and recovery codes.

Each public function that changes something is a unit of work (portal.transaction): it commits
the change with its audit events and queued emails, or raises an `AccountError` (an `Invalid`)
whose `field` names the form field the message belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from portal import audit
from portal.auth import emails, links, passwords, recovery, session_store, throttle, tokens, totp, wall_clock
from portal.auth.models import PasswordResetRequest, SessionEndReason, TokenPurpose, User
from portal.auth.users import find_user, normalise_email
from portal.db import db
from portal.domain_errors import Invalid
from portal.transaction import transactional, unit_of_work

RESET_EMAILS_PER_HOUR = 3


class AccountError(Invalid):
    """A rule about an account was broken; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field)


def clean_email(email: str, field: str = "email") -> str:
    try:
        # No DNS look-up: invitations are sent to organisations' own domains, which may not
        # resolve from the portal's network.
        result = validate_email((email or "").strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise AccountError("Enter an email address in the correct format, like name@example.org", field) from None
    return normalise_email(result.normalized)


# --- passwords ------------------------------------------------------------------------------


def set_new_password(user: User, password: str, confirm: str, field: str = "password") -> None:
    """Check the rules and store the new password's hash (in the caller's unit of work)."""
    try:
        passwords.check_password_rules(password, email=user.email, display_name=user.display_name)
    except passwords.PasswordRejected as error:
        raise AccountError(str(error), field) from None
    if password != confirm:
        raise AccountError("The passwords do not match", "confirm")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = wall_clock.now()


@transactional
def request_password_reset(email: str) -> None:
    """Record the request for the mail worker; look nothing up.

    The page shown afterwards is the same whether or not the address has an account, and so is
    the work behind it: one encrypted row inserted and committed, by construction, because the
    address is not even looked up here. `process_password_reset_requests` (the mail worker, within
    seconds) does the look-up, the link and the email.
    """
    db.session.add(PasswordResetRequest(email=normalise_email(email)[:320], requested_at=wall_clock.now()))


def process_password_reset_requests(limit: int = 100) -> int:
    """The mail worker's share (registered in portal.wiring): for each waiting request, queue a
    1-hour reset link if the account exists and may sign in, then forget the request. Returns how
    many requests were handled."""
    with unit_of_work() as session:
        ids = list(session.execute(
            select(PasswordResetRequest.id).order_by(PasswordResetRequest.requested_at).limit(limit)
        ).scalars())
    return sum(_process_password_reset_request(request_id) for request_id in ids)


@transactional
def _process_password_reset_request(request_id) -> int:
    # Claimed with a row lock (SKIP LOCKED on PostgreSQL): two workers never both handle it.
    request = db.session.execute(
        select(PasswordResetRequest).where(PasswordResetRequest.id == request_id).with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if request is None:
        return 0
    email = request.email
    db.session.delete(request)
    user = find_user(email)
    if user is None or not user.is_active or not user.has_accepted_invitation:
        return 1
    # At most 3 emails an hour go to one address, so the form cannot flood an inbox.
    if not throttle.spend("reset", throttle.account_key(email), RESET_EMAILS_PER_HOUR, timedelta(hours=1)):
        audit.record("auth.password_reset_request", object_type="user", object_id=user.id, outcome="failure",
                     detail="hourly_limit", actor_id=user.id, organisation_id=user.organisation_id)
        return 1
    token = tokens.issue(user, TokenPurpose.PASSWORD_RESET)
    audit.record("auth.password_reset_request", object_type="user", object_id=user.id,
                 actor_id=user.id, organisation_id=user.organisation_id)
    emails.password_reset(
        user, links.external_url("auth.reset_password", token=token),
        wall_clock.now() + tokens.LIFETIMES[TokenPurpose.PASSWORD_RESET],
    )
    return 1


def reset_user(token: str) -> User | None:
    """The account a reset link is for, while the link is unused and unexpired."""
    row = tokens.find_valid(token, TokenPurpose.PASSWORD_RESET)
    if row is None or not row.user.is_active:
        return None
    return row.user


@transactional
def reset_password(token: str, password: str, confirm: str, *, sign_out_here: bool = False) -> User:
    """Set a new password from a reset link. Signs out everywhere (and this browser, if someone
    is signed in in it: `sign_out_here`); the code is still needed at the next sign-in."""
    row = tokens.find_valid(token, TokenPurpose.PASSWORD_RESET)
    if row is None or not row.user.is_active:
        raise AccountError("This link has expired or has already been used")
    user = row.user
    set_new_password(user, password, confirm)
    if not tokens.use(row):
        raise AccountError("This link has expired or has already been used")
    session_store.end_all(user, SessionEndReason.PASSWORD_RESET)
    audit.record("auth.password_reset", object_type="user", object_id=user.id,
                 actor_id=user.id, organisation_id=user.organisation_id)
    emails.password_changed(user)
    if sign_out_here:
        session_store.end_current(SessionEndReason.PASSWORD_RESET)
    return user


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    """Needs the current password (failures count towards the lock). Ends the other sessions."""
    _check_current_password(user, current)
    _change_password(user, current, new, confirm)


def _check_current_password(user: User, current: str) -> None:
    # A unit of work of its own, committed before the error is raised: a wrong password's
    # audit event stands (the failure count is in the throttle's storage, outside the database).
    with unit_of_work():
        source = throttle.source_for(user.email)
        lock = throttle.check(source)
        if lock is not None:
            refusal = AccountError(f"Too many wrong attempts. Try again at {throttle.describe(lock)}", "current_password")
        elif not passwords.verify_password(user.password_hash, current or ""):
            throttle.record_failure(source)
            audit.record("auth.password_change", object_type="user", object_id=user.id, outcome="failure",
                         detail="bad_password", actor=user)
            refusal = AccountError("Your current password is incorrect", "current_password")
        else:
            return
    raise refusal


@transactional
def _change_password(user: User, current: str, new: str, confirm: str) -> None:
    if new == current:
        raise AccountError("Your new password must be different from your current password", "password")
    set_new_password(user, new, confirm)
    session_store.end_all(user, SessionEndReason.PASSWORD_CHANGE, keep=session_store.current())
    audit.record("auth.password_change", object_type="user", object_id=user.id, actor=user)
    emails.password_changed(user)


# --- the sign-in email address --------------------------------------------------------------


@transactional
def request_email_change(user: User, new_email: str) -> str:
    """Ask to sign in with a new address (the view has asked for a recent password and code).
    Returns the cleaned address, to show on the "check your email" page.

    Nothing changes yet: a link valid 24 hours goes to the new address, and following it makes
    the change (`confirm_email_change`), so an address is only ever taken by someone who reads it.
    If another account already uses the address, the answer is the same, and its holder is told
    instead: the page never says which addresses have accounts (in any organisation). Both emails
    are left to the mail worker, so the answer takes the same time either way.
    """
    email = clean_email(new_email)
    if email == user.email:
        raise AccountError("Enter a different email address from your current one", "email")
    holder = find_user(email)
    if holder is not None:
        audit.record("user.email_change_request", object_type="user", object_id=user.id, outcome="failure",
                     detail="address_in_use", actor=user)
        emails.email_change_address_in_use(holder)
        return email
    token = tokens.issue(user, TokenPurpose.EMAIL_CHANGE, new_email=email)
    audit.record("user.email_change_request", object_type="user", object_id=user.id, actor=user)
    emails.confirm_email_change(
        user, email, links.external_url("auth.confirm_email_change", token=token),
        wall_clock.now() + tokens.LIFETIMES[TokenPurpose.EMAIL_CHANGE],
    )
    return email


def email_change_for(token: str):
    """The account and new address a confirmation link is for, while it is unused and unexpired."""
    row = tokens.find_valid(token, TokenPurpose.EMAIL_CHANGE)
    if row is None or not row.user.is_active:
        return None
    return row.user, row.new_email


@transactional
def confirm_email_change(token: str) -> User:
    """Follow the link sent to the new address: the account signs in with it from now on. Both
    the old and the new address are told."""
    row = tokens.find_valid(token, TokenPurpose.EMAIL_CHANGE)
    if row is None or not row.user.is_active or find_user(row.new_email) is not None:
        raise AccountError("This link has expired or has already been used")
    if not tokens.use(row):
        raise AccountError("This link has expired or has already been used")
    user = row.user
    old = user.email
    user.email = row.new_email
    audit.record("user.email_change", object_type="user", object_id=user.id,
                 actor_id=user.id, organisation_id=user.organisation_id)
    emails.email_changed(user, old)
    return user


# --- second factor --------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    secret: str
    qr_svg: str
    secret_grouped: str


@transactional
def enrolment_for(user: User, *, fresh: bool = False) -> Enrolment:
    """The secret being enrolled (a new one, kept, if there is none yet or if `fresh`)."""
    secret = None if fresh else totp.pending_secret(user)
    if secret is None:
        secret = totp.start_enrolment(user)
    return Enrolment(secret, totp.qr_svg(totp.provisioning_uri(user, secret)), totp.grouped(secret))


def finish_enrolment(user: User, code: str) -> list[str]:
    """A correct code from the new secret makes it the user's factor; returns 10 recovery codes.
    In the caller's unit of work (first sign-in, or replacing the app)."""
    if user.totp_pending_secret is None:
        raise AccountError("Scan the QR code again: the set-up was restarted", "code")
    code = totp.normalise_code(code)
    if len(code) != totp.DIGITS:
        raise AccountError("Enter the 6-digit code from your authenticator app", "code")
    secret = totp.pending_secret(user)
    step = totp.matching_step(secret, code)
    if step is None:
        raise AccountError("The code is not correct. Check your app shows Safeguard Portal and try the newest code", "code")
    replacing = user.has_second_factor
    totp.set_secret(user, secret)
    user.totp_last_step = step  # the enrolment code is used: it cannot also sign someone in
    codes = recovery.replace_codes(user)
    audit.record("auth.totp_enrol", object_type="user", object_id=user.id,
                 detail="replaced" if replacing else "first", actor_id=user.id, organisation_id=user.organisation_id)
    return codes


@transactional
def replace_authenticator(user: User, code: str) -> list[str]:
    """Move the second factor to a new app (the view has asked for a recent password and code):
    the user's other sessions end. Returns the new recovery codes."""
    codes = finish_enrolment(user, code)
    session_store.end_all(user, SessionEndReason.SECOND_FACTOR_CHANGE, keep=session_store.current())
    return codes


@transactional
def new_recovery_codes(user: User) -> list[str]:
    codes = recovery.replace_codes(user)
    audit.record("auth.recovery_codes_replaced", object_type="user", object_id=user.id, actor=user)
    return codes
