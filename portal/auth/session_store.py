"""Server-side sessions: the cookie holds a random token; the database says if it is alive.

- Idle timeout (30 minutes) and absolute timeout (12 hours), measured with `portal.auth.wall_clock`.
- Every page the user asks for counts as activity; background requests (marked with
  `@background`, like the timeout warning's status check) never extend the session.
- Signing in makes a new session and a new cookie token (the id is rotated); signing out, a
  timeout, a password change or a deactivation ends the row, so a copied cookie stops working.
- Sensitive actions need the password and a code within the last 15 minutes (`recent_auth`).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import timedelta
from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import defer, load_only
from sqlalchemy.orm.attributes import set_committed_value

from portal.auth import identity_kept, wall_clock
from portal.auth.models import TIMEOUTS, SessionEndReason, User, UserSession
from portal.db import db
from portal.orgs.models import LocalAuthority, School
from portal.transaction import in_unit_of_work, transactional, unit_of_work

SESSION_KEY = "sid"
REAUTH_MINUTES = 15
# Activity is written to the session row at most this often: a write (and commit) on every page
# would double the database work of a busy queue page, and the idle timeout does not need
# second precision. A session can therefore end up to this much before 30 idle minutes.
LAST_SEEN_GRANULARITY = timedelta(seconds=15)
WARNING_SECONDS = 120


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["PORTAL_SESSION_IDLE_MINUTES"])


def absolute_limit() -> timedelta:
    return timedelta(hours=current_app.config["PORTAL_SESSION_ABSOLUTE_HOURS"])


def background(view):
    """Marks a view whose requests are not user activity: they never extend the session."""
    view.session_background = True
    return view


def _is_background_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(view is not None and getattr(view, "session_background", False))


# --- starting and ending --------------------------------------------------------------------


def start(user: User) -> UserSession:
    """Sign `user` in: a fresh Flask session (nothing from before sign-in survives) and a new row."""
    now = wall_clock.now()
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user_id=user.id, token_hash=_hash(token), created_at=now, last_seen_at=now, authenticated_at=now
    )
    db.session.add(record)
    user.last_sign_in_at = now
    db.session.flush()
    session.clear()
    session[SESSION_KEY] = token
    login_user(user, fresh=True)
    g.user_session = record
    return record


def current() -> UserSession | None:
    """This request's live session row (set once the user has been loaded)."""
    return g.get("user_session")


def end_current(reason: SessionEndReason) -> None:
    """End this browser's session and forget its sign-in (the caller's unit of work commits)."""
    record = g.get("user_session") or _find(session.get(SESSION_KEY))
    if record is not None and record.ended_at is None:
        record.ended_at = wall_clock.now()
        record.end_reason = reason
    logout_user()
    # Keep the CSRF token so a form on the next page still works; drop everything else.
    csrf = session.get("csrf_token")
    session.clear()
    if csrf:
        session["csrf_token"] = csrf
    g.user_session = None


def end_all(user: User, reason: SessionEndReason, *, keep: UserSession | None = None) -> int:
    """End every live session of `user` (except `keep`): deactivation, password change, 2FA reset."""
    query = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=wall_clock.now(), end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    return db.session.execute(query).rowcount


# The statement behind every page, built once: building it (four tables, three joins) cost each
# request more than running it. The user and their organisation come in the same statement: every
# page needs both (the user loader checks the organisation is active; the header shows its name),
# and loading them lazily cost two more round trips per page. Selected as four entities and linked
# by hand (set_committed_value: loaded state, nothing to flush) rather than through joinedload,
# whose eager-loading machinery cost this statement about a fifth more.
# Only the columns pages use are fetched (each column costs every page a little in the driver and
# the ORM); another is loaded the first time something reads it. The password hash and the TOTP
# secrets, read only by sign-in, re-authentication and the account pages, are thus not fetched
# into memory on every request.
_SESSION_QUERY = (
    select(UserSession, User, School, LocalAuthority)
    .join(User, User.id == UserSession.user_id)
    .outerjoin(School, School.id == User.school_id)
    # The user's council: an LA user's own, or a school user's school's (which is_active reads
    # on every request: without it, one more statement and round trip a page for school users).
    .outerjoin(LocalAuthority, LocalAuthority.id == func.coalesce(User.local_authority_id, School.local_authority_id))
    .where(UserSession.token_hash == bindparam("token_hash"))
    .options(
        load_only(UserSession.user_id, UserSession.created_at, UserSession.last_seen_at,
                  UserSession.authenticated_at, UserSession.ended_at, UserSession.end_reason),
        defer(User.password_hash), defer(User.totp_secret.ciphertext_column(User)),
        defer(User.totp_pending_secret.ciphertext_column(User)),
        load_only(School.name, School.urn, School.local_authority_id, School.active, School.roll_version),
        load_only(LocalAuthority.code, LocalAuthority.name, LocalAuthority.active, LocalAuthority.queue_version),
    )
)


def _find(token: str | None, autocommit: _DriverAutocommit | None = None) -> UserSession | None:
    """The session row of this cookie's token (with its user and their organisation), or None.

    With `autocommit` (the check at the start of a request, see `_DriverAutocommit`) the
    statement runs outside any transaction: the only round trip."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    parameters = {"token_hash": _hash(token)}
    session = db.session()
    try:
        row = session.execute(_SESSION_QUERY, parameters).one_or_none()
    except DBAPIError as error:
        # The pooled connection was closed by the server (restart, failover) after the pool's
        # look at checkout: the pool has dropped it, so once more on a fresh connection.
        # Anything else (and a second failure) is raised as it is.
        if not error.connection_invalidated:
            raise
        # Nothing is loaded yet (this is the request's first statement): let the session go of
        # the dead connection and its transaction, and ask again.
        session.close()
        if autocommit is not None:
            autocommit.restart(session)
        row = session.execute(_SESSION_QUERY, parameters).one_or_none()
    if row is None:
        return None
    record, user, school, local_authority = row
    set_committed_value(record, "user", user)
    set_committed_value(user, "school", school)
    if school is not None:
        set_committed_value(school, "local_authority", local_authority)
    set_committed_value(user, "local_authority", local_authority if user.local_authority_id is not None else None)
    return record


# --- the check without a transaction of its own ---------------------------------------------
#
# On PostgreSQL a read in a transaction costs three round trips (BEGIN, the statement, and the
# ROLLBACK when the request's session is removed). The check is one SELECT, which sees one
# consistent snapshot by itself, so it runs with the request's connection in the driver's
# autocommit mode: one round trip. Its write, when there is one (the activity time, at most every
# LAST_SEEN_GRANULARITY), is one UPDATE in the same mode: atomic by itself and committed as it
# runs, as the unit of work it replaces committed it, and nothing loaded is expired. The
# connection then leaves autocommit before anything else uses it, and stays the request's: the
# view's first statement begins a real transaction on it (so a page that reads nothing more ends
# with no ROLLBACK to send, and the view never meets a second pooled connection).


class _DriverAutocommit:
    """The request's pooled connection switched to the driver's autocommit for the check, and
    back. Only at the very start of the session's work (nothing begun on the connection)."""

    def __init__(self):
        self.raw = None
        self.previous = None

    def start(self, session) -> bool:
        raw = session.connection().connection.driver_connection
        if hasattr(raw, "pgconn"):  # psycopg
            from psycopg import pq

            if raw.autocommit or raw.info.transaction_status != pq.TransactionStatus.IDLE:
                return False
            raw.autocommit = True
        elif isinstance(raw, sqlite3.Connection):
            if raw.in_transaction or raw.isolation_level is None:
                return False
            self.previous, raw.isolation_level = raw.isolation_level, None
        else:
            return False
        self.raw = raw
        return True

    @property
    def on(self) -> bool:
        return self.raw is not None

    def restart(self, session) -> None:
        """On the fresh connection that replaced a closed one."""
        self.raw = None
        self.start(session)

    def stop(self) -> None:
        raw, self.raw = self.raw, None
        if raw is None:
            return
        try:
            if isinstance(raw, sqlite3.Connection):
                raw.isolation_level = self.previous
            elif not raw.closed:
                raw.autocommit = False
        except Exception:
            # Never back to the pool in autocommit mode: closed, the pool drops it.
            raw.close()


def _nothing_under_way(session) -> bool:
    # Only at the start of a unit of database work: no transaction begun, nothing waiting to be
    # flushed (an autocommit flush would write it for good), no unit of work open.
    return not (session.in_transaction() or session.new or session.dirty or session.deleted
                or in_unit_of_work())


# --- checking on every request --------------------------------------------------------------


def expiry_reason(record: UserSession) -> str | None:
    now = wall_clock.now()
    if record.ended_at is not None:
        return record.end_reason or SessionEndReason.ENDED
    if now - record.created_at >= absolute_limit():
        return SessionEndReason.ABSOLUTE_TIMEOUT
    if now - record.last_seen_at >= idle_limit():
        return SessionEndReason.IDLE_TIMEOUT
    return None


def load(user_id: str) -> User | None:
    """Flask-Login's user loader: the user only if this cookie's server-side session is alive.

    Performance-critical (every page runs it, see README "Performance"): one SELECT, and a write
    only when the session ends or at most every LAST_SEEN_GRANULARITY. At the start of a request
    (the before_request hook runs this before the view opens any transaction) the SELECT and the
    activity UPDATE run in the driver's autocommit mode: one round trip, two when the activity is
    written (see `_DriverAutocommit`). Activity is never mixed into the view's transaction.
    """
    database = db.session()
    autocommit = _DriverAutocommit()
    if _nothing_under_way(database):
        autocommit.start(database)
    try:
        return _check(database, user_id, autocommit)
    finally:
        autocommit.stop()


def _check(database, user_id: str, autocommit: _DriverAutocommit) -> User | None:
    """`load` itself: the session found, timed out or marked active."""
    record = _find(session.get(SESSION_KEY), autocommit if autocommit.on else None)
    if record is None or str(record.user_id) != user_id:
        return None
    reason = expiry_reason(record)
    if reason is None and not record.user.is_active:
        reason = SessionEndReason.DEACTIVATED
    if reason is not None:
        if record.ended_at is None:
            autocommit.stop()  # ending it is a unit of work, in a transaction
            with unit_of_work():
                record.ended_at = wall_clock.now()
                record.end_reason = reason
        if reason in TIMEOUTS:
            g.session_timed_out = True
        return None
    now = wall_clock.now()
    if not _is_background_request() and now - record.last_seen_at >= LAST_SEEN_GRANULARITY:
        if autocommit.on:
            # One UPDATE outside any transaction: committed as it runs.
            database.execute(
                update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
                .execution_options(synchronize_session=False))
            set_committed_value(record, "last_seen_at", now)
        else:
            with unit_of_work():
                record.last_seen_at = now
    g.user_session = record
    user = record.user
    # Kept loaded across the page's own commits (its audit event): portal/auth/identity_kept.py.
    identity_kept.keep(record, user, user.school, user.school.local_authority if user.school else user.local_authority)
    return user


def seconds_left(record: UserSession) -> tuple[int, bool]:
    """Seconds until the session ends, and whether "Stay signed in" can push that back."""
    now = wall_clock.now()
    idle_end = record.last_seen_at + idle_limit()
    absolute_end = record.created_at + absolute_limit()
    end = min(idle_end, absolute_end)
    return max(0, int((end - now).total_seconds())), idle_end < absolute_end


@transactional
def keep_alive(record: UserSession) -> None:
    """"Stay signed in": the idle timer starts again now."""
    record.last_seen_at = wall_clock.now()


# --- re-authentication ----------------------------------------------------------------------


def recently_authenticated(record: UserSession | None = None) -> bool:
    record = record or current()
    if record is None:
        return False
    return wall_clock.now() - record.authenticated_at < timedelta(minutes=REAUTH_MINUTES)


def mark_reauthenticated(record: UserSession) -> None:
    record.authenticated_at = wall_clock.now()


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def reauthentication_needed():
    """A redirect to the re-authentication page if the password and code are not recent, else None.

    For views that must first check the record (a 404 for another organisation's) and then ask.
    """
    if recently_authenticated():
        return None
    back = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("auth.reauthenticate", next=back))


def recent_auth(view):
    """View decorator for sensitive actions: the password and a code within the last 15 minutes.

    Put it under `@requires(...)`. A GET shows the re-authentication page first and comes back;
    a POST without a recent sign-in is not carried out.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        return reauthentication_needed() or view(*args, **kwargs)

    return wrapped
