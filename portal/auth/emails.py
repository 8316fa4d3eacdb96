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
    # Queued by the mail worker itself (credentials.process_password_reset_requests), which sends
    # it as that unit of work commits: the "check your email" page never waits for any of it.
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


def confirm_email_change(user: User, new_email: str, link: str, expires_at) -> None:
    # One email goes out after the commit whether the address is free or taken (then to its
    # holder, email_change_address_in_use): the answer takes the same time either way.
    queue_email(
        new_email,
        "Confirm your new email address for Safeguard Portal",
        f"Dear {user.display_name},\n\n"
        "You asked to sign in to Safeguard Portal with this email address. To confirm it, use this "
        f"link:\n\n{link}\n\n"
        f"The link works once and expires on {uk_datetime(expires_at)}. Until then you sign in with "
        "your current address.\n\n"
        "If you did not ask for this, you can ignore this email.\n\n" + SIGN_OFF,
    )


def email_change_address_in_use(holder: User) -> None:
    """Someone asked to move their account to an address that already has one: its holder hears,
    the person asking does not (they might be in another organisation)."""
    queue_email(
        holder.email,
        "Someone tried to use your email address on Safeguard Portal",
        f"Dear {holder.display_name},\n\n"
        "Someone asked to change the email address of another Safeguard Portal account to this "
        "address. Nothing has changed: this address stays with your account.\n\n"
        "If this was a mistake by a colleague, they can use a different address. If you are worried, "
        "tell your organisation's administrator.\n\n" + SIGN_OFF,
    )


def invitation_for_existing_account(holder: User, role_label: str, organisation_name: str) -> None:
    """An administrator elsewhere tried to invite an address that already has an account: its
    holder hears; the administrator is answered as for any invitation."""
    queue_email(
        holder.email,
        "An invitation to Safeguard Portal for an address that already has an account",
        f"Dear {holder.display_name},\n\n"
        f"An administrator tried to invite this email address to Safeguard Portal as {role_label} at "
        f"{organisation_name}. You already have an account with this address, so no new account was "
        "made and nothing about your account has changed.\n\n"
        "If you are moving to that organisation, ask its administrator to invite a different address, "
        "or ask your current administrator to move your account. If you were not expecting this, you "
        "can ignore it.\n\n" + SIGN_OFF,
    )
