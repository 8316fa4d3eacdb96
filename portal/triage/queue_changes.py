"""Knowing when a council's referrals queue has changed, so that a cached queue page is never shown
once a change to it is committed.

Every change to a triage item (a referral arriving, being opened, assigned, rated, decided or sent
on) adds one to its council's `LocalAuthority.queue_version`, in the same transaction, just before
the commit. The queue page (portal/triage/queue.py) keys its cache on that number, which every page
already reads with the signed-in user and their organisation: checking freshness costs nothing.

Two ways of changing an item, both covered:
- through the unit of work (`session.add`, setting attributes): seen by the flush hook below;
- bulk `update(TriageItem)` / `delete(TriageItem)` statements: these must name the council whose
  queue they change, `.execution_options(queue_of=la_id)`. One that does not raises at once, so a
  new code path cannot silently leave a stale queue on a triage worker's screen.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState, Session, attributes

from portal.orgs.models import LocalAuthority
from portal.triage.models import TriageItem

_CHANGED = "triage_queues_changed"  # key in Session.info: the councils whose queue this transaction changed


class UndeclaredQueueChange(RuntimeError):
    """A bulk statement on triage items did not say whose queue it changes."""


def _note(session: Session, la_ids: Iterable[uuid.UUID | None]) -> None:
    ids = {la_id for la_id in la_ids if la_id is not None}
    if ids:
        session.info.setdefault(_CHANGED, set()).update(ids)


@event.listens_for(Session, "after_flush")
def _changes_in_flush(session: Session, flush_context) -> None:
    # After a flush the new/dirty/deleted collections still show what was just written.
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, TriageItem):
            history = attributes.get_history(obj, "local_authority_id")
            # Both the old and the new council, should an item ever move between queues.
            _note(session, itertools.chain(history.added, history.unchanged, history.deleted))


@event.listens_for(Session, "do_orm_execute")
def _changes_in_statements(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    # By name: update(TriageItem) targets an annotated copy of the table, not the Table itself.
    if getattr(getattr(state.statement, "table", None), "name", None) != TriageItem.__tablename__:
        return
    declared = state.execution_options.get("queue_of")
    if declared is None:
        raise UndeclaredQueueChange(
            "a bulk update or delete of triage items must say whose queue it changes: "
            ".execution_options(queue_of=local_authority_id)")
    _note(state.session, declared if isinstance(declared, (list, tuple, set, frozenset)) else [declared])


@event.listens_for(Session, "before_commit")
def _bump_queue_versions(session: Session) -> None:
    session.flush()  # changes still pending would otherwise be flushed after this hook
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    table = LocalAuthority.__table__
    # One council at a time and always in the same order: two commits that both change the same
    # two queues (a referral sent on to another council) then lock them in the same order and
    # cannot deadlock. The row lock is held only from here to the commit.
    for la_id in sorted(changed, key=str):
        session.execute(
            update(table).where(table.c.id == la_id)
            # updated_at stays as it was: the council's own details have not changed.
            .values(queue_version=table.c.queue_version + 1, updated_at=table.c.updated_at)
        )


@event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session: Session, transaction) -> None:
    # A rolled-back transaction changed nothing; keeping the note would only cost a needless bump,
    # so it is dropped when the outermost transaction ends (a savepoint's end keeps it: the outer
    # transaction may still commit what came before the savepoint).
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
