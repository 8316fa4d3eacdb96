"""Declarative base and column types shared by every model.

- Primary keys are random UUIDs: they are the opaque identifiers that appear in URLs.
- Times are stored in UTC and always come back timezone-aware, on SQLite and PostgreSQL alike.
- A naming convention gives constraints stable names, so Alembic migrations are the same on
  both databases.
"""

from __future__ import annotations

import select
import sqlite3
import uuid
from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use portal.db.utcnow()")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            uuid.UUID: Uuid(),
        },
    )

    def __repr__(self) -> str:
        # Never show column values: they may hold personal data. Type and opaque id only.
        return f"<{type(self).__name__} {getattr(self, 'id', '?')}>"


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- pooled connections the server has closed ------------------------------------------------
#
# The pool does not ping a connection at checkout (pool_pre_ping, a round trip on every request:
# portal/config.py). Instead it looks, without a round trip, for what a PostgreSQL server sends
# when it closes a connection (a restart, a failover, pg_terminate_backend): the termination
# notice and the end of the stream make the idle socket readable. An idle pooled connection is
# sent nothing else (the portal never LISTENs), so anything waiting on it is checked with an
# empty query (one round trip, no transaction begun); a closed one is replaced before any
# statement uses it. What this cannot see (a connection cut without a word, by a firewall or a
# vanished host) fails on its first statement: the session check retries that once, and
# pool_recycle replaces connections before a firewall's idle timeout.


def _closed_by_server(dbapi_connection) -> bool:
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return False  # not psycopg (SQLite): nothing to look at
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        waiting = select.poll()
        waiting.register(pgconn.socket, select.POLLIN | select.POLLPRI)
        if not waiting.poll(0):
            return False
        from psycopg import pq

        result = pgconn.exec_(b"")
        return result.status != pq.ExecStatus.EMPTY_QUERY or pgconn.status != pq.ConnStatus.OK
    except Exception:  # the socket is gone, or the query failed: either way it is closed
        return True


@event.listens_for(Pool, "checkout")
def _replace_connections_closed_by_the_server(dbapi_connection, connection_record, connection_proxy) -> None:
    if _closed_by_server(dbapi_connection):
        # The pool invalidates this connection and checks out a fresh one in its place.
        raise DisconnectionError("the database server closed this pooled connection")


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoints_inside_a_transaction(connection, name) -> None:
    """SQLite's driver (pysqlite, in its default mode) opens a transaction only before an INSERT,
    UPDATE or DELETE. A SAVEPOINT sent before any of those opens the transaction itself, and then
    releasing it COMMITs: whatever the savepoint held would outlive a rollback of the transaction
    around it. So on SQLite a savepoint is always taken inside a transaction begun first. (On
    PostgreSQL SQLAlchemy has already sent BEGIN.)"""
    dbapi_connection = connection.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


# The one SQLAlchemy object. Services, models and workers import it from here; views never do
# (import-linter holds that line): a view calls a service, and the service owns the transaction.
from flask_sqlalchemy import SQLAlchemy  # noqa: E402

db = SQLAlchemy(model_class=Base)

# A transaction that only read ends with COMMIT, so the driver keeps its prepared statements
# across requests (portal/read_commit.py).
import portal.read_commit  # noqa: E402,F401
