"""The signed-in user, their organisation and their session row, as the session check loaded
them, kept loaded across the request's own commits and rollbacks.

Why: SQLAlchemy expires every loaded object at a commit and at a rollback. Nearly every page
commits its audit event before it renders, and the page's header then reads the user and their
organisation again: four more statements (the user, their school, their council, the session
row) on every audited page, a sixth of a DSL home's (issue 22).

Exact: their values are put back only if nothing since the check has written to those four
tables (every statement the engine sends during the request is looked at: an INSERT, UPDATE,
DELETE or TRUNCATE of one of them, from the ORM or not, on any connection). Then what is put back
is what the database held when the check read it and nothing in this request has changed it
since, so the page sees exactly what it would have seen had the commit not expired them (another
request's change shows from the next request on, as it always has). After such a write the
objects are reloaded as before, and attributes the check did not load are loaded when read.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask import Flask, g, has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

_KEY = "identity_kept"
_TABLES_KEY = "identity_kept_tables"
_WATCHED = ("user_account", "school", "local_authority", "user_session")
_WRITES = re.compile(r"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM|TRUNCATE)\s+(?:TABLE\s+)?(?:ONLY\s+)?\"?(\w+)\"?",
                     re.IGNORECASE)
_WRITE_WORDS = ("UPDATE", "INSERT", "DELETE", "TRUNCATE", "update", "insert", "delete", "truncate")


def _values(obj) -> tuple:
    state = inspect(obj)
    return obj, {key: value for key, value in state.dict.items() if key in state.manager}


def keep(*objects) -> None:
    """Called by the session check once it has loaded (and, when due, marked active) these."""
    setattr(g, _KEY, [_values(obj) for obj in objects if obj is not None])
    setattr(g, _TABLES_KEY, set(_WATCHED))


def keep_also(obj) -> None:
    """The record a page is about, as its service read it before the page's audit commit (the
    pupil of the pupil's page and of their chronology): kept the same way, its table watched
    the same way. Only while the signed-in user's are kept (a request with a session check)."""
    kept = g.get(_KEY)
    if kept is None or obj is None:
        return
    kept.append(_values(obj))
    g.get(_TABLES_KEY).update(table.name for table in inspect(obj).mapper.tables)


def forget() -> None:
    g.pop(_KEY, None)
    g.pop(_TABLES_KEY, None)


@event.listens_for(Engine, "before_cursor_execute")
def _watch_writes(connection, cursor, statement, parameters, context, executemany) -> None:
    if not has_request_context() or g.get(_KEY) is None:
        return
    written = _written_tables(statement)
    if written and (written is _ANY_TABLE or not written.isdisjoint(g.get(_TABLES_KEY))):
        forget()


# TRUNCATE names several tables: any TRUNCATE forgets (only the test suite sends one).
_ANY_TABLE = frozenset(("*",))


@lru_cache(maxsize=2048)
def _written_tables(statement: str) -> frozenset[str]:
    """The tables a statement writes to. Remembered: the same few hundred statements come back
    from SQLAlchemy's compiled cache on every request, and the audit's is 2 kB long."""
    if not any(word in statement for word in _WRITE_WORDS):
        return frozenset()
    found = _WRITES.findall(statement)
    if any(verb.upper() == "TRUNCATE" for verb, _ in found):
        return _ANY_TABLE
    return frozenset(table.lower() for _, table in found)


@event.listens_for(Session, "after_transaction_end")
def _put_back(session: Session, transaction) -> None:
    if transaction.parent is not None or not has_request_context():
        return
    kept = g.get(_KEY)
    if not kept:
        return
    for obj, values in kept:
        state = inspect(obj)
        if state.session_id != session.hash_key or state.deleted or state.detached:
            continue
        for key, value in values.items():
            if key not in state.dict:
                set_committed_value(obj, key, value)


def init_identity_kept(app: Flask) -> None:
    @app.teardown_request
    def _forget(_error=None):
        forget()
