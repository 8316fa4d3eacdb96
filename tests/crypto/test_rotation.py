"""Key rotation: batched, resumable after a crash, safe while the portal keeps writing."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select, text

from portal import create_app
from portal.config import ConfigurationError
from portal.crypto import KeyringError, lookup
from portal.crypto.cipher import encrypt
from portal.crypto.fields import keyring
from portal.crypto.models import PURPOSE_FIELD, DataKey
from portal.crypto.rotation import rotate, status
from portal.db import db
from tests.conftest import environ_for_tests
from tests.crypto.models import Child


class Crash(Exception):
    pass


def _children(n: int, prefix: str = "Surname") -> list:
    ids = []
    for i in range(n):
        child = Child(surname=f"{prefix}{i}", forename=f"Forename{i}", date_of_birth=date(2014, 1, 1 + i % 28),
                      upn=f"A{i:012d}", details={"n": i})
        db.session.add(child)
        ids.append(child.id)
    db.session.commit()
    return ids


def _raw_rows():
    return db.session.execute(
        text("SELECT surname, forename, date_of_birth, upn, details, upn_index, surname_dob_index FROM crypto_test_child")
    ).mappings().all()


def _field_kids(rows) -> set[str]:
    columns = ("surname", "forename", "date_of_birth", "upn", "details")
    return {row[c].split(":")[1] for row in rows for c in columns if row[c] is not None}


def _index_kids(rows) -> set[str]:
    return {row[c].split(":")[0] for row in rows for c in ("upn_index", "surname_dob_index") if row[c] is not None}


def _keys() -> dict[str, str]:
    return {k.kid: k.state for k in db.session.execute(select(DataKey)).scalars()}


def _quiet(_message):
    pass


def test_rotation_re_encrypts_every_value_and_index_then_retires_the_old_keys(tables):
    ids = _children(25)
    old_field, old_index = _field_kids(_raw_rows()), _index_kids(_raw_rows())
    report = rotate(models=[Child], batch_size=7, echo=_quiet)
    db.session.expire_all()
    rows = _raw_rows()
    assert _field_kids(rows) == {report.field_kid} and _index_kids(rows) == {report.index_kid}
    assert not (old_field | old_index) & {report.field_kid, report.index_kid}
    assert report.rows_rewritten == 25 and set(report.retired) == old_field | old_index
    assert {kid: state for kid, state in _keys().items() if kid in old_field | old_index} == {
        kid: "retired" for kid in old_field | old_index
    }
    child = db.session.get(Child, ids[3])
    assert (child.surname, child.details) == ("Surname3", {"n": 3})
    assert lookup(Child.surname_dob_index, "surname3", date(2014, 1, 4)) == [child]
    assert lookup(Child.upn_index, f"a{3:012d}") == [child]


def test_a_crashed_rotation_resumes_where_it_stopped(tables):
    _children(30)
    batches = []

    def crash_after_two(table, rewritten):
        batches.append(rewritten)
        if len(batches) == 2:
            raise Crash()

    with pytest.raises(Crash):
        rotate(models=[Child], batch_size=5, after_batch=crash_after_two, echo=_quiet)
    with db.engine.connect() as connection:
        midway = status(connection, [Child])
    assert midway.unfinished_rotation is not None
    assert midway.unfinished_rotation["tables"]["crypto_test_child"] == (10, False)
    new_field = midway.unfinished_rotation["field_kid"]
    assert midway.per_column[("crypto_test_child", "surname")][new_field] == 10
    # Mid-way, values under both keys read, and lookups find rows under either index key.
    db.session.expire_all()
    assert {c.surname for c in db.session.execute(select(Child)).scalars()} == {f"Surname{i}" for i in range(30)}
    assert len(lookup(Child.upn_index, f"A{0:012d}")) == 1
    assert len(lookup(Child.upn_index, f"A{29:012d}")) == 1

    report = rotate(models=[Child], batch_size=5, echo=_quiet)
    assert report.resumed and report.field_kid == new_field
    assert report.rows_rewritten == 20  # the first ten were not done again
    db.session.expire_all()
    assert _field_kids(_raw_rows()) == {new_field}
    with db.engine.connect() as connection:
        assert status(connection, [Child]).unfinished_rotation is None


def test_rotation_while_writes_continue_loses_no_edit(tables):
    ids = _children(20)
    old_field_key = keyring().current(PURPOSE_FIELD, db.session.connection())
    db.session.commit()
    new_ids = []

    def portal_keeps_writing(table, rewritten):
        if len(new_ids) >= 9:
            return  # three rounds of writes, then let the rotation finish
        # A row already rewritten, and one not yet reached, are edited in between batches...
        for child_id in (ids[0], ids[-1]):
            child = db.session.get(Child, child_id)
            child.surname = child.surname + " edited"
        # ...new rows arrive...
        new_ids.extend(_children(2, prefix=f"New{len(new_ids)}-"))
        # ...and a process that still has the old key cached writes a row under it.
        stale = Child(surname="placeholder")
        db.session.add(stale)
        db.session.flush()
        value = encrypt(keyring(), db.session.connection(), b"Stale", table="crypto_test_child",
                        column="surname", row_id=stale.id, key=old_field_key)
        db.session.execute(Child.__table__.update().where(Child.__table__.c.id == stale.id).values(surname=value))
        db.session.commit()
        new_ids.append(stale.id)

    report = rotate(models=[Child], batch_size=6, after_batch=portal_keeps_writing, echo=_quiet)
    db.session.expire_all()
    rows = _raw_rows()
    assert _field_kids(rows) == {report.field_kid}
    assert len(rows) == 20 + len(new_ids)
    assert db.session.get(Child, ids[0]).surname == "Surname0" + " edited" * 3
    assert db.session.get(Child, ids[-1]).surname == "Surname19" + " edited" * 3
    assert {db.session.get(Child, i).surname for i in new_ids if db.session.get(Child, i).forename is None} == {"Stale"}


def test_concurrent_writers_and_rotation_on_postgresql(app, tables):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL row locks for real concurrency")
    ids = _children(60)
    stop = threading.Event()
    last_written: dict = {}
    errors = []

    def writer():
        with app.app_context():
            n = 0
            try:
                while not stop.is_set():
                    child_id = ids[n % len(ids)]
                    child = db.session.get(Child, child_id)
                    child.forename = f"Write{n}"
                    db.session.commit()
                    last_written[child_id] = f"Write{n}"
                    n += 1
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        report = rotate(models=[Child], batch_size=4, echo=_quiet)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert _field_kids(_raw_rows()) == {report.field_kid}
    for child_id, value in last_written.items():
        assert db.session.get(Child, child_id).forename == value


def test_keys_status_shows_values_under_each_key(app, tables):
    _children(3)
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert result.exit_code == 0, result.output
    assert "field  current" in result.output and "index  current" in result.output
    assert "crypto_test_child" not in result.output  # only the portal's own models by default
    with db.engine.connect() as connection:
        report = status(connection, [Child])
    field_key = next(k for k in report.keys if k.purpose == "field")
    assert report.per_column[("crypto_test_child", "surname")] == {field_key.kid: 3}


def test_keys_rotate_command_rotates_the_portals_models(app):
    from portal.files.models import StoredFile

    stored = StoredFile(storage_name="abc", original_name="Name.pdf", content_key=b"k" * 32,
                        content_type="application/pdf", size_bytes=1)
    db.session.add(stored)
    db.session.commit()
    before = stored._original_name_ciphertext.split(":")[1]
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "10"])
    assert result.exit_code == 0, result.output
    assert "Rotation finished" in result.output
    db.session.expire_all()
    assert stored._original_name_ciphertext.split(":")[1] != before
    assert stored.original_name == "Name.pdf"


def test_the_master_key_can_be_rotated_by_rewrapping_the_data_keys(app, tables, tmp_path):
    child_id = _children(1)[0]
    old_key_file = app.instance_path + "/master.key"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    new_key = "B" * 43 + "="

    def another_app(**extra):
        environ = environ_for_tests(url, tmp_path)
        environ.update(extra)
        return create_app(environ)

    rotated = another_app(PORTAL_MASTER_KEY=new_key, PORTAL_PREVIOUS_MASTER_KEY_FILE=old_key_file)
    with rotated.app_context():  # the CLI runner would reuse the test app's context otherwise
        result = rotated.test_cli_runner().invoke(args=["keys", "rewrap"])
        db.session.remove()
    assert result.exit_code == 0, result.output
    assert "Re-wrapped 2 data keys" in result.output

    with another_app(PORTAL_MASTER_KEY=new_key).app_context():
        assert db.session.get(Child, child_id).surname == "Surname0"
        db.session.remove()
    # The old key alone no longer opens the re-wrapped data keys: the portal refuses to start
    # with it rather than fail the first page that reads a child's details.
    with pytest.raises(ConfigurationError, match="cannot open the stored data keys"):
        another_app(PORTAL_MASTER_KEY_FILE=old_key_file)
