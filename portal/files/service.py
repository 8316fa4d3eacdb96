"""Storing uploads and serving them back.

    from portal.files import FileRefused, attachment_response, store_upload

    try:
        stored = store_upload(form.file.data, uploaded_by=current_user)   # in the caller's unit of work
    except FileRefused as refusal:
        form.file.errors.append(refusal.message)                          # GOV.UK wording

    return attachment_response(stored, "concern:view", concern)          # in a view

`attachment_response` checks the policy (`require(action, obj)`: NotFound if refused), writes an
`attachment.download` audit event in a unit of work of its own (`record_download`), and streams
the decrypted file with headers that make the browser download it rather than render it.

The encrypted bytes follow the transaction of their row: the SQLAlchemy session hooks at the end
of this module delete the bytes of an upload whose transaction rolled back, and the bytes of a
deleted file once its transaction has committed. They never commit anything themselves.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import quote

from flask import Response, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import audit
from portal.db import db
from portal.domain_errors import Invalid
from portal.files.db_store import DatabaseFileStore
from portal.files.models import StoredFile
from portal.files.sniff import EXTENSIONS, Sniffer
from portal.files.store import ChunkEncryptor, FileStore, LocalFileStore, decrypt_chunks, new_storage_name
from portal.policy import require
from portal.transaction import transactional

log = logging.getLogger("portal.files")

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
READ_BYTES = 64 * 1024
MAX_NAME_LENGTH = 200
ALLOWED_DESCRIPTION = "a PDF, JPG, PNG, Word document (DOCX) or text file"


class FileRefused(Invalid):
    """An upload that is not kept. `code` for audit and logs (and the exception's text);
    `message` for the person."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.args = (code,)  # str(error) is the code: a log line never carries the file's name
        self.code = code


def max_bytes() -> int:
    settings = current_app.config["PORTAL_SETTINGS"]
    configured = current_app.config.get("PORTAL_ATTACHMENT_MAX_BYTES") or settings.extra.get("PORTAL_ATTACHMENT_MAX_BYTES")
    return int(configured) if configured else DEFAULT_MAX_BYTES


STORES = ("database", "disk")


def store_kind() -> str:
    """PORTAL_ATTACHMENT_STORE: `database` (the default in production: every node sees every
    file and a database backup holds them) or `disk` (the default in development and test)."""
    settings = current_app.config["PORTAL_SETTINGS"]
    kind = (current_app.config.get("PORTAL_ATTACHMENT_STORE") or settings.extra.get("PORTAL_ATTACHMENT_STORE")
            or ("database" if settings.is_production else "disk")).strip().lower()
    if kind not in STORES:
        raise ValueError("PORTAL_ATTACHMENT_STORE must be 'database' or 'disk'")
    return kind


def disk_store() -> LocalFileStore:
    settings = current_app.config["PORTAL_SETTINGS"]
    root = settings.extra.get("PORTAL_ATTACHMENT_DIR") or Path(current_app.instance_path) / "attachments"
    return LocalFileStore(Path(root))


def file_store() -> FileStore:
    store = current_app.extensions.get("portal_file_store")
    if store is None:
        store = DatabaseFileStore(db.engine) if store_kind() == "database" else disk_store()
        current_app.extensions["portal_file_store"] = store
    return store


def describe_limit(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g}MB"
    return f"{limit / 1024:g}KB"


def too_large_message(limit: int | None = None) -> str:
    return f"The selected file must be smaller than {describe_limit(limit or max_bytes())}"


def allowed_description() -> str:
    """What may be uploaded, for the page that asks for files."""
    return f"Each file must be {ALLOWED_DESCRIPTION}, and smaller than {describe_limit(max_bytes())}."


def clean_name(filename: str | None) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(c for c in name if c.isprintable())[:MAX_NAME_LENGTH]
    return name or "attachment"


def store_upload(upload, *, filename: str | None = None, uploaded_by=None, session: Session | None = None,
                 limit: int | None = None) -> StoredFile:
    """Encrypt and keep an upload (a werkzeug FileStorage or any binary stream).

    The content is read in chunks and encrypted as it arrives; its type is decided from its
    content and its size counted on the way. A refused upload leaves nothing behind and raises
    FileRefused. The StoredFile is added to the session, in the caller's unit of work (if that
    rolls back, the encrypted file is deleted too).
    """
    session = session or db.session
    stream: BinaryIO = getattr(upload, "stream", upload)
    name = clean_name(filename if filename is not None else getattr(upload, "filename", None))
    # `limit`, when given, is the largest size kept (a copy of a stored file passes its own size).
    # The upload limit is what pages call "smaller than 20MB": a file of exactly 20MB is refused.
    described = limit or max_bytes()
    largest = limit if limit else described - 1
    store = file_store()
    stored = StoredFile(storage_name=new_storage_name(), original_name=name,
                        content_key=os.urandom(32), content_type="", size_bytes=0,
                        uploaded_by_id=getattr(uploaded_by, "id", None))
    sniffer = Sniffer()
    key = stored.content_key
    try:
        with store.writer(stored.storage_name) as out:
            encryptor = ChunkEncryptor(out, key, stored.id)
            while True:
                chunk = stream.read(READ_BYTES)
                if not chunk:
                    break
                if sniffer.size + len(chunk) > largest:
                    raise FileRefused("too_large", too_large_message(described))
                sniffer.feed(chunk)
                encryptor.write(chunk)
            encryptor.close()
        if sniffer.size == 0:
            raise FileRefused("empty", "The selected file is empty")
        content_type = sniffer.result()
        if content_type is None:
            raise FileRefused("wrong_type", f"The selected file must be {ALLOWED_DESCRIPTION}")
    except BaseException:
        store.delete(stored.storage_name)
        raise
    stored.content_type = content_type
    stored.size_bytes = sniffer.size
    session.add(stored)
    session.info.setdefault("portal_files_written", []).append(stored.storage_name)
    return stored


def read_chunks(stored: StoredFile) -> Iterator[bytes]:
    """The decrypted content, chunk by chunk. Only after a policy check: see attachment_response."""
    key, file_id, name = stored.content_key, stored.id, stored.storage_name
    store = file_store()

    def generate():
        with store.reader(name) as source:
            yield from decrypt_chunks(source, key, file_id)

    return generate()


def download_name(stored: StoredFile) -> str:
    """The original name, with the extension of the type the content really is."""
    stem, _dot, _ext = stored.original_name.rpartition(".")
    return (stem or stored.original_name) + EXTENSIONS.get(stored.content_type, "")


def attachment_response(stored: StoredFile, action: str, obj) -> Response:
    """Serve a stored file to the signed-in user, if the policy allows `action` on `obj`."""
    record_download(stored, action, obj)
    name = download_name(stored)
    # content_type, not mimetype: the stored type may carry its charset ("text/plain; charset=utf-8"),
    # and werkzeug adds one to a mimetype, which gave "charset=utf-8; charset=utf-8".
    response = Response(read_chunks(stored), content_type=stored.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(stored.size_bytes)
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "") or "attachment"
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@transactional
def record_download(stored: StoredFile, action: str, obj) -> None:
    """The policy check and the audit event of a download, committed before a byte is sent."""
    require(action, obj)
    audit.record("attachment.download", object_type="stored_file", object_id=stored.id)


def delete_stored(stored: StoredFile, session: Session | None = None) -> None:
    """Remove the row now and the encrypted bytes when the transaction commits."""
    session = session or db.session
    session.info.setdefault("portal_files_deleted", []).append(stored.storage_name)
    session.delete(stored)


# Files follow their transaction: written then rolled back -> deleted; deleted then committed ->
# removed from the store.
@event.listens_for(Session, "after_commit")
def _after_commit(session):
    deleted = session.info.pop("portal_files_deleted", [])
    session.info.pop("portal_files_written", None)
    store = _store_or_none() if deleted else None
    for name in deleted if store is not None else ():
        store.delete(name)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    for name in session.info.pop("portal_files_written", []):
        store = _store_or_none()
        if store is not None:
            store.delete(name)
    session.info.pop("portal_files_deleted", None)


def _store_or_none() -> FileStore | None:
    try:
        return file_store()
    except RuntimeError:  # no app context
        return None
