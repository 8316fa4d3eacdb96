"""Encrypted fields: plaintext in code, only bound ciphertext in the database."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import StatementError

from portal.crypto import IntegrityCheckFailed, PlaintextRefused
from portal.db import db
from portal.files.models import StoredFile
from tests.crypto.models import Child

VALUES = {
    "surname": "Ní Bhriain-O'Connor",
    "forename": "Zoë",
    "date_of_birth": date(2014, 2, 28),
    "seen_at": datetime(2025, 1, 9, 8, 45, 12, 1234, tzinfo=timezone.utc),
    "details": {"ehcp": True, "needs": ["speech", "hearing"], "notes": "sits at the front"},
    "photo": bytes(range(256)) * 3,
    "siblings": 3,
    "looked_after": False,
    "upn": "B801200005001",
}


def _raw(child_id) -> dict:
    row = db.session.execute(
        text("SELECT * FROM crypto_test_child WHERE id = :id"), {"id": child_id.hex if db.engine.dialect.name == "sqlite" else child_id}
    ).mappings().one()
    return dict(row)


def _saved_child(**values) -> uuid.UUID:
    child = Child(**(values or VALUES))
    db.session.add(child)
    db.session.commit()
    child_id = child.id
    db.session.expunge_all()
    return child_id


def test_every_type_round_trips_through_the_database(tables):
    child = db.session.get(Child, _saved_child())
    for name, value in VALUES.items():
        assert getattr(child, name) == value, name
    assert isinstance(child.date_of_birth, date) and not isinstance(child.date_of_birth, datetime)
    assert child.seen_at.tzinfo is not None


def test_empty_optional_fields_stay_empty(tables):
    child = db.session.get(Child, _saved_child(surname="Smith"))
    assert child.forename is None and child.details is None and child.upn_index is None


def test_the_database_holds_only_versioned_ciphertext_carrying_the_key_id(tables):
    raw = _raw(_saved_child())
    for name, value in VALUES.items():
        stored = raw[name]
        assert stored.startswith("v1:") and len(stored.split(":")) == 3, name
        if isinstance(value, str):
            assert value not in stored
    kids = {raw[name].split(":")[1] for name in VALUES}
    assert len(kids) == 1


def test_the_same_value_encrypts_differently_every_time(tables):
    first, second = _raw(_saved_child(surname="Smith")), _raw(_saved_child(surname="Smith"))
    assert first["surname"] != second["surname"]


def test_a_flipped_byte_is_detected_and_logged_without_the_value(tables, caplog):
    child_id = _saved_child(surname="Smith", forename="Unforgettable")
    stored = _raw(child_id)["forename"]
    body = bytearray(stored.encode())
    body[20] = ord("A") if body[20] != ord("A") else ord("B")
    db.session.execute(update(Child.__table__).where(Child.__table__.c.id == child_id).values(forename=body.decode()))
    db.session.commit()
    child = db.session.get(Child, child_id)
    with caplog.at_level(logging.ERROR, logger="portal.crypto"), pytest.raises(IntegrityCheckFailed) as error:
        child.forename
    assert "crypto_test_child.forename" in str(error.value) and str(child_id) in str(error.value)
    assert "Unforgettable" not in caplog.text and "Unforgettable" not in str(error.value)
    assert "integrity check" in caplog.text
    assert child.surname == "Smith"  # other fields of the row are unaffected


def test_a_value_swapped_between_rows_fails_to_decrypt(tables):
    first, second = _saved_child(surname="Alpha"), _saved_child(surname="Bravo")
    stored = _raw(first)["surname"]
    db.session.execute(update(Child.__table__).where(Child.__table__.c.id == second).values(surname=stored))
    db.session.commit()
    with pytest.raises(IntegrityCheckFailed):
        db.session.get(Child, second).surname
    assert db.session.get(Child, first).surname == "Alpha"


def test_a_value_moved_to_another_column_fails_to_decrypt(tables):
    child_id = _saved_child(surname="Alpha", forename="Bravo")
    stored = _raw(child_id)["surname"]
    db.session.execute(update(Child.__table__).where(Child.__table__.c.id == child_id).values(forename=stored))
    db.session.commit()
    with pytest.raises(IntegrityCheckFailed):
        db.session.get(Child, child_id).forename


def test_plaintext_written_around_the_model_is_refused(tables):
    child_id = _saved_child(surname="Alpha")
    with pytest.raises(StatementError) as error:
        db.session.execute(update(Child.__table__).where(Child.__table__.c.id == child_id).values(surname="Smith"))
    assert isinstance(error.value.orig, PlaintextRefused)
    db.session.rollback()


def test_repr_of_a_model_shows_no_plaintext(app, tables):
    child = Child(surname="Zebedee", forename="Florence")
    stored = StoredFile(original_name="Zebedee-report.pdf", content_key=b"k" * 32, storage_name="x",
                        content_type="application/pdf", size_bytes=1)
    for obj in (child, stored):
        assert "Zebedee" not in repr(obj) and "Florence" not in repr(obj)
    assert repr(stored) == f"<StoredFile {stored.id}>"


def test_comparing_an_encrypted_field_in_sql_is_refused(tables):
    with pytest.raises(TypeError, match="blind index"):
        select(Child).where(Child.surname == "Smith")


def test_an_id_given_after_the_fields_still_binds_the_ciphertext(tables):
    chosen = uuid.uuid4()
    child = Child(surname="Alpha", upn="B801200005001", id=chosen)
    assert child.surname == "Alpha"
    db.session.add(child)
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(Child, chosen).surname == "Alpha"


def test_changing_a_value_re_encrypts_it(tables):
    child_id = _saved_child(surname="Alpha")
    before = _raw(child_id)["surname"]
    child = db.session.get(Child, child_id)
    child.surname = "Bravo"
    db.session.commit()
    db.session.expunge_all()
    assert _raw(child_id)["surname"] != before
    assert db.session.get(Child, child_id).surname == "Bravo"


def test_a_required_field_refuses_none_and_wrong_types_are_refused(tables):
    with pytest.raises(ValueError, match="cannot be empty"):
        Child(surname=None)
    with pytest.raises(TypeError):
        Child(surname="A", date_of_birth="2015-01-01")
    with pytest.raises(TypeError):
        Child(surname="A", date_of_birth=datetime(2015, 1, 1, tzinfo=timezone.utc))


def test_json_values_are_copies_so_changes_need_an_assignment(tables):
    child = db.session.get(Child, _saved_child(surname="A", details={"a": 1}))
    child.details["a"] = 2
    assert child.details == {"a": 1}
    child.details = {"a": 2}
    db.session.commit()
    assert child.details == {"a": 2}


def test_a_first_key_made_in_a_rolled_back_transaction_is_not_used_afterwards(tables):
    from portal.crypto.models import DataKey

    Child(surname="Alpha", forename="Again")  # the first encryption makes the first key here
    db.session.rollback()
    child_id = _saved_child(surname="Bravo")
    kid = _raw(child_id)["surname"].split(":")[1]
    assert db.session.execute(select(DataKey.state).where(DataKey.kid == kid)).scalar_one() == "current"
    db.session.expunge_all()
    assert db.session.get(Child, child_id).surname == "Bravo"
