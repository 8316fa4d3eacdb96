from __future__ import annotations

import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import bindparam, cast, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portal.audit import chain
from portal.audit.chain import GENESIS_HASH
from portal.audit.models import AuditChainHead, AuditEvent
from portal.db import db, utcnow

HEAD_ID = 1
_CODE = re.compile(r"^[a-z0-9_.:-]{1,80}$")
_PENDING_CHECKPOINT = "portal_audit_checkpoint"


def compute_hash(event: AuditEvent | PendingEvent, chain_key: bytes) -> str:
    """HMAC-SHA256 of the event's fields (the previous hash and the key id among them)."""
    return chain.mac(chain_key, chain.canonical(chain.event_fields(event)))


# Events recorded in the session's transaction, chained and written just before it commits
# (`_write_at_commit`): the chain head's row lock, which every audited action in the deployment
# queues for, is then held only from that write to the commit, not from the page's first audited
# read to its end. Each is kept with the (possibly nested) transaction it was recorded in, so that
# rolling back a savepoint drops the events recorded inside it and nothing else.
_PENDING_EVENTS = "portal_audit_pending_events"


@dataclass
class PendingEvent:
    """An audited action recorded and not yet written; `seq`, `prev_hash`, `hash` and `key_id` are
    given when its transaction commits (the chain's order is the order of commits)."""

    occurred_at: datetime
    actor_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    detail: str | None
    ip: str | None
    request_id: str | None
    seq: int | None = None
    prev_hash: str | None = None
    hash: str | None = None
    key_id: str | None = None

    def row(self) -> dict:
        return {name: getattr(self, name) for name in _COLUMNS}


_COLUMNS = tuple(column.key for column in AuditEvent.__table__.columns)
_EVENTS = AuditEvent.__table__
_HEAD = AuditChainHead.__table__


def _request_facts() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, None
    return request.remote_addr, getattr(g, "request_id", None)


def _opaque(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value)
    if len(text) > 64:
        raise ValueError("audit object ids must be opaque identifiers")
    return text


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id=None,
    outcome: str = "success",
    detail: str | None = None,
    actor=None,
    actor_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
) -> PendingEvent:
    """Record an audit event in the current transaction: written, in the chain, when the
    transaction commits; never if it (or the savepoint it was recorded in) rolls back.

    `actor` defaults to the signed-in user. `detail` must be a short code, never free text.
    """
    if not _CODE.match(action):
        raise ValueError("audit actions are short codes like 'auth.sign_in'")
    if detail is not None and not _CODE.match(detail):
        raise ValueError("audit detail must be a short code, never free text")
    if actor is None and actor_id is None and has_request_context():
        if current_user and current_user.is_authenticated:
            actor = current_user
    if actor is not None:
        actor_id = actor.id
        organisation_id = organisation_id or actor.organisation_id
    ip, request_id = _request_facts()
    event = PendingEvent(occurred_at=utcnow(), actor_id=actor_id, organisation_id=organisation_id, action=action,
                         object_type=object_type, object_id=_opaque(object_id), outcome=outcome, detail=detail,
                         ip=ip, request_id=request_id)
    session = db.session()
    # Begins the transaction if none has begun, so that the event belongs to it.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING_EVENTS, []).append((transaction, event))
    return event


# The head locked and read in one statement. On PostgreSQL a SELECT ... FOR UPDATE: the row lock
# without writing a new version of the row (the head is written once a transaction, with its
# events, below: every version written is one more for the hottest row in the database to
# prune). SQLite has no row locks: an UPDATE that changes nothing takes its write lock.
_LOCK_HEAD = {
    "postgresql": select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == HEAD_ID).with_for_update(),
    "sqlite": (update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(last_seq=_HEAD.c.last_seq)
               .returning(_HEAD.c.last_seq, _HEAD.c.last_hash)),
}


# The head moved on to the last event written (bind parameters head_seq and head_hash).
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == HEAD_ID)
              .values(last_seq=bindparam("head_seq"), last_hash=bindparam("head_hash")))


def _write_postgresql():
    """The events, given as one array a column (bind parameters events_<column>), written in a WITH
    of the head's move. Built once: a multi-row VALUES would be a new statement for SQLAlchemy
    to compile on every commit (it cannot cache one), which cost about 1 ms a page."""
    arrays = [cast(bindparam(f"events_{column.key}", type_=ARRAY(column.type)), ARRAY(column.type))
              for column in _EVENTS.columns]
    given = func.unnest(*arrays).table_valued(*_COLUMNS).render_derived()
    written = _EVENTS.insert().from_select(list(_COLUMNS), select(*[given.c[name] for name in _COLUMNS]))
    return _MOVE_HEAD.add_cte(written.cte("written_events"))


_WRITE_POSTGRESQL = _write_postgresql()


def _lock_head(session: Session, dialect: str) -> tuple[int, str]:
    """Lock the chain head until the commit and read it: (its last seq, its hash)."""
    row = session.execute(_LOCK_HEAD[dialect]).one_or_none()
    if row is None:  # a database emptied by hand (the migration writes the head)
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(_HEAD).values(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH)
                        .on_conflict_do_nothing())
        row = session.execute(_LOCK_HEAD[dialect]).one()
    return row.last_seq, row.last_hash


@sqlalchemy_event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    # Also when a savepoint is released: then the events are written inside the transaction around
    # it, and the database rolls back their rows and the head's move together if that one rolls back.
    pending = session.info.pop(_PENDING_EVENTS, None)
    if not pending:
        return
    session.flush()  # the transaction's own changes first: the head is locked as late as can be
    events = [event for _, event in pending]
    dialect = session.get_bind().dialect.name
    last_seq, last_hash = _lock_head(session, dialect)
    kid, chain_key, checkpoint_key = chain.current_key(session.connection())
    due = False
    for event in events:
        last_seq += 1
        event.seq, event.prev_hash, event.key_id = last_seq, last_hash, kid
        event.hash = last_hash = compute_hash(event, chain_key)
        due = due or chain.checkpoint_due(event.seq)
    if dialect == "postgresql":
        # One round trip, one statement whatever the number of events (so compiled once and
        # prepared by psycopg): each column's values as an array.
        session.execute(_WRITE_POSTGRESQL, {
            **{f"events_{name}": [getattr(event, name) for event in events] for name in _COLUMNS},
            "head_seq": last_seq, "head_hash": last_hash})
    else:  # SQLite takes no INSERT inside a WITH, nor arrays
        session.execute(_EVENTS.insert(), [event.row() for event in events])
        session.execute(_MOVE_HEAD, {"head_seq": last_seq, "head_hash": last_hash})
    if due:
        # Signed now, written once the transaction has committed (never for a rolled-back one).
        session.info[_PENDING_CHECKPOINT] = (
            chain.sign_checkpoint(last_seq, last_hash, kid, checkpoint_key), chain.checkpoint_path())


@sqlalchemy_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back_events(session: Session, previous_transaction) -> None:
    pending = session.info.get(_PENDING_EVENTS)
    if not pending:
        return

    def inside(transaction) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info[_PENDING_EVENTS] = [(t, event) for t, event in pending if not inside(t)]


@sqlalchemy_event.listens_for(Session, "after_commit")
def _write_pending_checkpoint(session) -> None:
    pending = session.info.pop(_PENDING_CHECKPOINT, None)
    if pending is not None:
        try:
            chain.write_checkpoint(*pending)
        except OSError as error:  # the event stands; the next checkpoint covers it
            chain.log.warning("audit checkpoint not written error=%s", type(error).__name__)


@sqlalchemy_event.listens_for(Session, "after_rollback")
def _drop_pending_checkpoint(session) -> None:
    session.info.pop(_PENDING_CHECKPOINT, None)


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _forget_events(session, transaction) -> None:
    # The outermost transaction has ended: whatever it recorded was written or is gone.
    if transaction.parent is None:
        session.info.pop(_PENDING_EVENTS, None)


def write_checkpoint_now() -> chain.Checkpoint | None:
    """Sign and write a checkpoint of the current head (`flask audit checkpoint`). None if the
    trail is empty."""
    head = db.session.get(AuditChainHead, HEAD_ID)
    if head is None or head.last_seq == 0:
        return None
    last = db.session.get(AuditEvent, head.last_seq)
    if last is None or last.hash != head.last_hash:
        raise ValueError("the chain head does not match the last event: run `flask audit verify`")
    _, checkpoint_key = chain.keys_for(last.key_id, db.session.connection())
    checkpoint = chain.sign_checkpoint(last.seq, last.hash, last.key_id, checkpoint_key)
    chain.write_checkpoint(checkpoint, chain.checkpoint_path())
    return checkpoint


@dataclass
class ChainReport:
    checked: int
    first_broken_seq: int | None
    reason: str | None
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def verify_chain(batch_size: int = 5000, checkpoint_file=None) -> ChainReport:
    """Walk the chain in order; report the first event whose MAC or link is wrong (its position,
    never its content); then check every signed checkpoint against the events."""
    connection = db.session.connection()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    hashes: dict[int, str] = {}
    keys: dict[str, bytes] = {}
    path = checkpoint_file or chain.checkpoint_path()
    checkpoints, bad_lines = chain.read_checkpoints(path)
    wanted = {c.events for c in checkpoints}
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).scalars().all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return ChainReport(checked, expected_seq, "missing event")
            if event.prev_hash != expected_prev:
                return ChainReport(checked, event.seq, "link to the previous event broken")
            key = keys.get(event.key_id or "")
            if key is None:
                try:
                    key = keys[event.key_id] = chain.keys_for(event.key_id, connection)[0]
                except Exception:  # an unknown or foreign key id: the event was not written by the portal
                    return ChainReport(checked, event.seq, "event under an unknown key")
            if not hmac.compare_digest(compute_hash(event, key), event.hash):
                return ChainReport(checked, event.seq, "event altered")
            if event.seq in wanted:
                hashes[event.seq] = event.hash
            expected_prev = event.hash
            expected_seq += 1
            checked += 1
            last_seq = event.seq
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, HEAD_ID)
    if head is not None and head.last_seq != last_seq:
        return ChainReport(checked, last_seq + 1, "events missing at the end of the chain")
    if bad_lines:
        return ChainReport(checked, 0, f"checkpoint file line {bad_lines[0]} is not a checkpoint")
    for checkpoint in checkpoints:
        try:
            checkpoint_key = chain.keys_for(checkpoint.kid, connection)[1]
        except Exception:
            return ChainReport(checked, 0, f"checkpoint on line {checkpoint.line_number} names an unknown key")
        if not chain.checkpoint_signature_ok(checkpoint, checkpoint_key):
            return ChainReport(checked, 0, f"checkpoint on line {checkpoint.line_number} has a bad signature")
        if checkpoint.events > last_seq:
            return ChainReport(checked, last_seq + 1,
                               f"events missing: the checkpoint of {checkpoint.at} (line {checkpoint.line_number}) "
                               f"recorded {checkpoint.events} events")
        if hashes.get(checkpoint.events) != checkpoint.head:
            return ChainReport(checked, checkpoint.events,
                               f"event differs from the checkpoint of {checkpoint.at} (line {checkpoint.line_number})")
    return ChainReport(checked, None, None, len(checkpoints))


def format_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")
