"""The keyring and the bookkeeping of key rotations.

Data keys are random 256-bit keys, stored only wrapped (encrypted) by the master key, which
comes from configuration and never from the database. A database dump alone therefore decrypts
nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UUIDPrimaryKey, utcnow

# What a data key is for. Blind indexes use keys of their own, never the encryption keys.
PURPOSE_FIELD = "field"
PURPOSE_INDEX = "index"
# The audit trail's chain key (portal.audit.chain): never rotated by `flask keys rotate`, since
# every event names the key it is chained under and must stay verifiable.
PURPOSE_AUDIT = "audit"
PURPOSES = (PURPOSE_FIELD, PURPOSE_INDEX, PURPOSE_AUDIT)

# current: new values are written under it (one per purpose).
# active: old values may still be under it; it decrypts but never encrypts.
# retired: rotation proved no value is left under it; kept (wrapped) only so that a restored
#   backup can still be read, and its use is logged as a warning.
STATE_CURRENT = "current"
STATE_ACTIVE = "active"
STATE_RETIRED = "retired"


class DataKey(UUIDPrimaryKey, Base):
    __tablename__ = "crypto_data_key"
    __table_args__ = (
        # At most one current key per purpose, enforced by the database so that two processes
        # bootstrapping or rotating at once cannot both win.
        Index(
            "uq_crypto_data_key_one_current",
            "purpose",
            unique=True,
            sqlite_where=text("state = 'current'"),
            postgresql_where=text("state = 'current'"),
        ),
    )

    kid: Mapped[str] = mapped_column(String(16), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    # Which master key wrapped it (a fingerprint, not the key), so that a master-key rotation
    # knows what is left to re-wrap.
    master_key_id: Mapped[str] = mapped_column(String(32))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class KeyRotation(UUIDPrimaryKey, Base):
    """One run of `flask keys rotate`: the keys it moves values to, and when it finished."""

    __tablename__ = "crypto_key_rotation"

    field_kid: Mapped[str] = mapped_column(String(16))
    index_kid: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class KeyRotationCursor(UUIDPrimaryKey, Base):
    """How far a rotation has got through one table: rows are visited in id order, and the last
    id is committed with each batch, so a crashed rotation resumes where it stopped."""

    __tablename__ = "crypto_key_rotation_cursor"
    __table_args__ = (UniqueConstraint("rotation_id", "table_name"),)

    rotation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crypto_key_rotation.id"))
    table_name: Mapped[str] = mapped_column(String(100))
    last_row_id: Mapped[uuid.UUID | None]
    rows_rewritten: Mapped[int] = mapped_column(BigInteger, default=0)
    finished: Mapped[bool] = mapped_column(default=False)
