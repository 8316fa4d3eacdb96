"""Nothing typed is lost when the session has timed out.

A form posted after the session timed out would otherwise be thrown away by the sign-in
redirect. `keeps_typing` (put it above `@requires`) keeps the posted fields, encrypted, in the
draft of the user whose session it was, then sends them to sign in again; after sign-in they
come back to the page, which is rebuilt from the draft.

Only a session that ended by timing out (idle or absolute) counts, only with a valid CSRF token
(a forged post must not write into anyone's draft), and only a user who is still active.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import g, jsonify, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from portal.auth import session_store

TIMED_OUT = frozenset({"idle_timeout", "absolute_timeout"})


def _genuine() -> bool:
    """The post carries this browser's CSRF token (in the form, or in a header for JSON)."""
    token = request.headers.get("X-CSRFToken") if request.is_json else request.form.get("csrf_token")
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def _timed_out_user():
    if not g.get("session_timed_out") or not _genuine():
        return None
    # The cookie still names the session that timed out: its row says whose it was.
    record = session_store._find(session.get(session_store.SESSION_KEY))
    if record is None or record.end_reason not in TIMED_OUT:
        return None
    user = record.user
    if user is None or not user.is_active or user.school_id is None:
        return None
    return user


def keeps_typing(park: Callable, back_to: Callable):
    """`park(user, **view_args)` saves the post into the user's draft (through
    portal.concerns.drafts.park, which commits it); `back_to(**view_args)` is the page (a path) to
    return to after signing in again."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if request.method != "POST" or current_user.is_authenticated:
                return view(*args, **kwargs)
            user = _timed_out_user()
            if user is None:
                return view(*args, **kwargs)  # the ordinary sign-in redirect
            # Deciding "not signed in: sign in again" is the policy's answer, as in @requires.
            g.policy_checked = True
            kept = park(user, **kwargs)  # a unit of work: portal.concerns.drafts.park
            target = back_to(**kwargs)
            if request.is_json:
                return jsonify(signed_in=False, kept=bool(kept)), 401
            return redirect(url_for("auth.timed_out", next=session_store.safe_next(target), kept=None))

        return wrapped

    return decorate
