"""Moving stored files from the disk store into the database (`flask --app portal files
move-to-database`).

Each file is one unit of work: its encrypted bytes are copied, unchanged, into chunk rows, then
read back from those rows and decrypted, and the plaintext's SHA-256 and length compared with
the disk copy's (decrypted too) and the size on record. Only a file that verifies is committed;
a file whose disk copy is missing or fails its own integrity check is counted and left alone.
A file already in the database is skipped, so the command is idempotent, and after an
interruption it resumes where it stopped (nothing half-moved is ever committed). The disk copies
are kept unless asked to remove them (then only after the database copy committed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select

from portal import audit
from portal.crypto.errors import IntegrityCheckFailed
from portal.db import db
from portal.files.db_store import DatabaseFileStore
from portal.files.models import StoredFile
from portal.files.service import disk_store
from portal.files.store import FileStore, decrypt_chunks
from portal.transaction import transactional

COPY_BYTES = 64 * 1024


@dataclass
class MoveReport:
    moved: int = 0
    already_in_database: int = 0
    missing_on_disk: int = 0
    failed_verification: int = 0
    disk_copies_removed: int = 0
    problems: list[str] = field(default_factory=list)  # stored file ids (opaque) and what went wrong

    @property
    def complete(self) -> bool:
        return not self.missing_on_disk and not self.failed_verification


def _digest(source, stored: StoredFile) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in decrypt_chunks(source, stored.content_key, stored.id):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def move_to_database(*, remove_disk_copies: bool = False, stop_after: int | None = None,
                     progress: Callable[[int], None] | None = None) -> MoveReport:
    """Move every stored file that is not yet in the database. `stop_after` moves at most that
    many (a batch); `progress(n)` is called after each file."""
    report = MoveReport()
    database, disk = DatabaseFileStore(db.engine), disk_store()
    for number, file_id in enumerate(_file_ids(), 1):
        if stop_after is not None and report.moved >= stop_after:
            break
        outcome, name = _move_one(file_id, database, disk)
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome in ("missing_on_disk", "failed_verification"):
            report.problems.append(f"{file_id}: {outcome.replace('_', ' ')}")
        if remove_disk_copies and name and outcome in ("moved", "already_in_database"):
            if disk.exists(name):
                disk.delete(name)
                report.disk_copies_removed += 1
        if progress:
            progress(number)
    return report


@transactional
def _file_ids() -> list:
    return db.session.scalars(select(StoredFile.id).order_by(StoredFile.created_at, StoredFile.id)).all()


@transactional
def _move_one(file_id, database: DatabaseFileStore, disk: FileStore) -> tuple[str, str | None]:
    """The outcome for one file, and its storage name."""
    stored = db.session.get(StoredFile, file_id)
    if stored is None:  # deleted meanwhile
        return "already_in_database", None
    return _copy_and_verify(stored, database, disk), stored.storage_name


def _copy_and_verify(stored: StoredFile, database: DatabaseFileStore, disk: FileStore) -> str:
    if database.exists(stored.storage_name):
        return "already_in_database"
    if not disk.exists(stored.storage_name):
        return "missing_on_disk"
    try:
        with disk.reader(stored.storage_name) as source:
            expected = _digest(source, stored)
    except IntegrityCheckFailed:
        return "failed_verification"
    with disk.reader(stored.storage_name) as source, database.writer(stored.storage_name) as out:
        while block := source.read(COPY_BYTES):
            out.write(block)
    try:
        with database.reader(stored.storage_name) as source:
            copied = _digest(source, stored)
    except IntegrityCheckFailed:
        copied = None
    if copied != expected or expected[1] != stored.size_bytes:
        database.delete(stored.storage_name)
        return "failed_verification"
    audit.record("attachment.moved_to_database", object_type="stored_file", object_id=stored.id)
    return "moved"
