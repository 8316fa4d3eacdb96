"""User administration: who an administrator sees, and the changes they make to accounts.

Whether the actor may do each thing is decided by portal.policy (the views call `require`);
these functions carry the change out, end sessions where needed and audit it.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, or_, select

from portal import audit
from portal.auth import emails, recovery, session_store, totp
from portal.auth.models import User
from portal.auth.roles import Role
from portal.db import db
from portal.notify import EmailNotSent
from portal.orgs.models import LocalAuthority, School
from portal.policy import can

log = logging.getLogger(__name__)


def get_user(user_id: uuid.UUID) -> User | None:
    return db.session.get(User, user_id)


def users_visible_to(actor: User) -> list[User]:
    """The accounts an administrator looks after: an LA admin's LA and its schools; a DSL's school."""
    if can(actor, "users:list_la"):
        schools = select(School.id).where(School.local_authority_id == actor.local_authority_id)
        query = select(User).where(
            or_(User.local_authority_id == actor.local_authority_id, User.school_id.in_(schools))
        )
    else:
        query = select(User).where(User.school_id == actor.school_id)
    users = db.session.execute(query.order_by(func.lower(User.display_name))).scalars()
    return [user for user in users if can(actor, "users:view", user)]


def invite_organisations(actor: User) -> list[School | LocalAuthority]:
    """The organisations the actor may invite someone into (their own first)."""
    organisations: list[School | LocalAuthority] = [actor.organisation]
    if actor.local_authority_id is not None:
        organisations += [s for s in actor.local_authority.schools if s.active]
    return organisations


def change_role(user: User, role: Role, *, actor: User) -> None:
    role = Role(role)
    if role == user.role_enum:
        return
    old = user.role
    user.role = role.value
    # A new role means new permissions: start again from a fresh sign-in.
    session_store.end_all(user, "role_change")
    audit.record("user.role_change", object_type="user", object_id=user.id, detail=f"{old}_to_{role.value}", actor=actor)


def set_active(user: User, active: bool, *, actor: User) -> None:
    if user.active == active:
        return
    user.active = active
    if not active:
        session_store.end_all(user, "deactivated")
    audit.record("user.reactivate" if active else "user.deactivate", object_type="user", object_id=user.id, actor=actor)


def reset_second_factor(user: User, *, actor: User) -> None:
    """The user must set up their authenticator app again at their next sign-in."""
    totp.clear_secret(user)
    recovery.remove_codes(user)
    session_store.end_all(user, "2fa_reset")
    audit.record("auth.totp_reset", object_type="user", object_id=user.id, actor=actor)


def notify_second_factor_reset(user: User) -> None:
    try:
        emails.second_factor_reset(user)
    except EmailNotSent:
        log.error("2FA reset email not sent")


def assignable_roles(actor: User, user: User) -> list[Role]:
    """The roles the actor may give this user (the policy decides each one)."""
    from portal.policy import RoleChange

    return [role for role in Role if role == user.role_enum or can(actor, "users:change_role", RoleChange(user, role))]


def invitable_roles(actor: User, organisation: School | LocalAuthority) -> list[Role]:
    from portal.policy import InviteTarget

    return [role for role in Role if can(actor, "users:invite", InviteTarget(role, organisation))]
