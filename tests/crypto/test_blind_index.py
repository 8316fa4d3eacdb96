"""Blind indexes: exact lookups that ignore case and spacing, and never return false matches."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from portal.crypto import lookup, plan_bits
from portal.crypto.normalise import normalise_compact, normalise_text
from portal.db import db
from tests.crypto.models import Child


def _add(**values) -> Child:
    child = Child(**values)
    db.session.add(child)
    db.session.commit()
    return child


def test_lookup_finds_exact_matches_ignoring_case_whitespace_and_accents(tables):
    zoe = _add(surname="O'Brien-Smith", forename="Zoë", date_of_birth=date(2015, 3, 1))
    _add(surname="O'Brien-Smith", date_of_birth=date(2015, 3, 2))
    _add(surname="Brien Smith", date_of_birth=date(2015, 3, 1))
    for typed in ("o'brien-smith", "  OBRIEN   smith ", "O’Brien Smith", "ｏｂｒｉｅｎ smith"):
        assert lookup(Child.surname_dob_index, typed, date(2015, 3, 1)) == [zoe], typed


def test_identifier_lookup_ignores_spaces_and_case(tables):
    child = _add(surname="A", upn="B801200005001")
    _add(surname="B", upn="P207000016049")
    assert lookup(Child.upn_index, " b801 2000 05001 ") == [child]
    assert lookup(Child.upn_index, upn="B-801-200-005-001") == [child]
    assert lookup(Child.upn_index, "B801200005002") == []


def test_a_compound_index_needs_every_part_to_match(tables):
    _add(surname="Smith", date_of_birth=date(2015, 3, 1))
    assert lookup(Child.surname_dob_index, "Smith", date(2016, 3, 1)) == []
    assert lookup(Child.surname_dob_index, "Smyth", date(2015, 3, 1)) == []
    with pytest.raises(ValueError):
        lookup(Child.surname_dob_index, "Smith", None)


def test_false_matches_from_the_index_are_filtered_out_by_decrypting(tables):
    names = [f"Surname{n}" for n in range(40)]
    for name in names:
        _add(surname=name)
    # With 2 bits, about ten of the forty rows share each index value...
    token = db.session.execute(
        text("SELECT coarse_surname_index FROM crypto_test_child")
    ).scalars().all()
    assert len(set(token)) <= 4
    # ...yet each lookup returns only the one true match.
    for name in names[:10]:
        found = lookup(Child.coarse_surname_index, name.upper())
        assert [child.surname for child in found] == [name]


def test_changing_an_indexed_field_updates_the_index(tables):
    child = _add(surname="Smith", date_of_birth=date(2015, 3, 1))
    child.date_of_birth = date(2015, 4, 1)
    db.session.commit()
    assert lookup(Child.surname_dob_index, "Smith", date(2015, 3, 1)) == []
    assert lookup(Child.surname_dob_index, "smith", date(2015, 4, 1)) == [child]
    child.upn = None
    db.session.commit()
    assert child.upn_index is None


def test_lookup_takes_extra_conditions(tables):
    a = _add(surname="Smith", date_of_birth=date(2015, 3, 1), school_code="A")
    _add(surname="Smith", date_of_birth=date(2015, 3, 1), school_code="B")
    assert lookup(Child.surname_dob_index, "Smith", date(2015, 3, 1), where=[Child.school_code == "A"]) == [a]
    assert len(lookup(Child.surname_dob_index, surname="Smith", date_of_birth=date(2015, 3, 1))) == 2


def test_index_tokens_are_short_and_carry_the_index_key_id(tables):
    child = _add(surname="Smith", date_of_birth=date(2015, 3, 1), upn="B801200005001")
    kid, value = child.surname_dob_index.split(":")
    assert len(kid) == 8 and len(value) == 5  # 18 bits
    assert child.upn_index.split(":")[0] == kid
    assert kid not in child._surname_ciphertext  # a separate key from the encryption key


def test_bits_are_planned_for_a_million_pupils():
    assert plan_bits(1_000_000) == 18  # 1,000,000 / 2**18 = 3.8 coincidences per value
    assert plan_bits(100_000) == 15
    assert Child.surname_dob_index.bits == 18


def test_normalisation_rules():
    assert normalise_text("  Mc-Donald  O’Neill\tJr. ") == "mc donald oneill jr"
    assert normalise_text("STRASSE") == normalise_text("straße")
    assert normalise_compact("sw1a 1aa") == normalise_compact("SW1A1AA") == "sw1a1aa"
    assert normalise_compact("943 476 5919") == "9434765919"
