"""Every signed-in page starts with the session check: on PostgreSQL it costs one round trip (two
when it records the user's activity), not four (the pool's ping, BEGIN, the check, ROLLBACK);
and a pooled connection the server has closed still costs the user nothing.

Round trips are counted on the wire: libpq's trace of the request's connection, one
ReadyForQuery from the server per round trip. Counts, never times."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.pool import NullPool

from portal.auth import session_store, wall_clock
from portal.auth.models import UserSession
from portal.auth.roles import Role
from portal.db import db
from tests.factories import make_la, make_school, make_user
from tests.signing_in import sign_in


def _postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("round trips and server-closed connections are PostgreSQL's")


@pytest.fixture
def clock(monkeypatch):
    now = [wall_clock.now()]
    monkeypatch.setattr(wall_clock, "now", lambda: now[0])

    def advance(**delta):
        now[0] += timedelta(**delta)

    return advance


@pytest.fixture
def signed_in(client, clock):
    user = make_user(Role.DSL, make_school(make_la()))
    sign_in(client, user)
    assert client.get("/session/status").status_code == 200  # warm: the pool has its connection
    db.session.rollback()  # the test's own reads hand their connection back, as a request's end does
    return user


@contextmanager
def wire_trace(tmp_path):
    """The libpq messages of every connection checked out meanwhile: a list of (F|B, message)."""
    from psycopg import pq

    path = tmp_path / "libpq.trace"
    messages: list[tuple[str, str]] = []
    with open(path, "w") as sink:
        def start(dbapi_connection, record, proxy):
            dbapi_connection.pgconn.trace(sink.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

        def stop(dbapi_connection, record):
            dbapi_connection.pgconn.untrace()

        event.listen(db.engine, "checkout", start)
        event.listen(db.engine, "checkin", stop)
        try:
            yield messages
        finally:
            event.remove(db.engine, "checkout", start)
            event.remove(db.engine, "checkin", stop)
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) > 2 and parts[0] in ("F", "B"):
            messages.append((parts[0], parts[2].split(" ", 1)[0]))


def round_trips(messages) -> int:
    return sum(1 for side, name in messages if side == "B" and name == "ReadyForQuery")


def test_a_signed_in_request_that_changes_nothing_checks_its_session_in_one_round_trip(signed_in, client, tmp_path):
    _postgresql_only()
    with wire_trace(tmp_path) as messages:
        response = client.get("/session/status")
        db.session.remove()  # the end of a request (the suite keeps one app context a test)
    assert response.status_code == 200 and response.get_json()["signed_in"] is True
    assert round_trips(messages) == 1, messages
    # No BEGIN, ROLLBACK or ping: the one statement, parsed and run in one exchange (or, once the
    # connection has run it five times, already prepared: portal/read_commit.py), and nothing to
    # roll back when the request's session is removed.
    assert ("F", "Query") not in messages and ("F", "Bind") in messages


def test_recording_activity_adds_one_round_trip_and_is_committed_at_once(signed_in, client, clock, tmp_path):
    _postgresql_only()
    clock(seconds=session_store.LAST_SEEN_GRANULARITY.total_seconds() + 1)
    with wire_trace(tmp_path) as messages:
        assert client.get("/home").status_code == 200
        db.session.remove()
    # The check's exchanges come first, with no BEGIN before them: the SELECT and the UPDATE.
    # The page's own statements follow in a transaction of their own (psycopg's BEGIN).
    begin = messages.index(("F", "Query"))
    assert round_trips(messages[:begin]) == 2, messages
    outside = create_engine(db.engine.url, poolclass=NullPool)
    with outside.connect() as other:
        seen = other.execute(select(UserSession.last_seen_at).where(UserSession.user_id == signed_in.id)).scalar_one()
    outside.dispose()
    assert seen == wall_clock.now()


def test_the_check_reads_on_an_autocommit_connection_and_runs_one_statement(signed_in, client):
    # On either database: one statement, run outside any transaction of the request.
    executed = []

    def note(connection, cursor, statement, parameters, context, executemany):
        raw = connection.connection.driver_connection
        executed.append(raw.autocommit if hasattr(raw, "pgconn") else raw.isolation_level is None)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get("/session/status").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert executed == [True]


def test_the_idle_timeout_still_counts(signed_in, client, clock):
    # Activity recorded through the autocommit path keeps the session alive; none ends it.
    clock(minutes=20)
    assert client.get("/home").status_code == 200
    db.session.rollback()
    clock(minutes=20)  # 20 idle minutes since the last page, 40 since sign-in
    assert client.get("/session/status").get_json()["signed_in"] is True
    db.session.rollback()
    clock(minutes=31)
    response = client.get("/home")
    assert response.status_code == 302 and "/timed-out" in response.headers["Location"]
    db.session.rollback()
    record = db.session.execute(select(UserSession).where(UserSession.user_id == signed_in.id)).scalar_one()
    assert record.ended_at is not None and record.end_reason == "idle_timeout"


def _close_pooled_connection_from_the_server() -> int:
    backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.session.rollback()  # back to the pool
    outside = create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with outside.connect() as other:  # not from the pool, which would hand back the same connection
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()
        # Wait for the backend to be gone (a condition, not a time): its goodbye is on the socket.
        for _ in range(1000):
            if not other.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                 {"pid": backend}).scalar_one():
                break
    outside.dispose()
    return backend


@pytest.mark.parametrize("path", ["/session/status", "/home"])
def test_a_connection_the_server_closed_is_replaced_at_checkout(signed_in, client, clock, path):
    _postgresql_only()
    clock(seconds=20)  # /home records activity too: a write after the check
    backend = _close_pooled_connection_from_the_server()
    assert client.get(path).status_code == 200
    assert db.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend


def test_a_connection_closed_after_checkout_is_retried_by_the_session_check(signed_in, client, monkeypatch):
    _postgresql_only()
    # The server closes it between the pool's look and the check's statement: the look is
    # blinded here, so the check's statement is the first to meet the closed connection. A pool
    # of one connection, so that the request is sure to be handed the closed one.
    db.engine.dispose()
    monkeypatch.setattr("portal.db._closed_by_server", lambda dbapi_connection: False)
    backend = _close_pooled_connection_from_the_server()
    response = client.get("/session/status")
    assert response.status_code == 200 and response.get_json()["signed_in"] is True
    db.session.rollback()
    monkeypatch.undo()
    assert db.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
