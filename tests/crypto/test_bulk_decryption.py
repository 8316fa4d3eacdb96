"""Opening one column across many rows (a school's names for the roll and the name search): the
same answers and the same checks as opening each value on its own, and the name normalisation's
ASCII shortcut gives exactly what the full Unicode steps give."""

from __future__ import annotations

import itertools
import random
import uuid

import pytest
from sqlalchemy import select

from portal.crypto import IntegrityCheckFailed, cipher
from portal.crypto.fields import keyring, open_fields
from portal.crypto.normalise import _normalise_text_unicode, normalise_text
from portal.db import db
from tests.crypto.models import Child

NAMES = ["Smith", "Zoë", "Ní Bhriain-O'Connor", "李", "", "x" * 90]


def _saved(names) -> list[uuid.UUID]:
    children = [Child(surname=name or "-", forename=name or None) for name in names]
    db.session.add_all(children)
    db.session.commit()
    return [child.id for child in children]


def _stored(ids):
    table = Child.__table__
    rows = db.session.execute(
        select(table.c.id, table.c.surname, table.c.forename).where(table.c.id.in_(ids))).all()
    by_id = {row[0]: row for row in rows}
    return [by_id[i] for i in ids]


def test_a_column_opened_in_bulk_gives_what_each_value_gives_alone(tables):
    ids = _saved(NAMES)
    rows = _stored(ids)
    connection = db.session.connection()
    row_ids = [str(row[0]).encode() for row in rows]
    for position, column in ((1, "surname"), (2, "forename")):
        stored = [row[position] for row in rows]
        bulk = cipher.decrypt_column(keyring(), connection, row_ids, stored, table="crypto_test_child", column=column)
        alone = [None if value is None else cipher.decrypt(keyring(), connection, value, table="crypto_test_child",
                                                           column=column, row_id=row[0])
                 for value, row in zip(stored, rows)]
        assert bulk == alone
    assert [value.decode() for value in bulk[:4]] == NAMES[:4] and bulk[4] is None


@pytest.mark.parametrize("tamper", ["other row", "other column", "altered", "not ciphertext"])
def test_a_copied_or_altered_value_fails_in_bulk_as_it_does_alone(tables, tamper):
    rows = _stored(_saved(["Smith", "Jones", "Patel"]))
    row_ids = [str(row[0]).encode() for row in rows]
    surnames = [row[1] for row in rows]
    column = "surname"
    if tamper == "other row":
        surnames[1] = surnames[0]
    elif tamper == "other column":
        column = "forename"
    elif tamper == "altered":
        value = surnames[2]
        surnames[2] = value[:-3] + ("A" if value[-3] != "A" else "B") + value[-2:]
    else:
        surnames[1] = "Jones"
    with pytest.raises(IntegrityCheckFailed):
        cipher.decrypt_column(keyring(), db.session.connection(), row_ids, surnames, table="crypto_test_child",
                              column=column)


def test_the_ascii_shortcut_normalises_exactly_as_the_unicode_steps_do():
    ascii_characters = [chr(code) for code in range(128)]
    for pair in itertools.product(ascii_characters, repeat=2):
        for text in ("".join(pair), f" Ab{''.join(pair)}Cd "):
            assert normalise_text(text) == _normalise_text_unicode(text), repr(text)
    rng = random.Random(22)
    for _ in range(20_000):
        text = "".join(rng.choice(ascii_characters) for _ in range(rng.randint(0, 16)))
        assert normalise_text(text) == _normalise_text_unicode(text), repr(text)
    # Names as schools type them, and the non-ASCII ones still take the full path.
    assert normalise_text("  O'Brien-SMITH  ") == "obrien smith"
    assert normalise_text("Zoë  Ní Bhriain") == "zoe ni bhriain"
    assert normalise_text("ＳＭＩＴＨ") == "smith"


def _fresh(ids) -> list[Child]:
    db.session.expunge_all()  # nothing opened yet: loaded from the database as a page loads them
    found = {child.id: child for child in db.session.execute(select(Child).where(Child.id.in_(ids))).scalars()}
    return [found[i] for i in ids]


FIELDS = ("surname", "forename", "date_of_birth", "details", "photo")


def test_fields_opened_together_read_as_each_attribute_does_and_are_not_opened_again(tables, monkeypatch):
    from datetime import date

    children = [Child(surname=name or "-", forename=name or None, date_of_birth=date(2015, 3, 1 + n),
                      details={"n": n}, photo=bytes([n]) if n % 2 else None) for n, name in enumerate(NAMES)]
    db.session.add_all(children)
    db.session.commit()
    ids = [child.id for child in children]
    alone = [[getattr(child, name) for name in FIELDS] for child in _fresh(ids)]
    together = _fresh(ids)
    open_fields(together, FIELDS)
    opened_alone = []
    monkeypatch.setattr(cipher, "decrypt", lambda *args, **kwargs: opened_alone.append(1))
    assert [[getattr(child, name) for name in FIELDS] for child in together] == alone
    assert opened_alone == []  # every value shown was opened with its column
    together[0].details["n"] = 99  # a JSON value is decoded afresh for each read, as before
    assert together[0].details == {"n": 0}


@pytest.mark.parametrize("tamper", ["other row", "altered"])
def test_a_copied_or_altered_value_fails_when_fields_are_opened_together(tables, tamper):
    ids = _saved(["Smith", "Jones", "Patel"])
    children = _fresh(ids)
    stored = children[0]._surname_ciphertext
    if tamper == "other row":
        children[1]._surname_ciphertext = stored
    else:
        children[1]._surname_ciphertext = stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:]
    with pytest.raises(IntegrityCheckFailed):
        open_fields(children, ("surname",))
    db.session.rollback()
