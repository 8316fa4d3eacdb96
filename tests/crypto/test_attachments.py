"""Encrypted attachments: streamed in chunks, checked by content and size, served via policy."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile

import pytest

from portal import policy
from portal.crypto import IntegrityCheckFailed
from portal.db import db
from portal.files import FileRefused, attachment_response, read_chunks, store_upload
from portal.files.models import StoredFile
from portal.files.service import file_store
from portal.files.sniff import DOCX, JPEG, PDF, PNG, TEXT
from portal.files.store import CHUNK_BYTES

PDF_BYTES = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 50 + b"%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + os.urandom(500)
JPEG_BYTES = b"\xff\xd8\xff\xe0" + os.urandom(500) + b"\xff\xd9"


def _docx(extra: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>Secret pupil words</w:document>")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


class Generated(io.RawIOBase):
    """A stream of `size` bytes made on demand, so the test itself holds no large buffer."""

    def __init__(self, size: int, head: bytes = b"%PDF-1.7\n"):
        self.remaining, self.head = size, head

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.remaining if n < 0 else min(n, self.remaining)
        if n <= 0:
            return b""
        if self.head:
            piece, self.head = self.head[:n], self.head[n:]
        else:
            piece = b"x" * n
        self.remaining -= len(piece)
        return piece


def _read_all(stored) -> bytes:
    return b"".join(read_chunks(stored))


@pytest.mark.parametrize(
    "content, name, expected",
    [
        (PDF_BYTES, "Report.pdf", PDF),
        (PNG_BYTES, "photo.png", PNG),
        (JPEG_BYTES, "photo.jpeg", JPEG),
        (_docx(), "notes.docx", DOCX),
        ("Pupil said: “I don’t want to go home.”\r\n\tEnd.".encode(), "note.txt", TEXT),
    ],
)
def test_accepted_types_are_detected_by_content_and_round_trip(app, content, name, expected):
    stored = store_upload(io.BytesIO(content), filename=name)
    db.session.commit()
    assert stored.content_type == expected
    assert stored.size_bytes == len(content)
    assert _read_all(db.session.get(StoredFile, stored.id)) == content


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(200),  # a Windows executable
        _docx({"word/vbaProject.bin": "macro"}),  # a macro-enabled document
        b"PK\x03\x04" + os.urandom(100),  # some other zip
        "text in UTF-16".encode("utf-16"),
        b"plain text with a NUL\x00 byte",
        b"<html><script>alert(1)</script>\x01</html>",
    ],
)
def test_wrong_types_are_refused_and_leave_nothing_behind(app, content, tmp_path):
    with pytest.raises(FileRefused) as refusal:
        store_upload(io.BytesIO(content), filename="innocent.pdf")
    assert refusal.value.code == "wrong_type"
    assert "must be a PDF, JPG, PNG, Word document (DOCX) or text file" in refusal.value.message
    assert _stored_blobs() == []
    assert len(db.session.new) == 0


def test_a_pdf_named_as_a_photo_is_served_as_a_pdf(app):
    stored = store_upload(io.BytesIO(PDF_BYTES), filename="holiday.jpg")
    assert stored.content_type == PDF
    from portal.files import download_name

    assert download_name(stored) == "holiday.pdf"


def test_oversize_uploads_are_refused_without_reading_the_rest(app):
    stream = Generated(30 * 1024 * 1024)
    with pytest.raises(FileRefused) as refusal:
        store_upload(stream, filename="big.pdf")
    assert refusal.value.code == "too_large"
    assert refusal.value.message == "The selected file must be smaller than 20MB"
    assert stream.remaining > 9 * 1024 * 1024  # stopped at the limit
    assert _stored_blobs() == []


def test_the_size_limit_is_configurable(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_MAX_BYTES", 1024)
    with pytest.raises(FileRefused, match="too_large"):
        store_upload(io.BytesIO(PDF_BYTES + b" " * 2000), filename="a.pdf")
    store_upload(io.BytesIO(b"%PDF-1.4\n" + b" " * 1000), filename="b.pdf")


def test_empty_uploads_are_refused(app):
    with pytest.raises(FileRefused, match="empty"):
        store_upload(io.BytesIO(b""), filename="a.txt")


def test_a_50mb_file_streams_in_and_out_without_sitting_in_memory(app, monkeypatch):
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
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes"


def test_files_on_disk_are_encrypted_and_randomly_named(app):
    content = b"Pupil disclosed a secret at break time. " * 100
    stored = store_upload(io.BytesIO(content), filename="Jane Doe disclosure.txt")
    db.session.commit()
    blobs = _stored_blobs()
    assert len(blobs) == 1
    assert blobs[0].name == stored.storage_name and "Jane" not in str(blobs[0])
    raw = blobs[0].read_bytes()
    assert b"secret" not in raw and b"Pupil" not in raw
    assert stored.original_name == "Jane Doe disclosure.txt"
    assert stored._original_name_ciphertext.startswith("v1:")


def test_a_tampered_or_truncated_file_is_refused(app):
    stored = store_upload(io.BytesIO(b"%PDF-1.4\n" + os.urandom(3 * CHUNK_BYTES)), filename="a.pdf")
    db.session.commit()
    blob = _stored_blobs()[0]
    original = blob.read_bytes()
    blob.write_bytes(original[: 12 + CHUNK_BYTES + 16])  # drop the later chunks
    with pytest.raises(IntegrityCheckFailed):
        _read_all(stored)
    flipped = bytearray(original)
    flipped[100] ^= 1
    blob.write_bytes(bytes(flipped))
    with pytest.raises(IntegrityCheckFailed):
        _read_all(stored)


def test_a_rolled_back_upload_leaves_no_file(app):
    store_upload(io.BytesIO(PDF_BYTES), filename="a.pdf")
    db.session.rollback()
    assert _stored_blobs() == []


def test_downloads_go_through_the_policy_and_are_audited(app, monkeypatch):
    from flask_login import login_user

    from portal.audit.models import AuditEvent
    from tests.factories import make_user

    user = make_user("dsl")
    owner = object()
    monkeypatch.setitem(policy.RULES, "crypto_test:view", lambda u, obj: obj is owner)
    stored = store_upload(io.BytesIO(PDF_BYTES), filename="Report – Smith.pdf", uploaded_by=user)
    db.session.commit()
    with app.test_request_context("/"):
        login_user(user)
        response = attachment_response(stored, "crypto_test:view", owner)
        assert response.status_code == 200
        assert b"".join(response.response) == PDF_BYTES
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="Report  Smith.pdf"')
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        events = db.session.query(AuditEvent).filter_by(action="attachment.download").all()
        assert [e.object_id for e in events] == [str(stored.id)]
        from portal.domain_errors import NotFound  # the policy refuses another record as not found

        with pytest.raises(NotFound):
            attachment_response(stored, "crypto_test:view", object())


def _stored_blobs():
    root = file_store().root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(autouse=True)
def _empty_store(app):
    yield
    for blob in _stored_blobs():
        blob.unlink()
