"""`flask --app portal files move-to-database`: every file on disk copied into the database and
verified; resumable after an interruption and idempotent."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.db import db
from portal.files import read_chunks, store_upload
from portal.files import move as move_module
from portal.files.db_store import DatabaseFileStore
from portal.files.models import StoredFile, StoredFileChunk
from portal.files.service import disk_store
from portal.files.store import CHUNK_BYTES


@pytest.fixture
def files_on_disk(app, monkeypatch, tmp_path):
    """Three files written by the disk store (as a portal before this change kept them)."""
    monkeypatch.setitem(app.config["PORTAL_SETTINGS"].extra, "PORTAL_ATTACHMENT_DIR", str(tmp_path / "attachments"))
    monkeypatch.setitem(app.extensions, "portal_file_store", disk_store())
    contents = [b"%PDF-1.4\n" + os.urandom(size) for size in (100, CHUNK_BYTES * 2 + 7, 5000)]
    stored = [store_upload(io.BytesIO(content), filename=f"file{n}.pdf") for n, content in enumerate(contents)]
    db.session.commit()
    return list(zip(stored, contents))


def _use_database_store(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "portal_file_store", DatabaseFileStore(db.engine))


def _move(app, *args):
    return app.test_cli_runner().invoke(args=["files", "move-to-database", *args])


def _chunk_files() -> set[str]:
    return set(db.session.scalars(select(StoredFileChunk.storage_name).distinct()))


def test_every_file_is_moved_verified_and_then_read_from_the_database(app, files_on_disk, monkeypatch):
    result = _move(app)
    assert result.exit_code == 0, result.output
    assert "Moved and verified: 3" in result.output
    assert "Already in the database: 0" in result.output
    _use_database_store(app, monkeypatch)
    db.session.expire_all()
    for stored, content in files_on_disk:
        assert b"".join(read_chunks(db.session.get(StoredFile, stored.id))) == content
    events = db.session.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.action == "attachment.moved_to_database"))
    assert events == 3
    assert all(disk_store().exists(stored.storage_name) for stored, _ in files_on_disk)  # kept unless asked


def test_running_it_again_changes_nothing(app, files_on_disk):
    assert _move(app).exit_code == 0
    before = db.session.scalar(select(func.count()).select_from(StoredFileChunk))
    again = _move(app)
    assert again.exit_code == 0
    assert "Moved and verified: 0" in again.output and "Already in the database: 3" in again.output
    assert db.session.scalar(select(func.count()).select_from(StoredFileChunk)) == before


def test_it_resumes_after_an_interruption_with_nothing_half_moved(app, files_on_disk, monkeypatch):
    real_digest, calls = move_module._digest, []

    def interrupted(source, stored):  # the second file's read-back is cut short (a crash, a kill)
        calls.append(stored.id)
        if len(calls) == 4:
            raise ConnectionError("the process was killed")
        return real_digest(source, stored)

    monkeypatch.setattr(move_module, "_digest", interrupted)
    result = _move(app)
    assert isinstance(result.exception, ConnectionError)
    db.session.rollback()
    assert _chunk_files() == {files_on_disk[0][0].storage_name}  # the first committed; the second rolled back whole
    monkeypatch.setattr(move_module, "_digest", real_digest)
    resumed = _move(app)
    assert resumed.exit_code == 0
    assert "Moved and verified: 2" in resumed.output and "Already in the database: 1" in resumed.output
    assert _chunk_files() == {stored.storage_name for stored, _ in files_on_disk}


def test_a_batch_moves_that_many_and_stops(app, files_on_disk):
    result = _move(app, "--batch", "2")
    assert "Moved and verified: 2" in result.output
    assert len(_chunk_files()) == 2


def test_a_damaged_or_missing_disk_copy_is_reported_and_not_moved(app, files_on_disk):
    damaged, missing = files_on_disk[0][0], files_on_disk[1][0]
    path = disk_store()._path(damaged.storage_name)
    data = bytearray(path.read_bytes())
    data[30] ^= 1
    path.write_bytes(bytes(data))
    disk_store().delete(missing.storage_name)
    result = _move(app)
    assert result.exit_code == 1
    assert "Moved and verified: 1" in result.output
    assert "Missing on disk: 1" in result.output
    assert "Failed verification (left on disk, not moved): 1" in result.output
    assert f"stored file {damaged.id}: failed verification" in result.output
    assert "file0" not in result.output and "file1" not in result.output  # ids only, never names
    assert _chunk_files() == {files_on_disk[2][0].storage_name}


def test_disk_copies_are_removed_only_when_asked_and_only_after_the_move(app, files_on_disk):
    result = _move(app, "--remove-disk-copies")
    assert result.exit_code == 0, result.output
    assert "Disk copies removed: 3" in result.output
    assert not any(disk_store().exists(stored.storage_name) for stored, _ in files_on_disk)
    assert len(_chunk_files()) == 3
