"""Attachments kept in the database (PORTAL_ATTACHMENT_STORE=database): the same encrypted chunk
format, one row per chunk, streamed both ways, committed and rolled back with their record."""

from __future__ import annotations

import io
from dataclasses import replace
import os
import threading
import tracemalloc

import pytest
from sqlalchemy import func, select, update

from portal.concerns.drafts import attach_files
from portal.concerns.models import Concern, ConcernAttachment, ConcernDraft
from portal.crypto import IntegrityCheckFailed
from portal.db import db
from portal.files import FileRefused, delete_stored, read_chunks, store_upload
from portal.files.db_store import DatabaseFileStore
from portal.files.models import StoredFile, StoredFileChunk
from portal.files.service import file_store, store_kind
from portal.files.store import CHUNK_BYTES, HEADER_BYTES, TAG_BYTES
from portal.transaction import unit_of_work
from tests.crypto.test_attachments import PDF_BYTES, Generated
from tests.factories import make_concern, school_with_people


@pytest.fixture
def database_store(app, monkeypatch):
    store = DatabaseFileStore(db.engine)
    monkeypatch.setitem(app.extensions, "portal_file_store", store)
    return store


def _chunk_rows(name: str | None = None) -> list[StoredFileChunk]:
    query = select(StoredFileChunk).order_by(StoredFileChunk.storage_name, StoredFileChunk.seq)
    if name:
        query = query.where(StoredFileChunk.storage_name == name)
    return list(db.session.scalars(query))


def _read_all(stored) -> bytes:
    return b"".join(read_chunks(stored))


def test_production_keeps_attachments_in_the_database_and_development_on_disk(app, monkeypatch):
    settings = app.config["PORTAL_SETTINGS"]
    assert store_kind() == "disk"  # test and development
    monkeypatch.setitem(app.config, "PORTAL_SETTINGS", replace(settings, env="production"))
    assert store_kind() == "database"
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_STORE", "disk")
    assert store_kind() == "disk"
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_STORE", "database")
    monkeypatch.setitem(app.extensions, "portal_file_store", None)  # undone after the test
    assert isinstance(file_store(), DatabaseFileStore)


def test_a_file_is_one_row_per_encrypted_chunk_and_reads_back_exactly(app, database_store):
    content = b"%PDF-1.4\n" + os.urandom(2 * CHUNK_BYTES + 1000)
    stored = store_upload(io.BytesIO(content), filename="Disclosure by Jane Doe.pdf")
    db.session.commit()
    rows = _chunk_rows(stored.storage_name)
    assert [row.seq for row in rows] == [0, 1, 2, 3]
    assert [len(row.data) for row in rows] == [HEADER_BYTES, CHUNK_BYTES + TAG_BYTES, CHUNK_BYTES + TAG_BYTES,
                                               len(content) - 2 * CHUNK_BYTES + TAG_BYTES]
    assert rows[0].data.startswith(b"SGPF\x01")
    assert all(content[9:200] not in row.data for row in rows)
    assert _read_all(stored) == content
    assert not (file_store() is database_store and __import__("pathlib").Path(app.instance_path, "attachments",
                stored.storage_name[:2], stored.storage_name).exists())


def test_a_download_streams_after_the_request_on_a_connection_of_its_own(app, database_store):
    content = b"%PDF-1.4\n" + os.urandom(3 * CHUNK_BYTES)
    stored = store_upload(io.BytesIO(content), filename="a.pdf")
    db.session.commit()
    chunks = read_chunks(stored)
    result = {}

    def stream():  # no app context here, as when the WSGI server sends the body
        result["content"] = b"".join(chunks)

    thread = threading.Thread(target=stream)
    thread.start()
    thread.join()
    assert result["content"] == content


def test_a_50mb_file_streams_into_and_out_of_the_database_without_sitting_in_memory(app, database_store, monkeypatch):
    size = 50 * 1024 * 1024
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_MAX_BYTES", 60 * 1024 * 1024)
    tracemalloc.start()
    try:
        stored = store_upload(Generated(size), filename="scan.pdf")
        db.session.commit()
        total = 0
        for chunk in read_chunks(stored):
            total += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size == stored.size_bytes
    assert db.session.scalar(select(func.count()).select_from(StoredFileChunk)) == 1 + -(-size // CHUNK_BYTES)
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes"


def test_an_oversize_upload_is_refused_and_leaves_no_row_while_the_rest_commits(app, database_store, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_MAX_BYTES", 3 * CHUNK_BYTES)
    with pytest.raises(FileRefused) as refusal:
        store_upload(Generated(5 * CHUNK_BYTES), filename="big.pdf")
    assert refusal.value.code == "too_large"
    kept = store_upload(io.BytesIO(PDF_BYTES), filename="small.pdf")
    db.session.commit()  # the deferred foreign key finds no chunk without its file
    assert [row.storage_name for row in _chunk_rows()] == [kept.storage_name] * 2
    with pytest.raises(FileRefused, match="wrong_type"):
        store_upload(io.BytesIO(b"\x00\x01binary" * 10000), filename="x.exe")
    with pytest.raises(FileRefused, match="empty"):
        store_upload(io.BytesIO(b""), filename="x.txt")
    db.session.commit()
    assert len(_chunk_rows()) == 2


def test_a_refused_file_among_a_drafts_uploads_leaves_the_others_committed_with_the_draft(app, database_store, monkeypatch):
    from werkzeug.datastructures import FileStorage

    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_MAX_BYTES", 2 * CHUNK_BYTES)
    school = school_with_people()
    draft = ConcernDraft(school_id=school.school.id, user_id=school.staff.id, data={})
    db.session.add(draft)
    db.session.commit()
    refusals = attach_files(school.staff, draft, [
        FileStorage(io.BytesIO(PDF_BYTES), filename="letter.pdf"),
        FileStorage(Generated(4 * CHUNK_BYTES), filename="huge.pdf"),
    ])
    assert refusals == ["huge.pdf: The selected file must be smaller than 128KB"]
    files = db.session.scalars(select(StoredFile)).all()
    assert len(files) == 1
    assert {row.storage_name for row in _chunk_rows()} == {files[0].storage_name}
    assert _read_all(files[0]) == PDF_BYTES


def test_a_concern_and_its_files_commit_together_or_not_at_all(app, database_store):
    school = school_with_people()
    with pytest.raises(RuntimeError):
        with unit_of_work():
            concern = make_concern(school.school, school.pupil, school.staff, commit=False)
            stored = store_upload(io.BytesIO(PDF_BYTES), filename="bruise.pdf", uploaded_by=school.staff)
            db.session.flush()
            db.session.add(ConcernAttachment(concern_id=concern.id, stored_file_id=stored.id, added_by_id=school.staff.id))
            db.session.flush()
            raise RuntimeError("the submission failed after the file was written")
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert _chunk_rows() == []

    with unit_of_work():
        concern = make_concern(school.school, school.pupil, school.staff, commit=False)
        stored = store_upload(io.BytesIO(PDF_BYTES), filename="bruise.pdf", uploaded_by=school.staff)
        db.session.flush()
        db.session.add(ConcernAttachment(concern_id=concern.id, stored_file_id=stored.id, added_by_id=school.staff.id))
    db.session.expire_all()
    attachment = db.session.scalars(select(ConcernAttachment)).one()
    assert _read_all(db.session.get(StoredFile, attachment.stored_file_id)) == PDF_BYTES


def test_deleting_a_file_deletes_its_chunks_in_the_same_transaction(app, database_store):
    stored = store_upload(io.BytesIO(PDF_BYTES), filename="a.pdf")
    other = store_upload(io.BytesIO(PDF_BYTES), filename="b.pdf")
    db.session.commit()
    delete_stored(stored)
    db.session.flush()
    assert {row.storage_name for row in _chunk_rows()} == {other.storage_name}
    db.session.rollback()
    assert {row.storage_name for row in _chunk_rows()} == {stored.storage_name, other.storage_name}
    delete_stored(db.session.get(StoredFile, stored.id))
    db.session.commit()
    assert {row.storage_name for row in _chunk_rows()} == {other.storage_name}


@pytest.mark.parametrize("tamper", ["flip a byte", "drop the last chunk", "swap two chunks", "another file's chunk"])
def test_a_tampered_chunk_is_refused(app, database_store, tamper):
    content = b"%PDF-1.4\n" + os.urandom(3 * CHUNK_BYTES)
    stored = store_upload(io.BytesIO(content), filename="a.pdf")
    other = store_upload(io.BytesIO(content), filename="b.pdf")
    db.session.commit()
    rows = {row.seq: bytes(row.data) for row in _chunk_rows(stored.storage_name)}
    table = StoredFileChunk.__table__

    def put(seq, data):
        db.session.execute(update(table).where(table.c.storage_name == stored.storage_name, table.c.seq == seq)
                           .values(data=data))

    if tamper == "flip a byte":
        put(2, rows[2][:10] + bytes([rows[2][10] ^ 1]) + rows[2][11:])
    elif tamper == "drop the last chunk":
        db.session.execute(table.delete().where(table.c.storage_name == stored.storage_name, table.c.seq == max(rows)))
    elif tamper == "swap two chunks":
        put(1, rows[2])
        put(2, rows[1])
    else:
        put(1, next(row.data for row in _chunk_rows(other.storage_name) if row.seq == 1))
    db.session.commit()
    with pytest.raises(IntegrityCheckFailed):
        _read_all(stored)
