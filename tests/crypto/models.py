"""Test-only models with encrypted fields, on a metadata of their own (never migrated)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portal.crypto import blind_index, encrypted
from portal.db import UUIDPrimaryKey
from portal.db import db


class TestBase(DeclarativeBase):
    metadata = MetaData()


class Child(UUIDPrimaryKey, TestBase):
    __tablename__ = "crypto_test_child"

    school_code: Mapped[str] = mapped_column(String(10), default="A")
    surname = encrypted(str)
    forename = encrypted(str, nullable=True)
    date_of_birth = encrypted(date, nullable=True)
    seen_at = encrypted(datetime, nullable=True)
    details = encrypted(dict, nullable=True)
    photo = encrypted(bytes, nullable=True)
    siblings = encrypted(int, nullable=True)
    looked_after = encrypted(bool, nullable=True)
    upn = encrypted(str, nullable=True)

    upn_index = blind_index("upn", normalise="compact")
    surname_dob_index = blind_index("surname", "date_of_birth")
    # Deliberately tiny, so that most lookups meet false matches that must be filtered out.
    coarse_surname_index = blind_index("surname", bits=2)


@contextmanager
def test_tables():
    TestBase.metadata.create_all(db.engine)
    try:
        yield
    finally:
        db.session.rollback()
        db.session.close()
        TestBase.metadata.drop_all(db.engine)
