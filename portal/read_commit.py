"""A PostgreSQL transaction that only read ends with COMMIT, not ROLLBACK: the driver then keeps
its prepared statements from one request to the next.

Why: psycopg prepares a statement on the server once a connection has run it five times, and
from then on PostgreSQL skips parsing and planning it (and after five more runs keeps a generic
plan). But psycopg forgets every prepared statement, and its counts towards the five, at each
ROLLBACK, and sends DEALLOCATE ALL. Nearly every page ends its last transaction by rolling it
back (SQLAlchemy's session closes at the end of the request and rolls back what was not
committed: the reads after a page's audit commit, and every read of a page that writes nothing),
so no statement of a signed-in page was ever prepared (issue 22).

Exact: for a transaction that has sent only SELECTs, COMMIT and ROLLBACK leave the database
the same (nothing was written; locks taken by SELECT ... FOR UPDATE are released by either), so
it is committed. Anything else sent in it (an INSERT, UPDATE, DELETE, a WITH, a SAVEPOINT, a SET,
any DDL: every statement that does not start with SELECT) and a transaction the server has
already aborted are rolled back exactly as before. The ORM's pending changes are never flushed
here: this acts on the connection when SQLAlchemy rolls it back, after the session has decided
not to commit, so unflushed changes are discarded as they always were. SQLite is untouched.

What it looks at is every statement SQLAlchemy sends. A statement sent on the driver's own
cursor would not be seen, so the portal sends none (`tests/foundation/test_layers.py`); the
bench's seeder, which COPYs that way, commits what it copies itself.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

_WROTE = "read_commit_wrote"


@event.listens_for(Engine, "begin")
def _transaction_begins(connection) -> None:
    connection.info[_WROTE] = False


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(connection, cursor, statement, parameters, context, executemany) -> None:
    if statement.lstrip()[:6].upper() == "SELECT" and not executemany:
        return
    # A statement sent in the driver's autocommit mode (the session check's activity UPDATE,
    # portal/auth/session_store.py) is committed as it runs: no part of the transaction after it.
    raw = cursor.connection
    if getattr(raw, "pgconn", None) is not None and raw.autocommit:
        return
    connection.info[_WROTE] = True


@event.listens_for(Engine, "rollback")
def _commit_if_only_read(connection) -> None:
    if connection.closed or connection.invalidated:
        return
    wrote = connection.info.get(_WROTE, True)
    connection.info[_WROTE] = False
    if wrote:
        return
    raw = connection.connection.dbapi_connection
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is None:
        return  # SQLite: nothing prepared to keep
    from psycopg import pq

    if pgconn.transaction_status != pq.TransactionStatus.INTRANS:
        return  # idle, or aborted by an error: the rollback goes ahead as it is
    try:
        raw.commit()
    except Exception:
        # Nothing was written, so nothing is lost: SQLAlchemy's rollback, which follows, deals
        # with the connection as it would have without this.
        return
    # SQLAlchemy's rollback follows this and finds the connection idle: it sends nothing.
