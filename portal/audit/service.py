from __future__ import annotations

import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.audit import chain
from portal.audit.chain import GENESIS_HASH
from portal.audit.models import AuditChainHead, AuditEvent
from portal.db import db, utcnow

HEAD_ID = 1
_CODE = re.compile(r"^[a-z0-9_.:-]{1,80}$")
_PENDING_CHECKPOINT = "portal_audit_checkpoint"


def compute_hash(event: AuditEvent, chain_key: bytes) -> str:
    """HMAC-SHA256 of the event's fields (the previous hash and the key id among them)."""
    return chain.mac(chain_key, chain.canonical(chain.event_fields(event)))


# The head as this transaction locked it: a second event in the same transaction (the pupil's
# page records the view of the pupil and of their contacts) needs no second lock, because the
# row stays locked by this transaction until it ends. Only a lock taken outside any savepoint is
# reused (rolling back to a savepoint releases the locks taken after it).
_HEAD_LOCKED = "portal_audit_head_locked"


def _lock_head() -> AuditChainHead:
    session = db.session()
    transaction = session.get_transaction()
    locked = session.info.get(_HEAD_LOCKED)
    if locked is not None and locked[0] is transaction and not session.in_nested_transaction():
        return locked[1]
    if session.get_bind().dialect.name == "sqlite":
        # A write takes SQLite's database lock for the rest of the transaction: no other writer
        # can read the head between our read and our update.
        session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(id=HEAD_ID))
        head = session.execute(
            select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).execution_options(populate_existing=True)
        ).scalar_one_or_none()
    else:
        head = session.execute(
            select(AuditChainHead)
            .where(AuditChainHead.id == HEAD_ID)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    if not session.in_nested_transaction():
        # The transaction the lock began, if this was the first statement of one.
        session.info[_HEAD_LOCKED] = (session.get_transaction(), head)
    return head


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
) -> AuditEvent:
    """Append an audit event in the current transaction (the caller commits).

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

    head = _lock_head()
    kid, chain_key, checkpoint_key = chain.current_key(db.session.connection())
    event = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor_id=actor_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=_opaque(object_id),
        outcome=outcome,
        detail=detail,
        ip=ip,
        request_id=request_id,
        prev_hash=head.last_hash,
        key_id=kid,
    )
    event.hash = compute_hash(event, chain_key)
    db.session.add(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    # Not flushed here: the transaction's commit writes the head once and every event of the
    # transaction together (the head stays locked by it until then).
    if chain.checkpoint_due(event.seq):
        # Signed now, written once the transaction has committed (never for a rolled-back one).
        db.session.info[_PENDING_CHECKPOINT] = (
            chain.sign_checkpoint(event.seq, event.hash, kid, checkpoint_key), chain.checkpoint_path())
    return event


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
def _forget_the_lock(session, transaction) -> None:
    locked = session.info.get(_HEAD_LOCKED)
    if locked is not None and locked[0] is transaction:
        del session.info[_HEAD_LOCKED]


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
