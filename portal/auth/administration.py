"""User administration: who an administrator sees, and the changes they make to accounts.

Whether the actor may do each thing is decided by portal.policy: these functions ask it
(`require`, which raises NotFound for an account the actor may not see), carry the change out in
one unit of work, end sessions where needed, and audit it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select

from portal import audit
from portal.auth import emails, recovery, session_store, totp, users
from portal.auth.models import SessionEndReason, User
from portal.auth.roles import Role
from portal.db import db
from portal.domain_errors import NotFound
from portal.orgs.models import Agency, LocalAuthority, School
from portal.policy import InviteTarget, RoleChange, can, require
from portal.transaction import transactional


def user_for(user_id: uuid.UUID, action: str = "users:view") -> User:
    """The account, if the signed-in administrator may do `action` to it; NotFound otherwise."""
    user = users.get_user(user_id)
    if user is None:
        raise NotFound()
    require(action, user)
    return user


def invitee_for(user_id: uuid.UUID) -> User:
    """An account the administrator may send a new invitation to; NotFound otherwise."""
    user = user_for(user_id)
    require("users:invite", InviteTarget(user.role_enum, user.organisation))
    return user


def users_visible_to(actor: User) -> list[User]:
    """The accounts an administrator looks after: an LA admin's LA, its schools and its partner
    agencies; a DSL's school; an agency lead's agency."""
    if can(actor, "users:list_la"):
        schools = select(School.id).where(School.local_authority_id == actor.local_authority_id)
        agencies = select(Agency.id).where(Agency.local_authority_id == actor.local_authority_id)
        query = select(User).where(
            or_(
                User.local_authority_id == actor.local_authority_id,
                User.school_id.in_(schools),
                User.agency_id.in_(agencies),
            )
        )
    elif actor.agency_id is not None:
        query = select(User).where(User.agency_id == actor.agency_id)
    else:
        query = select(User).where(User.school_id == actor.school_id)
    found = db.session.execute(query.order_by(func.lower(User.display_name))).scalars()
    return [user for user in found if can(actor, "users:view", user)]


def invite_organisations(actor: User) -> list[School | LocalAuthority | Agency]:
    """The organisations the actor may invite someone into (their own first)."""
    organisations: list[School | LocalAuthority | Agency] = [actor.organisation]
    if actor.local_authority_id is not None:
        organisations += [s for s in actor.local_authority.schools if s.active]
        organisations += db.session.execute(
            select(Agency)
            .where(Agency.local_authority_id == actor.local_authority_id, Agency.active.is_(True))
            .order_by(Agency.name)
        ).scalars().all()
    return organisations


def assignable_roles(actor: User, user: User) -> list[Role]:
    """The roles the actor may give this user (the policy decides each one), theirs included."""
    return [role for role in Role if role == user.role_enum or can(actor, "users:change_role", RoleChange(user, role))]


def roles_to_change_to(actor: User, user: User) -> list[Role]:
    """`assignable_roles`, or NotFound when there is no other role the actor may give."""
    roles = assignable_roles(actor, user)
    if len(roles) <= 1:
        raise NotFound()
    return roles


def invitable_roles(actor: User, organisation: School | LocalAuthority | Agency) -> list[Role]:
    return [role for role in Role if can(actor, "users:invite", InviteTarget(role, organisation))]


@transactional
def change_role(user: User, role: Role, *, actor: User) -> None:
    role = Role(role)
    require("users:change_role", RoleChange(user, role))
    if role == user.role_enum:
        return
    old = user.role
    user.role = role.value
    # A new role means new permissions: start again from a fresh sign-in.
    session_store.end_all(user, SessionEndReason.ROLE_CHANGE)
    audit.record("user.role_change", object_type="user", object_id=user.id, detail=f"{old}_to_{role.value}", actor=actor)


@transactional
def set_active(user: User, active: bool, *, actor: User) -> None:
    require("users:deactivate", user)
    if user.active == active:
        return
    user.active = active
    if not active:
        session_store.end_all(user, SessionEndReason.DEACTIVATED)
    audit.record("user.reactivate" if active else "user.deactivate", object_type="user", object_id=user.id, actor=actor)


@transactional
def reset_second_factor(user: User, *, actor: User) -> None:
    """The user must set up their authenticator app again at their next sign-in (and is told)."""
    require("users:reset_2fa", user)
    totp.clear_secret(user)
    recovery.remove_codes(user)
    session_store.end_all(user, SessionEndReason.SECOND_FACTOR_RESET)
    audit.record("auth.totp_reset", object_type="user", object_id=user.id, actor=actor)
    emails.second_factor_reset(user)
