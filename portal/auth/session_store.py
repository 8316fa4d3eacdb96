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
from datetime import timedelta
from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import defer, load_only
from sqlalchemy.orm.attributes import set_committed_value

from portal.auth import wall_clock
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
        load_only(School.name, School.urn, School.local_authority_id, School.active),
        load_only(LocalAuthority.code, LocalAuthority.name, LocalAuthority.active, LocalAuthority.queue_version),
    )
)


def _find(token: str | None, *, on_its_own: bool = False) -> UserSession | None:
    """The session row of this cookie's token (with its user and their organisation), or None.

    `on_its_own` (the check at the start of a request): when the database session has no
    transaction yet, the statement runs on an autocommit connection and is the only round trip
    (see `_read_on_its_own`); otherwise it joins the transaction in progress.
    """
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    parameters = {"token_hash": _hash(token)}
    session = db.session()
    if on_its_own and _nothing_under_way(session):
        row = _read_on_its_own(session, parameters)
    else:
        try:
            row = session.execute(_SESSION_QUERY, parameters).one_or_none()
        except DBAPIError as error:
            # The pooled connection was closed by the server (restart, failover): the pool has
            # dropped it and every connection older than it, so once more on a fresh connection.
            # Anything else (and a second failure) is raised as it is.
            if not error.connection_invalidated:
                raise
            # Nothing is loaded yet (this is the request's first statement): let the session go of
            # the dead connection and its transaction, and ask again.
            session.close()
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
# ROLLBACK when the request's session is removed), and psycopg forgets its prepared statements
# at every ROLLBACK. The check is one SELECT, which sees one consistent snapshot by itself, so it
# runs on an autocommit connection: one round trip. Its write, when there is one (the activity
# time at most every LAST_SEEN_GRANULARITY), is one UPDATE on the same connection: atomic by
# itself, committed as it runs, as the unit of work it replaces committed it. The "transaction"
# is then closed without expiring what the check loaded (nothing was written through the ORM, so
# nothing loaded is stale), and the view starts a real transaction of its own when it first
# touches the database.


def _nothing_under_way(session) -> bool:
    # Only at the start of a unit of database work: no transaction begun, nothing waiting to be
    # flushed (an autocommit flush would write it for good), no unit of work open.
    return not (session.in_transaction() or session.new or session.dirty or session.deleted
                or in_unit_of_work())


def _read_on_its_own(session, parameters: dict):
    for attempt in (1, 2):
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        try:
            with session.no_autoflush:
                return session.execute(_SESSION_QUERY, parameters).one_or_none()
        except DBAPIError as error:
            # As above: a connection the server closed is dropped by the pool; once more on a
            # fresh one (the pool's check at checkout finds most such connections first).
            if attempt == 2 or not error.connection_invalidated:
                raise
            session.close()
    raise AssertionError("unreachable")


def _end_read(session) -> None:
    """End the check's autocommit "transaction" (if it is still open), keeping what it loaded.

    Not a commit (the unit of work's alone): there is nothing to commit or roll back, as an
    autocommit connection has no transaction open, so the session's transaction is only closed;
    the connection goes back to the pool (without a round trip) and nothing loaded is expired.
    """
    transaction = session.get_transaction()
    if transaction is None:
        return  # no statement ran, or a unit of work has committed since
    if session.connection().get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        return
    transaction.close()


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
    activity UPDATE run on an autocommit connection: one round trip, two when the activity is
    written (see `_read_on_its_own`). Activity is never mixed into the view's transaction.
    """
    database = db.session()
    on_its_own = _nothing_under_way(database)
    user = _check(database, user_id, on_its_own)
    if on_its_own:
        _end_read(database)
    return user


def _check(database, user_id: str, on_its_own: bool) -> User | None:
    """`load` itself: the session found, timed out or marked active."""
    record = _find(session.get(SESSION_KEY), on_its_own=on_its_own)
    if record is None or str(record.user_id) != user_id:
        return None
    reason = expiry_reason(record)
    if reason is None and not record.user.is_active:
        reason = SessionEndReason.DEACTIVATED
    if reason is not None:
        if record.ended_at is None:
            if on_its_own:
                _end_read(database)
            with unit_of_work():
                record.ended_at = wall_clock.now()
                record.end_reason = reason
        if reason in TIMEOUTS:
            g.session_timed_out = True
        return None
    now = wall_clock.now()
    if not _is_background_request() and now - record.last_seen_at >= LAST_SEEN_GRANULARITY:
        if on_its_own:
            # One UPDATE on the check's autocommit connection: committed as it runs.
            database.execute(
                update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
                .execution_options(synchronize_session=False))
            set_committed_value(record, "last_seen_at", now)
        else:
            with unit_of_work():
                record.last_seen_at = now
    g.user_session = record
    return record.user


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
