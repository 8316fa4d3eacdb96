"""A PostgreSQL transaction that only read ends with COMMIT, so psycopg keeps its prepared
statements from one request to the next; anything that wrote is rolled back as before
(portal/read_commit.py). What the server received is read from libpq's trace and from the
server's own list of the connection's prepared statements."""

from __future__ import annotations

import tempfile

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from portal.auth.roles import Role
from portal.db import db
from portal.orgs.models import School
from tests.factories import make_la, make_school, make_user
from tests.signing_in import sign_in


@pytest.fixture
def engine(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements and what ends a transaction are PostgreSQL's here")
    # One pooled connection, so every transaction below is on the same server session.
    own = create_engine(db.engine.url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    with own.connect() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS read_commit_probe (n integer)"))
        connection.execute(text("TRUNCATE read_commit_probe"))
        connection.commit()
    yield own
    with own.connect() as connection:
        connection.execute(text("DROP TABLE read_commit_probe"))
        connection.commit()
    own.dispose()


def _ends(engine, work) -> list[str]:
    """The commands ending a transaction that the server received while `work` ran."""
    from psycopg import pq

    with tempfile.NamedTemporaryFile("w+") as sink, engine.connect() as connection:
        pgconn = connection.connection.dbapi_connection.pgconn
        pgconn.trace(sink.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            work(connection)
        finally:
            pgconn.untrace()
        sink.seek(0)
        trace = sink.read().splitlines()
    ends = []
    for line in trace:
        parts = line.split("\t")
        if len(parts) > 3 and parts[0] == "F" and parts[2] == "Query":
            ends += [word for word in ("COMMIT", "ROLLBACK", "DEALLOCATE") if word in parts[3]]
    return ends


def _rows(engine) -> list[int]:
    with engine.connect() as connection:
        return [n for (n,) in connection.execute(text("SELECT n FROM read_commit_probe ORDER BY n"))]


def test_a_transaction_that_only_read_is_committed_not_rolled_back(engine):
    def read(connection):
        connection.execute(text("SELECT count(*) FROM read_commit_probe")).scalar_one()
        connection.rollback()

    assert _ends(engine, read) == ["COMMIT"]


@pytest.mark.parametrize("write", [
    "INSERT INTO read_commit_probe VALUES (1)",
    "WITH added AS (INSERT INTO read_commit_probe VALUES (1) RETURNING n) SELECT n FROM added",
    "UPDATE read_commit_probe SET n = 1",
])
def test_a_transaction_that_wrote_is_rolled_back_and_keeps_nothing(engine, write):
    def read_then_write(connection):
        connection.execute(text("SELECT count(*) FROM read_commit_probe")).scalar_one()
        connection.execute(text(write))
        connection.execute(text("SELECT count(*) FROM read_commit_probe")).scalar_one()
        connection.rollback()

    assert _ends(engine, read_then_write) == ["ROLLBACK"]
    assert _rows(engine) == []


def test_a_transaction_the_server_aborted_is_rolled_back_and_the_connection_works_after(engine):
    def fail(connection):
        with pytest.raises(DBAPIError):
            connection.execute(text("SELECT 1 / 0"))
        connection.rollback()

    assert _ends(engine, fail) == ["ROLLBACK"]
    assert _rows(engine) == []


def test_statements_stay_prepared_across_transactions_that_only_read(engine):
    statement = select(text("count(*)")).select_from(text("read_commit_probe"))
    for _ in range(8):
        with engine.connect() as connection:  # each a transaction, ended by the pool's return
            connection.execute(statement).scalar_one()
    with engine.connect() as connection:
        prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
    assert prepared >= 1


def test_a_rollback_after_a_write_still_forgets_them(engine):
    statement = select(text("count(*)")).select_from(text("read_commit_probe"))
    for _ in range(8):
        with engine.connect() as connection:
            connection.execute(statement).scalar_one()
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO read_commit_probe VALUES (2)"))
        connection.rollback()
        prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
    assert prepared == 0
    assert _rows(engine) == []


def test_a_pages_unflushed_and_flushed_changes_are_not_kept_by_its_rollback(app, client):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's")
    school = make_school(make_la(), name="Hillside Primary")
    sign_in(client, make_user(Role.DSL, school))
    client.get("/home")
    db.session.rollback()
    school = db.session.get(School, school.id)
    school.name = "Changed but never committed"
    db.session.rollback()
    assert db.session.get(School, school.id).name == "Hillside Primary"
    school.name = "Flushed but never committed"
    db.session.flush()
    db.session.rollback()
    assert db.session.get(School, school.id).name == "Hillside Primary"


def test_signed_in_pages_reuse_prepared_statements(app, client):
    """A DSL's home, asked for again and again, ends up sending its statements prepared."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's")
    sign_in(client, make_user(Role.DSL, make_school(make_la())))
    # Enough for every pooled connection (5 at most) to run each statement 5 times.
    for _ in range(30):
        assert client.get("/home").status_code == 200
        db.session.remove()  # a request's end, as outside the test's own app context
    with db.engine.connect() as connection:
        prepared = connection.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    # The session check and the worklist's counts (the two statements of a home with nothing on it).
    assert any("FROM user_session" in statement for statement in prepared), prepared
    assert any("FROM concern" in statement and "AS concerns" in statement for statement in prepared), prepared


def test_a_statement_the_driver_committed_by_itself_leaves_the_transaction_after_it_read_only(engine):
    def activity_then_read(connection):
        raw = connection.connection.dbapi_connection
        raw.autocommit = True  # as the session check records activity
        connection.execute(text("INSERT INTO read_commit_probe VALUES (3)"))
        raw.autocommit = False
        connection.execute(text("SELECT count(*) FROM read_commit_probe")).scalar_one()
        connection.rollback()

    assert _ends(engine, activity_then_read) == ["COMMIT"]
    assert _rows(engine) == [3]  # committed by itself when it ran, as before
