"""Encrypted attachments: the database row that describes one stored file.

The file's bytes live in the file store under a random name, encrypted with a key of their own;
that key and the file's original name are encrypted fields of this row, so a key rotation
re-wraps them without touching the (possibly large) files.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow


class StoredFile(UUIDPrimaryKey, Base):
    __tablename__ = "stored_file"

    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name = encrypted(str)
    # Detected from the content, never taken from the upload's own claim.
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_key = encrypted(bytes)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
