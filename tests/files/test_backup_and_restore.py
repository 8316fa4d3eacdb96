"""A backup that restores: pg_dump of the portal's database, restored into a fresh database, read
back with the same master key (encrypted fields and attachments alike); with another master key
the portal refuses to start and changes nothing. The procedure is docs/operations.md's."""

from __future__ import annotations

import base64
import io
import os
import subprocess

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import ConfigurationError
from portal.crypto.models import DataKey
from portal.db import db
from portal.files import read_chunks, store_upload
from portal.files.db_store import DatabaseFileStore
from portal.files.models import StoredFile
from portal.pupils.models import Pupil
from tests.conftest import environ_for_tests
from tests.databases import throwaway_database
from tests.factories import make_pupil, make_school

CONTENT = b"%PDF-1.4\n" + os.urandom(200_000)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def dumped(app, monkeypatch, tmp_path):
    """A pupil and an attachment (in the database store), and a pg_dump of the database."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_dump and pg_restore need PostgreSQL (PORTAL_TEST_DATABASE_URL); on SQLite, "
                    "where attachments stay on disk, a backup is a copy of the file and the folder")
    monkeypatch.setitem(app.extensions, "portal_file_store", DatabaseFileStore(db.engine))
    pupil = make_pupil(make_school(), forename="Oriana", surname="Blackwater-Tse")
    stored = store_upload(io.BytesIO(CONTENT), filename="medical letter.pdf")
    db.session.commit()
    dump = tmp_path / "portal.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                    _libpq(db.engine.url.render_as_string(hide_password=False))], check=True)
    return dump, pupil.id, stored.id


def _restore(dump, url: str) -> None:
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(url)}", str(dump)], check=True)


def test_a_dump_restored_into_a_fresh_database_reads_back_with_the_same_key(app, dumped, tmp_path):
    dump, pupil_id, file_id = dumped
    with throwaway_database(tmp_path, "restore") as url:
        _restore(dump, url)
        # The same master key: the suite's instance folder holds it (instance/master.key).
        restored = create_app(environ_for_tests(url, app.instance_path))
        with restored.app_context():
            pupil = db.session.get(Pupil, pupil_id)
            assert (pupil.legal_forename, pupil.legal_surname) == ("Oriana", "Blackwater-Tse")
            restored.extensions["portal_file_store"] = DatabaseFileStore(db.engine)
            assert b"".join(read_chunks(db.session.get(StoredFile, file_id))) == CONTENT
            db.session.remove()
            db.engine.dispose()


def test_with_another_master_key_the_restored_portal_refuses_to_start_and_changes_nothing(app, dumped, tmp_path):
    dump, _pupil_id, _file_id = dumped
    with throwaway_database(tmp_path, "restore") as url:
        _restore(dump, url)
        environ = environ_for_tests(url, tmp_path / "elsewhere")  # a machine with another key
        environ["PORTAL_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.connect() as connection:
            before = connection.execute(select(DataKey.__table__)).all()
        with pytest.raises(ConfigurationError) as refusal:
            create_app(environ)
        assert "the master key cannot open the stored data keys" in str(refusal.value)
        assert "Nothing was changed" in str(refusal.value)
        with engine.connect() as connection:
            assert connection.execute(select(DataKey.__table__)).all() == before
        engine.dispose()
