"""Invitations: an account is made with no password, and its owner gets a 72-hour single-use
link to set one (then sets up their authenticator app at first sign-in).

Who may invite whom is the policy's (`users:invite` with an InviteTarget); `invite` asks it for
the signed-in administrator, and the command line (operators bootstrapping the first accounts)
invites with `invited_by=None`.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal import audit
from portal.auth import emails, links, session_store, stages, tokens, wall_clock
from portal.auth.credentials import AccountError, clean_email, set_new_password
from portal.auth.models import SessionEndReason, TokenPurpose, User
from portal.auth.roles import Role
from portal.auth.users import find_user
from portal.db import db
from portal.domain_errors import Refused
from portal.orgs.models import Agency, LocalAuthority, School
from portal.policy import InviteTarget, can
from portal.transaction import transactional


class InvitationRefused(Refused):
    """The administrator may not give this role in this organisation (shown against `role`)."""


@dataclass(frozen=True)
class Invitation:
    """What an invitation did. `user` and `link` are None when the address already had an
    account in an organisation the inviter cannot see: its holder was emailed instead, and the
    inviter is answered as for any invitation (they must not learn who has an account elsewhere)."""

    email: str
    user: User | None
    link: str | None


def clean_display_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("Enter the person’s full name", "display_name")
    if len(name) > 200:
        raise AccountError("The name must be 200 characters or fewer", "display_name")
    return name


def _role_fits(role: Role, organisation) -> bool:
    """A school role in a school, an LA role in an LA, an agency role in an agency (the Encompass
    notifier's only in a police organisation)."""
    if isinstance(organisation, School):
        return role.is_school_role
    if isinstance(organisation, Agency):
        return role.is_agency_role and (role != Role.ENCOMPASS_NOTIFIER or organisation.kind_enum.is_police)
    return role.is_la_role


@transactional
def invite(
    email: str,
    display_name: str,
    role: Role,
    organisation: School | LocalAuthority | Agency | None,
    *,
    invited_by: User | None,
) -> Invitation:
    """Create the account (with no password yet) and queue the email with its invitation link.

    An administrator (`invited_by`) must be allowed `users:invite` for this role and organisation
    (None: an organisation they may not choose).
    """
    role = Role(role)
    if invited_by is not None and (organisation is None or not can(invited_by, "users:invite", InviteTarget(role, organisation))):
        where = organisation.name if organisation is not None else "this organisation"
        raise InvitationRefused(f"You cannot invite a {role.label} to {where}", field="role")
    email = clean_email(email)
    name = clean_display_name(display_name)
    if not _role_fits(role, organisation):
        raise AccountError("Choose a role for this kind of organisation", "role")
    holder = find_user(email)
    if holder is not None:
        if invited_by is None or can(invited_by, "users:view", holder):
            # The operator, or an administrator who can see that account in their user list anyway.
            raise AccountError("There is already an account with this email address", "email")
        # An account in another organisation: no duplicate, and no telling the inviter.
        audit.record("auth.invite", object_type="user", object_id=holder.id, outcome="failure",
                     detail="address_in_use_elsewhere", actor=invited_by)
        emails.invitation_for_existing_account(holder, role.label, organisation.name)
        return Invitation(email=email, user=None, link=None)
    user = User(
        email=email,
        display_name=name,
        role=role.value,
        school_id=organisation.id if isinstance(organisation, School) else None,
        local_authority_id=organisation.id if isinstance(organisation, LocalAuthority) else None,
        agency_id=organisation.id if isinstance(organisation, Agency) else None,
    )
    db.session.add(user)
    db.session.flush()
    db.session.refresh(user)
    audit.record(
        "auth.invite",
        object_type="user",
        object_id=user.id,
        detail=role.value,
        actor=invited_by,
        organisation_id=None if invited_by else user.organisation_id,
    )
    return Invitation(email=email, user=user, link=_send(user, invited_by))


@transactional
def reinvite(user: User, *, invited_by: User | None) -> Invitation:
    """A new invitation link for someone who has not accepted yet (the old link stops working)."""
    if user.has_accepted_invitation:
        raise AccountError("This person has already accepted their invitation")
    link = _send(user, invited_by)
    audit.record("auth.invite", object_type="user", object_id=user.id, detail="resent", actor=invited_by)
    return Invitation(email=user.email, user=user, link=link)


def _send(user: User, invited_by: User | None) -> str:
    token = tokens.issue(user, TokenPurpose.INVITATION, created_by=invited_by)
    link = links.external_url("auth.accept_invitation", token=token)
    emails.invitation(user, link, wall_clock.now() + tokens.LIFETIMES[TokenPurpose.INVITATION])
    return link


def invitation_user(token: str) -> User | None:
    """The invited account, while its link is unused and unexpired."""
    row = tokens.find_valid(token, TokenPurpose.INVITATION)
    if row is None or not row.user.is_active or row.user.has_accepted_invitation:
        return None
    return row.user


def pending_invitation(user: User):
    """The newest invitation link made for `user` (its expiry is shown to administrators)."""
    return tokens.pending_invitation(user)


@transactional
def accept_invitation(token: str, password: str, confirm: str, *, sign_out_here: bool = False) -> str:
    """Set the first password. The user then enrols their authenticator app before anything else:
    returns the token of that server-side sign-in stage (portal.auth.stages) for the browser's
    cookie. Whoever was signed in in this browser is signed out (`sign_out_here`)."""
    row = tokens.find_valid(token, TokenPurpose.INVITATION)
    if row is None or not row.user.is_active or row.user.has_accepted_invitation:
        raise AccountError("This invitation link has expired or has already been used")
    user = row.user
    set_new_password(user, password, confirm)
    if not tokens.use(row):
        raise AccountError("This invitation link has expired or has already been used")
    audit.record("auth.invitation_accept", object_type="user", object_id=user.id, actor=user)
    if sign_out_here:
        session_store.end_current(SessionEndReason.INVITATION)
    return stages.begin(user)
