from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

# BigInteger on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements).
Sequence64 = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    """One audited action. Append-only; each row carries the MAC of the row before it.

    Only opaque identifiers go here: never names, dates of birth, free text or anything a user
    typed. `detail` is a short machine code (e.g. "wrong_password"), not prose.
    """

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(Sequence64, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None]
    organisation_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(80))
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(36))
    prev_hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 under the audit key `key_id` (portal.audit.chain): the keyring's, never here.
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))


class AuditChainHead(Base):
    """A single row holding the chain's last sequence number and hash.

    Every writer locks this row first (row lock on PostgreSQL, the database write lock on
    SQLite), so concurrent writers queue up and the chain never forks.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Sequence64)
    last_hash: Mapped[str] = mapped_column(String(64))
