from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select, update

from portal.audit.models import AuditChainHead, AuditEvent
from portal.db import db, utcnow

GENESIS_HASH = "0" * 64
HEAD_ID = 1
_CODE = re.compile(r"^[a-z0-9_.:-]{1,80}$")


def _canonical(event: AuditEvent) -> bytes:
    """The bytes that are hashed: every field, in a fixed order, in a fixed encoding."""
    fields = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "organisation_id": str(event.organisation_id) if event.organisation_id else None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "detail": event.detail,
        "ip": event.ip,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _lock_head() -> AuditChainHead:
    session = db.session
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
    )
    event.hash = compute_hash(event)
    db.session.add(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    db.session.flush()
    return event


@dataclass
class ChainReport:
    checked: int
    first_broken_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first row whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).scalars().all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return ChainReport(checked, expected_seq, "missing row")
            if event.prev_hash != expected_prev:
                return ChainReport(checked, event.seq, "link to previous row broken")
            if compute_hash(event) != event.hash:
                return ChainReport(checked, event.seq, "row altered")
            expected_prev = event.hash
            expected_seq += 1
            checked += 1
            last_seq = event.seq
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, HEAD_ID)
    if head is not None and head.last_seq != last_seq:
        return ChainReport(checked, last_seq + 1, "rows missing at the end of the chain")
    return ChainReport(checked, None, None)


def format_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")
