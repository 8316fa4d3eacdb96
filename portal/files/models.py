"""Encrypted attachments: the database row that describes one stored file.

The file's bytes live in the file store under a random name, encrypted with a key of their own;
that key and the file's original name are encrypted fields of this row, so a key rotation
re-wraps them without touching the (possibly large) files.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
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


class StoredFileChunk(Base):
    """One piece of a stored file's encrypted bytes, when attachments live in the database
    (PORTAL_ATTACHMENT_STORE=database, the production default).

    The rows of a file, in `seq` order, are exactly the bytes the disk store would have written
    (portal/files/store.py): row 0 is the 12-byte header, row n (n >= 1) is encrypted chunk n-1
    (64 KiB of plaintext + its 16-byte tag; the last one shorter). Nothing is decrypted or
    re-encrypted on the way in or out, so a file moves between the stores unchanged.

    The foreign key is deferred to the commit: the chunks are written as the upload streams in,
    before the StoredFile row is flushed, in the same transaction. Deleting the StoredFile deletes
    its chunks (ON DELETE CASCADE, and explicitly in the same flush where the database does not
    enforce foreign keys).
    """

    __tablename__ = "stored_file_chunk"

    storage_name: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("stored_file.storage_name", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        primary_key=True,
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
