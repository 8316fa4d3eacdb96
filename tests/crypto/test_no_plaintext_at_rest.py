"""Neither the raw SQLite file nor a PostgreSQL dump holds any of the test plaintexts."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from portal.db import db
from portal.files import store_upload
from tests.crypto.models import Child

PLAINTEXTS = ["Quillfeather", "Marisol", "Thistlewood", "ZX9 8QW", "B801200005001", "disclosed bruising"]


def _store_everything():
    for i in range(5):
        db.session.add(Child(surname=f"Quillfeather{i}", forename="Marisol", date_of_birth=date(2013, 5, 17),
                             upn="B801200005001", details={"address": "7 Thistlewood Lane, ZX9 8QW",
                                                           "note": "disclosed bruising"}))
    store_upload(io.BytesIO(b"Marisol disclosed bruising to Thistlewood staff"), filename="Quillfeather.txt")
    db.session.commit()


def _assert_absent(blob: bytes, where: str):
    for plaintext in PLAINTEXTS + ["2013-05-17"]:
        for encoded in {plaintext.encode(), plaintext.encode("utf-16-le")}:
            assert encoded not in blob, f"{plaintext!r} found in {where}"


def test_the_sqlite_database_file_holds_no_plaintext(app, tables):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    _store_everything()
    db.session.close()
    db.engine.dispose()  # everything flushed to the file
    path = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if candidate.exists():
            _assert_absent(candidate.read_bytes(), candidate.name)
    for blob in (Path(app.instance_path) / "attachments").rglob("*"):
        if blob.is_file():
            _assert_absent(blob.read_bytes(), "the attachment store")
            blob.unlink()


def test_a_postgresql_dump_holds_no_plaintext(app, tables):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    _store_everything()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
         "-U", url.username or "postgres", url.database],
        capture_output=True, check=True, env={"PGPASSWORD": url.password or "", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert b"crypto_test_child" in dump and b"v1:" in dump  # the data is really in the dump
    _assert_absent(dump, "the PostgreSQL dump")
    for blob in (Path(app.instance_path) / "attachments").rglob("*"):
        if blob.is_file():
            blob.unlink()
