"""What a referral says is encrypted in the database: no name, reason or answer in plaintext."""

from __future__ import annotations

from sqlalchemy import text

from portal.db import db
from tests.factories import REFERRAL_FORENAME, REFERRAL_REASON, REFERRAL_SURNAME, make_referral, referring_school


def test_the_referral_form_is_not_stored_in_plaintext(app):
    s = referring_school()
    referral = make_referral(s, complete=True)
    raw = db.session.execute(text("SELECT form FROM referral WHERE id = :id"),
                             {"id": referral.id.hex if db.engine.dialect.name == "sqlite" else referral.id}).scalar_one()
    assert raw.startswith("v1:")
    for secret in (REFERRAL_FORENAME, REFERRAL_SURNAME, REFERRAL_REASON, "Marlowe Quintavalle", "Stepfather", "01632 960 001", "neglect",
                   "child_protection", "2014-03-09"):
        assert secret not in raw
    # Nothing personal in the clear columns either.
    row = db.session.execute(text("SELECT * FROM referral")).mappings().one()
    assert not any(REFERRAL_FORENAME in str(value) for value in row.values())
    assert referral.form["child"]["legal_forename"] == REFERRAL_FORENAME  # and it reads back
