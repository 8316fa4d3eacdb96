"""Account life cycle: invitations, passwords, second-factor enrolment and recovery codes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email

from portal import audit
from portal.auth import wall_clock, emails, links, passwords, recovery, session_store, throttle, tokens, totp
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.signin import find_user, normalise_email
from portal.db import db
from portal.notify import EmailNotSent
from portal.orgs.models import LocalAuthority, School

log = logging.getLogger(__name__)

RESET_EMAILS_PER_HOUR = 3


class AccountError(ValueError):
    """A rule was broken; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- invitations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    user: User
    link: str
    emailed: bool


def clean_email(email: str, field: str = "email") -> str:
    try:
        # No DNS look-up: invitations are sent to organisations' own domains, which may not
        # resolve from the portal's network.
        result = validate_email((email or "").strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise AccountError("Enter an email address in the correct format, like name@example.org", field) from None
    return normalise_email(result.normalized)


def clean_display_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("Enter the person’s full name", "display_name")
    if len(name) > 200:
        raise AccountError("The name must be 200 characters or fewer", "display_name")
    return name


def invite(
    email: str,
    display_name: str,
    role: Role,
    organisation: School | LocalAuthority,
    *,
    invited_by: User | None,
    send: bool = True,
) -> Invitation:
    """Create the account (with no password yet) and a 72-hour single-use invitation link.

    The caller has checked `users:invite` with the policy (the CLI is for operators). The caller
    commits; the email is sent here after a flush, so call `send_invitation_email` after commit
    if you need to be sure the row exists first (`send=False`).
    """
    role = Role(role)
    email = clean_email(email)
    name = clean_display_name(display_name)
    if isinstance(organisation, School) != role.is_school_role:
        raise AccountError("Choose a role for this kind of organisation", "role")
    if find_user(email) is not None:
        raise AccountError("There is already an account with this email address", "email")
    user = User(
        email=email,
        display_name=name,
        role=role.value,
        school_id=organisation.id if isinstance(organisation, School) else None,
        local_authority_id=organisation.id if isinstance(organisation, LocalAuthority) else None,
    )
    db.session.add(user)
    db.session.flush()
    db.session.refresh(user)
    token = tokens.issue(user, tokens.INVITATION, created_by=invited_by)
    link = links.external_url("auth.accept_invitation", token=token)
    audit.record(
        "auth.invite",
        object_type="user",
        object_id=user.id,
        detail=role.value,
        actor=invited_by,
        organisation_id=None if invited_by else user.organisation_id,
    )
    emailed = False
    if send:
        emailed = send_invitation(user, link)
    return Invitation(user=user, link=link, emailed=emailed)


def reinvite(user: User, *, invited_by: User | None) -> Invitation:
    """A new invitation link for someone who has not accepted yet (the old link stops working)."""
    if user.has_accepted_invitation:
        raise AccountError("This person has already accepted their invitation")
    token = tokens.issue(user, tokens.INVITATION, created_by=invited_by)
    link = links.external_url("auth.accept_invitation", token=token)
    audit.record("auth.invite", object_type="user", object_id=user.id, detail="resent", actor=invited_by)
    return Invitation(user=user, link=link, emailed=False)  # the caller commits, then sends


def send_invitation(user: User, link: str) -> bool:
    """Email the invitation (after the caller has committed); False if the mail server refused."""
    try:
        emails.invitation(user, link, wall_clock.now() + tokens.LIFETIMES[tokens.INVITATION])
    except EmailNotSent:
        return False
    return True


def invitation_user(token: str) -> User | None:
    row = tokens.find_valid(token, tokens.INVITATION)
    if row is None or not row.user.is_active or row.user.has_accepted_invitation:
        return None
    return row.user


def accept_invitation(token: str, password: str, confirm: str) -> User:
    """Set the first password. The user then enrols their authenticator app before anything else."""
    row = tokens.find_valid(token, tokens.INVITATION)
    if row is None or not row.user.is_active or row.user.has_accepted_invitation:
        raise AccountError("This invitation link has expired or has already been used")
    user = row.user
    _set_new_password(user, password, confirm)
    if not tokens.use(row):
        raise AccountError("This invitation link has expired or has already been used")
    audit.record("auth.invitation_accept", object_type="user", object_id=user.id, actor=user)
    return user


# --- passwords ------------------------------------------------------------------------------


def _set_new_password(user: User, password: str, confirm: str, field: str = "password") -> None:
    try:
        passwords.check_password_rules(password, email=user.email, display_name=user.display_name)
    except passwords.PasswordRejected as error:
        raise AccountError(str(error), field) from None
    if password != confirm:
        raise AccountError("The passwords do not match", "confirm")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = wall_clock.now()


def request_password_reset(email: str) -> None:
    """Email a 1-hour reset link if the account exists and may sign in; otherwise do nothing.

    The page shown afterwards is the same either way, so nobody learns whether an address has
    an account. At most 3 emails an hour go to one address, so the form cannot flood an inbox.
    """
    email = normalise_email(email)
    user = find_user(email)
    if user is None or not user.is_active or not user.has_accepted_invitation:
        return
    if not throttle.spend("reset", throttle.account_key(email), RESET_EMAILS_PER_HOUR, timedelta(hours=1)):
        audit.record("auth.password_reset_request", object_type="user", object_id=user.id, outcome="failure",
                     detail="hourly_limit", actor_id=user.id, organisation_id=user.organisation_id)
        return
    token = tokens.issue(user, tokens.PASSWORD_RESET)
    audit.record("auth.password_reset_request", object_type="user", object_id=user.id,
                 actor_id=user.id, organisation_id=user.organisation_id)
    db.session.commit()
    try:
        emails.password_reset(
            user, links.external_url("auth.reset_password", token=token),
            wall_clock.now() + tokens.LIFETIMES[tokens.PASSWORD_RESET],
        )
    except EmailNotSent:
        log.error("password reset email not sent")


def reset_user(token: str) -> User | None:
    row = tokens.find_valid(token, tokens.PASSWORD_RESET)
    if row is None or not row.user.is_active:
        return None
    return row.user


def reset_password(token: str, password: str, confirm: str) -> User:
    """Set a new password from a reset link. Signs out everywhere; the code is still needed."""
    row = tokens.find_valid(token, tokens.PASSWORD_RESET)
    if row is None or not row.user.is_active:
        raise AccountError("This link has expired or has already been used")
    user = row.user
    _set_new_password(user, password, confirm)
    if not tokens.use(row):
        raise AccountError("This link has expired or has already been used")
    session_store.end_all(user, "password_reset")
    audit.record("auth.password_reset", object_type="user", object_id=user.id,
                 actor_id=user.id, organisation_id=user.organisation_id)
    return user


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    """Needs the current password (failures count towards the lock). Ends the other sessions."""
    source = throttle.source_for(user.email)
    lock = throttle.check(source)
    if lock is not None:
        raise AccountError(f"Too many wrong attempts. Try again at {throttle.describe(lock)}", "current_password")
    if not passwords.verify_password(user.password_hash, current or ""):
        throttle.record_failure(source)
        audit.record("auth.password_change", object_type="user", object_id=user.id, outcome="failure",
                     detail="bad_password", actor=user)
        raise AccountError("Your current password is incorrect", "current_password")
    if new == current:
        raise AccountError("Your new password must be different from your current password", "password")
    _set_new_password(user, new, confirm)
    session_store.end_all(user, "password_change", keep=session_store.current())
    audit.record("auth.password_change", object_type="user", object_id=user.id, actor=user)


def notify_password_changed(user: User) -> None:
    try:
        emails.password_changed(user)
    except EmailNotSent:
        log.error("password change email not sent")


def change_email(user: User, new_email: str) -> str:
    """Change the address the user signs in with (the view has asked for a recent password and
    code). Returns the old address, which the caller tells about the change after committing."""
    email = clean_email(new_email)
    if email == user.email:
        raise AccountError("Enter a different email address from your current one", "email")
    if find_user(email) is not None:
        raise AccountError("There is already an account with this email address", "email")
    old = user.email
    user.email = email
    audit.record("user.email_change", object_type="user", object_id=user.id, actor=user)
    return old


def notify_email_changed(user: User, old_email: str) -> None:
    try:
        emails.email_changed(user, old_email)
    except EmailNotSent:
        log.error("email change notices not sent")


# --- second factor --------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    secret: str
    qr_svg: str
    secret_grouped: str


def enrolment_for(user: User, *, fresh: bool = False) -> Enrolment:
    """The secret being enrolled (a new one if there is none yet, or if `fresh`)."""
    secret = None if fresh else totp.pending_secret(user)
    if secret is None:
        secret = totp.start_enrolment(user)
        db.session.commit()
    return Enrolment(secret, totp.qr_svg(totp.provisioning_uri(user, secret)), totp.grouped(secret))


def finish_enrolment(user: User, code: str) -> list[str]:
    """A correct code from the new secret makes it the user's factor; returns 10 recovery codes."""
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


def new_recovery_codes(user: User) -> list[str]:
    codes = recovery.replace_codes(user)
    audit.record("auth.recovery_codes_replaced", object_type="user", object_id=user.id, actor=user)
    return codes
