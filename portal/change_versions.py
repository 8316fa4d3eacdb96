"""A number on an owner's row (a council, a school) that moves with every committed change to the
rows it owns (the council's triage items, the school's pupils): the key of a cache that must
never be used once such a change is committed.

Every change to an owned row adds one to its owner's version, in the same transaction, just
before the commit. Two ways of changing a row, both covered:
- through the unit of work (`session.add`, setting attributes, `session.delete`): a flush hook
  notes the owner (the old and the new one, should a row ever move);
- bulk `update(...)` / `delete(...)` statements on the owned table: these must name the owner or
  owners whose rows they change, `.execution_options(<option>=owner_id)`. One that does not raises
  at once, so a new code path cannot silently leave a stale page on someone's screen.
A rolled-back transaction moves nothing. Owners are bumped one at a time in the order of their
ids, so two commits changing the same two owners lock them in the same order and cannot deadlock;
the row lock is held only from the bump to the commit.

Used by portal/triage/queue_changes.py (`LocalAuthority.queue_version`) and
portal/pupils/roll_changes.py (`School.roll_version`).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable

from sqlalchemy import Table, event, update
from sqlalchemy.orm import ORMExecuteState, Session, attributes


class ChangeVersion:
    """The version column `version_column` of `owner_table`, moved by changes to `owned` rows,
    whose owner is their `owner_attribute`. Bulk statements declare `option`; else `error`."""

    def __init__(self, *, owned: type, owner_attribute: str, owner_table: Table, version_column: str, option: str,
                 error: type[Exception]):
        self.owned, self.owner_attribute, self.option, self.error = owned, owner_attribute, option, error
        self.owner_table, self.version_column = owner_table, version_column
        self._key = f"changed_{owned.__tablename__}_owners"  # in Session.info: the owners this transaction changed
        event.listen(Session, "after_flush", self._changes_in_flush)
        event.listen(Session, "do_orm_execute", self._changes_in_statements)
        event.listen(Session, "before_commit", self._bump_versions)
        event.listen(Session, "after_transaction_end", self._forget_on_rollback)

    def changed_in(self, session: Session, owner_id: uuid.UUID) -> bool:
        """Whether this transaction has changed the owner's rows (flushed, not yet committed): a
        reader inside it must see its own changes, which no cached copy holds."""
        return owner_id in session.info.get(self._key, ())

    def _note(self, session: Session, owner_ids: Iterable[uuid.UUID | None]) -> None:
        ids = {owner_id for owner_id in owner_ids if owner_id is not None}
        if ids:
            session.info.setdefault(self._key, set()).update(ids)

    def _changes_in_flush(self, session: Session, flush_context) -> None:
        # After a flush the new/dirty/deleted collections still show what was just written.
        for obj in itertools.chain(session.new, session.dirty, session.deleted):
            if isinstance(obj, self.owned):
                history = attributes.get_history(obj, self.owner_attribute)
                self._note(session, itertools.chain(history.added, history.unchanged, history.deleted))

    def _changes_in_statements(self, state: ORMExecuteState) -> None:
        if not (state.is_update or state.is_delete):
            return
        # By name: update(Model) targets an annotated copy of the table, not the Table itself.
        if getattr(getattr(state.statement, "table", None), "name", None) != self.owned.__tablename__:
            return
        declared = state.execution_options.get(self.option)
        if declared is None:
            raise self.error(f"a bulk update or delete of {self.owned.__tablename__} rows must say whose they are: "
                             f".execution_options({self.option}=...)")
        self._note(state.session, declared if isinstance(declared, (list, tuple, set, frozenset)) else [declared])

    def _bump_versions(self, session: Session) -> None:
        session.flush()  # changes still pending would otherwise be flushed after this hook
        changed = session.info.pop(self._key, None)
        if not changed:
            return
        table, column = self.owner_table, self.owner_table.c[self.version_column]
        for owner_id in sorted(changed, key=str):
            session.execute(
                update(table).where(table.c.id == owner_id)
                # updated_at stays as it was: the owner's own details have not changed.
                .values({column: column + 1, table.c.updated_at: table.c.updated_at})
            )

    def _forget_on_rollback(self, session: Session, transaction) -> None:
        # A rolled-back transaction changed nothing: the note is dropped when the outermost
        # transaction ends (a savepoint's end keeps it: the outer transaction may still commit).
        if transaction.parent is None:
            session.info.pop(self._key, None)
