"""The texts of account emails. Plain text, GOV.UK style; no children's details, ever.

Each one is queued in the caller's unit of work (portal.notify.outbox): it goes out once the
change it tells of has committed, and the outbox worker retries it if the mail server is away.
"""

from __future__ import annotations

from portal.auth.models import User
from portal.notify.outbox import queue_email
from portal.templating import uk_datetime

SIGN_OFF = "Safeguard Portal\n\nThis is an automatic email: replies are not read."


def invitation(user: User, link: str, expires_at) -> None:
    queue_email(
        user.email,
        "You have been invited to Safeguard Portal",
        f"Dear {user.display_name},\n\n"
        f"You have been given an account on Safeguard Portal as {user.role_enum.label} "
        f"at {user.organisation.name}.\n\n"
        f"To create your password and set up your sign-in, use this link:\n\n{link}\n\n"
        f"The link works once and expires on {uk_datetime(expires_at)}.\n\n"
        "You will need an authenticator app on your phone, such as Microsoft Authenticator or "
        "Google Authenticator.\n\n"
        "If you were not expecting this email, you can ignore it.\n\n" + SIGN_OFF,
    )


def password_reset(user: User, link: str, expires_at) -> None:
    # Left to the outbox worker (within seconds), not sent as this request commits: the "check
    # your email" answer must not wait for the mail server when the address has an account, or
    # its timing would tell that it has one. See credentials.request_password_reset.
    queue_email(
        user.email,
        "Reset your Safeguard Portal password",
        f"Dear {user.display_name},\n\n"
        "Someone asked to reset the password for your Safeguard Portal account. "
        f"If it was you, use this link:\n\n{link}\n\n"
        f"The link works once and expires on {uk_datetime(expires_at)}. You will still need your "
        "authenticator app to sign in.\n\n"
        "If it was not you, you do not need to do anything: your password has not changed. If "
        "this keeps happening, tell your organisation's safeguarding lead or administrator.\n\n" + SIGN_OFF,
        send_after_commit=False,
    )


def password_changed(user: User) -> None:
    queue_email(
        user.email,
        "Your Safeguard Portal password has changed",
        f"Dear {user.display_name},\n\n"
        "The password for your Safeguard Portal account was changed, and you were signed out "
        "everywhere else.\n\n"
        "If you did not do this, contact your organisation's administrator straight away.\n\n" + SIGN_OFF,
    )


def second_factor_reset(user: User) -> None:
    queue_email(
        user.email,
        "Set up your Safeguard Portal sign-in again",
        f"Dear {user.display_name},\n\n"
        "An administrator has reset the authenticator app for your Safeguard Portal account. "
        "The next time you sign in, you will be asked to set up your app again.\n\n"
        "If you did not ask for this, contact your organisation's administrator straight away.\n\n" + SIGN_OFF,
    )


def email_changed(user: User, old_email: str) -> None:
    """Both addresses hear about it: the old one in case someone else made the change."""
    for to in (old_email, user.email):
        queue_email(
            to,
            "The email address for your Safeguard Portal account has changed",
            f"Dear {user.display_name},\n\n"
            f"The email address you sign in to Safeguard Portal with is now {user.email}.\n\n"
            "If you did not do this, contact your organisation's administrator straight away.\n\n" + SIGN_OFF,
        )
