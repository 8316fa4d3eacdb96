"""The simulator's tables, on a declarative base and MetaData of its own.

They live in the simulator's own SQLite file and are created with metadata.create_all when it
starts. They must never join portal.db.Base: Alembic and the portal's schema test only know the
portal's tables, and a case system's data is not the portal's.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Index, Integer, MetaData, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class _UTC(TypeDecorator):
    """SQLite keeps no time zone: store UTC, hand back aware datetimes."""

    impl = DateTime()
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class CaseSimBase(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {datetime: _UTC()}


class Person(CaseSimBase):
    """A child known to the case system. Matched again by NHS number, else UPN, within the LA."""

    __tablename__ = "casesim_person"
    __table_args__ = (
        Index("ix_casesim_person_nhs", "la_code", "nhs_number"),
        Index("ix_casesim_person_upn", "la_code", "upn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    la_code: Mapped[str] = mapped_column(String(3))
    person_id: Mapped[str] = mapped_column(String(40), unique=True)
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    upn: Mapped[str | None] = mapped_column(String(13))
    created_at: Mapped[datetime]


class Referral(CaseSimBase):
    __tablename__ = "casesim_referral"
    __table_args__ = (UniqueConstraint("la_code", "idempotency_key", name="uq_casesim_referral_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    la_code: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(36))
    body_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    case_reference: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("casesim_person.person_id"))
    status: Mapped[str] = mapped_column(String(20), default="received")
    received_at: Mapped[datetime]


class Update(CaseSimBase):
    """One entry in an LA's update feed; `seq` orders the feed and is the cursor."""

    __tablename__ = "casesim_update"
    # AUTOINCREMENT: a feed position is never reused, even if the newest rows were deleted.
    __table_args__ = (Index("ix_casesim_update_la_seq", "la_code", "seq"), {"sqlite_autoincrement": True})

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    update_id: Mapped[str] = mapped_column(String(36), unique=True)
    la_code: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Counter(CaseSimBase):
    __tablename__ = "casesim_counter"

    la_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Fault(CaseSimBase):
    """The fault switch (one row). Kept in the database so the CLI can flip it on a running server."""

    __tablename__ = "casesim_fault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(30), default="none")
    scope: Mapped[str] = mapped_column(String(20), default="all")
    delay: Mapped[float] = mapped_column(default=0.0)
    remaining: Mapped[int | None] = mapped_column(Integer)  # None: until switched off
    version: Mapped[int] = mapped_column(Integer, default=0)


class EncompassNotice(CaseSimBase):
    """An Operation Encompass notice received (POST /v1/encompass-notices), once per (LA, key)."""

    __tablename__ = "casesim_encompass_notice"
    __table_args__ = (UniqueConstraint("la_code", "idempotency_key", name="uq_casesim_notice_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    la_code: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(36))
    body_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    notice_reference: Mapped[str] = mapped_column(String(40), unique=True)
    children: Mapped[int] = mapped_column(Integer)
    at_school: Mapped[int] = mapped_column(Integer)  # children the portal delivered to a school
    received_at: Mapped[datetime]
