"""Knowing when a school's pupils have changed, so that the roll's cached names
(portal/pupils/roll_names.py) are never used once a change to them is committed.

Every change to a pupil (added, edited, taken off or put back on the roll, moved, destroyed) adds
one to its school's `School.roll_version`, in the same transaction, just before the commit. The
signed-in user's school comes with the session check on every page, `roll_version` with it, so a
page checks its cache's freshness without a statement of its own. The same design as the triage
queue's version (portal/triage/queue_changes.py).

Two ways of changing a pupil, both covered:
- through the unit of work (`session.add`, setting attributes, `session.delete`): the flush hook;
- bulk `update(Pupil)` / `delete(Pupil)` statements (or on the `pupil` table): these must name the
  school or schools whose pupils they change, `.execution_options(roll_of=school_id)`. One that
  does not raises at once, so a new code path cannot silently leave a DSL searching an old roll.
Re-encrypting values under a new key (`flask keys rotate`) changes no plaintext and runs on a
connection of its own, outside the session: it moves no version and needs none.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState, Session, attributes

from portal.orgs.models import School
from portal.pupils.models import Pupil

_CHANGED = "rolls_changed"  # key in Session.info: the schools whose pupils this transaction changed


class UndeclaredRollChange(RuntimeError):
    """A bulk statement on pupils did not say whose roll it changes."""


def _note(session: Session, school_ids: Iterable[uuid.UUID | None]) -> None:
    ids = {school_id for school_id in school_ids if school_id is not None}
    if ids:
        session.info.setdefault(_CHANGED, set()).update(ids)


def changed_in(session: Session, school_id: uuid.UUID) -> bool:
    """Whether this transaction has changed the school's pupils (flushed, not yet committed): a
    reader inside it must see its own changes, which no cached copy holds."""
    return school_id in session.info.get(_CHANGED, ())


@event.listens_for(Session, "after_flush")
def _changes_in_flush(session: Session, flush_context) -> None:
    # After a flush the new/dirty/deleted collections still show what was just written.
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Pupil):
            history = attributes.get_history(obj, "school_id")
            # Both the old and the new school, should a pupil ever move between rolls.
            _note(session, itertools.chain(history.added, history.unchanged, history.deleted))


@event.listens_for(Session, "do_orm_execute")
def _changes_in_statements(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    # By name: update(Pupil) targets an annotated copy of the table, not the Table itself.
    if getattr(getattr(state.statement, "table", None), "name", None) != Pupil.__tablename__:
        return
    declared = state.execution_options.get("roll_of")
    if declared is None:
        raise UndeclaredRollChange(
            "a bulk update or delete of pupils must say whose roll it changes: "
            ".execution_options(roll_of=school_id)")
    _note(state.session, declared if isinstance(declared, (list, tuple, set, frozenset)) else [declared])


@event.listens_for(Session, "before_commit")
def _bump_roll_versions(session: Session) -> None:
    session.flush()  # changes still pending would otherwise be flushed after this hook
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    table = School.__table__
    # One school at a time and always in the same order, so two commits changing the same two
    # schools' pupils (a transfer) lock them in the same order and cannot deadlock. The row lock
    # is held only from here to the commit.
    for school_id in sorted(changed, key=str):
        session.execute(
            update(table).where(table.c.id == school_id)
            # updated_at stays as it was: the school's own details have not changed.
            .values(roll_version=table.c.roll_version + 1, updated_at=table.c.updated_at)
        )


@event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session: Session, transaction) -> None:
    # A rolled-back transaction changed nothing: the note is dropped when the outermost
    # transaction ends (a savepoint's end keeps it: the outer transaction may still commit).
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
