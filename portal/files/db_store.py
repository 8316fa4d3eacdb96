"""The database file store: a stored file's encrypted bytes as rows of `stored_file_chunk`.

The production default (PORTAL_ATTACHMENT_STORE=database): every node sees every file, a file
commits or rolls back with the record it belongs to, and a backup of the database is a backup of
everything. The bytes are those of the disk format (portal/files/store.py), cut at its chunk
boundaries: row 0 the header, row n the n-th encrypted chunk.

Writing goes through the caller's transaction (`db.session.connection()`), one row per chunk as
the upload streams in: nothing is kept in memory beyond one chunk, and a rolled-back upload
leaves no row. Reading fetches one row at a time: inside an app context through the current
session (so a file written in the same transaction can be read back), and outside one (a
download streaming after the request has ended) through a connection of its own, returned to the
pool as soon as the last chunk is read or the client goes away.
"""

from __future__ import annotations

from flask import has_app_context
from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portal.db import db
from portal.files.models import StoredFile, StoredFileChunk
from portal.files.store import CHUNK_BYTES, HEADER_BYTES, TAG_BYTES, FileStore

CHUNKS = StoredFileChunk.__table__
ROW_BYTES = CHUNK_BYTES + TAG_BYTES


class DatabaseFileStore(FileStore):
    def __init__(self, engine: Engine):
        self.engine = engine

    def writer(self, name: str) -> "ChunkRowWriter":
        return ChunkRowWriter(name)

    def reader(self, name: str) -> "ChunkRowReader":
        return ChunkRowReader(name, self.engine)

    def delete(self, name: str) -> None:
        statement = delete(CHUNKS).where(CHUNKS.c.storage_name == name)
        session = _session_in_transaction()
        if session is not None:
            session.connection().execute(statement)
        else:  # after a commit or rollback (portal/files/service.py's hooks): a short one of its own
            with self.engine.begin() as connection:
                connection.execute(statement)

    def exists(self, name: str) -> bool:
        statement = select(CHUNKS.c.seq).where(CHUNKS.c.storage_name == name, CHUNKS.c.seq == 0)
        if has_app_context():
            return db.session.connection().execute(statement).first() is not None
        with self.engine.connect() as connection:
            return connection.execute(statement).first() is not None


def _session_in_transaction() -> Session | None:
    """The app context's session if it is inside a live transaction (not while one is ending)."""
    if not has_app_context():
        return None
    session = db.session()
    transaction = session.get_transaction()
    return session if transaction is not None and transaction.is_active else None


class ChunkRowWriter:
    """A write-only binary stream that cuts what it is given into chunk rows."""

    def __init__(self, name: str):
        self.name = name
        self._connection = db.session.connection()
        self._buffer = bytearray()
        self._seq = 0
        self.closed = False

    def _row_size(self) -> int:
        return HEADER_BYTES if self._seq == 0 else ROW_BYTES

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) >= self._row_size():
            size = self._row_size()
            self._insert(bytes(self._buffer[:size]))
            del self._buffer[:size]
        return len(data)

    def _insert(self, data: bytes) -> None:
        self._connection.execute(insert(CHUNKS), {"storage_name": self.name, "seq": self._seq, "data": data})
        self._seq += 1

    def close(self) -> None:
        if not self.closed and self._buffer:
            self._insert(bytes(self._buffer))
            self._buffer.clear()
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.closed = True
        return False


class ChunkRowReader:
    """A read-only binary stream over a file's chunk rows, fetched one row at a time."""

    def __init__(self, name: str, engine: Engine):
        self.name = name
        self._engine = engine
        self._connection = None
        self._own_connection = False
        self._seq = 0
        self._row = b""
        self._position = 0
        self._finished = False

    def _fetch(self) -> bool:
        if self._finished:
            return False
        if self._connection is None:
            if has_app_context():
                self._connection = db.session.connection()
            else:
                self._connection = self._engine.connect()
                self._own_connection = True
        data = self._connection.execute(
            select(CHUNKS.c.data).where(CHUNKS.c.storage_name == self.name, CHUNKS.c.seq == self._seq)
        ).scalar()
        if data is None:
            self._finished = True
            self._release()
            return False
        self._row, self._position, self._seq = bytes(data), 0, self._seq + 1
        return True

    def read(self, size: int = -1) -> bytes:
        pieces = []
        wanted = size if size >= 0 else float("inf")
        while wanted > 0:
            if self._position >= len(self._row) and not self._fetch():
                break
            piece = self._row[self._position:self._position + int(min(wanted, len(self._row) - self._position))]
            self._position += len(piece)
            wanted -= len(piece)
            pieces.append(piece)
        return b"".join(pieces)

    def _release(self) -> None:
        if self._own_connection and self._connection is not None:
            self._connection.close()
        self._connection = None
        self._own_connection = False

    def close(self) -> None:
        self._finished = True
        self._release()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False


@event.listens_for(Session, "before_flush")
def _delete_chunks_with_their_file(session, flush_context, instances):
    """A deleted StoredFile takes its chunk rows with it, in the same transaction (SQLite does
    not enforce the foreign key's ON DELETE CASCADE)."""
    names = [obj.storage_name for obj in session.deleted if isinstance(obj, StoredFile)]
    if names:
        session.connection().execute(delete(CHUNKS).where(CHUNKS.c.storage_name.in_(names)))
