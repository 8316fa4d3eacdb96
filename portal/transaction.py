"""The unit of work: one service function, one transaction.

A service function that changes anything is decorated with `@transactional` (or opens
`unit_of_work()` itself). The outermost unit commits when it returns and rolls back when it
raises; a unit opened inside another joins it, so a service may call another service and both
commit (or neither). Nothing else in the portal calls `commit()` or `rollback()`: views never do,
and import-linter keeps `portal.db` out of views.

Effects outside the database that must follow a commit (sending an email that was queued in the
same transaction, deleting a file's bytes once the row is gone) are registered with
`after_commit(fn)` and run, in order, once the outermost unit has committed. They never run for
a transaction that rolled back.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import wraps
from typing import Callable, Iterator, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from portal.db import db

log = logging.getLogger(__name__)

_DEPTH = "portal_unit_of_work_depth"
_AFTER_COMMIT = "portal_after_commit"

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Run the block in a transaction: commit at the end of the outermost block, roll back if it
    raises (the error is raised again, unchanged)."""
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
    except BaseException:
        session.info[_DEPTH] = depth
        if depth == 0:
            _rollback(session)
        raise
    session.info[_DEPTH] = depth
    if depth == 0:
        try:
            session.commit()
        except BaseException:
            _rollback(session)
            raise
        _run_after_commit(session)


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: the function is a unit of work (see `unit_of_work`)."""

    @wraps(fn)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return fn(*args, **kwargs)

    return wrapped


def in_unit_of_work() -> bool:
    return db.session().info.get(_DEPTH, 0) > 0


def after_commit(fn: Callable[[], object]) -> None:
    """Run `fn` once the current unit of work has committed; never if it rolls back."""
    session = db.session()
    if session.info.get(_DEPTH, 0) == 0:
        raise RuntimeError("after_commit() outside a unit of work: open one with @transactional")
    session.info.setdefault(_AFTER_COMMIT, []).append(fn)


def _rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    session.rollback()


def _run_after_commit(session: Session) -> None:
    for fn in session.info.pop(_AFTER_COMMIT, []):
        try:
            fn()
        except Exception as error:  # the commit stands; the effect's owner retries (e.g. mail outbox)
            log.warning("after-commit step %s failed: %s", getattr(fn, "__qualname__", "?"), type(error).__name__)
