"""Who may do what: the one place that decides.

Every view is decorated with `@requires(action)` (or `@public` for the few pages anyone may
reach, such as sign-in and health checks), and services call `require(action, obj)` for checks
on a particular record. There is no role check anywhere else in the code.

Deny by default: an action without a rule is refused, an inactive user is refused, and a rule
only says yes for the organisation the user belongs to.

A refusal about a particular record answers 404, not 403, so that a user of another school or
council cannot even learn that the record exists.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort, g
from flask_login import current_user

from portal.auth.roles import LA_ROLES, SAFEGUARDING_LEADS, SCHOOL_ROLES, TRIAGE_ROLES, Role
from portal.orgs.models import LocalAuthority, School

Rule = Callable[[Any, Any], bool]
RULES: dict[str, Rule] = {}


def rule(*actions: str):
    def register(fn: Rule) -> Rule:
        for action in actions:
            if action in RULES:
                raise RuntimeError(f"two rules for {action}")
            RULES[action] = fn
        return fn

    return register


def can(user, action: str, obj: Any = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    check = RULES.get(action)
    if check is None:
        return False
    return bool(check(user, obj))


def require(action: str, obj: Any = None) -> None:
    """Abort the request unless the signed-in user may do `action` (to `obj`)."""
    g.policy_checked = True
    if not can(current_user, action, obj):
        abort(404 if obj is not None else 403)


def requires(action: str):
    """View decorator: the user must be signed in and allowed `action`."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from portal.extensions import login_manager

                return login_manager.unauthorized()
            require(action)
            return view(*args, **kwargs)

        wrapped.policy_action = action
        return wrapped

    return decorate


def public(view):
    """Marks a view that anyone may reach (sign-in, health, error pages, static files)."""
    view.policy_public = True
    return view


# --- helpers for rules ----------------------------------------------------------------------


def role_of(user) -> Role:
    return Role(user.role)


def in_la_roles(user, roles) -> bool:
    return role_of(user) in roles and user.local_authority_id is not None


def school_la_id(obj) -> Any:
    return obj.local_authority_id if isinstance(obj, School) else None


# --- rules ----------------------------------------------------------------------------------


@rule("home:view")
def _home(user, obj) -> bool:
    return True


@rule("schools:manage")
def _manage_schools(user, obj) -> bool:
    """An LA admin manages the schools of their own LA (obj: a School, an LA, or None)."""
    if not in_la_roles(user, {Role.LA_ADMIN}):
        return False
    if obj is None:
        return True
    if isinstance(obj, School):
        return obj.local_authority_id == user.local_authority_id
    if isinstance(obj, LocalAuthority):
        return obj.id == user.local_authority_id
    return False


__all__ = [
    "can",
    "require",
    "requires",
    "public",
    "rule",
    "RULES",
    "SCHOOL_ROLES",
    "LA_ROLES",
    "SAFEGUARDING_LEADS",
    "TRIAGE_ROLES",
]
