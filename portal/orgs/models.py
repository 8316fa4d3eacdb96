from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, Timestamps, UUIDPrimaryKey


class LocalAuthority(UUIDPrimaryKey, Timestamps, Base):
    """A council: owns triage, the case-system connection and the sharing policy."""

    __tablename__ = "local_authority"

    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Goes up by one with every committed change to this council's referrals queue (see
    # portal/triage/queue_changes.py): the queue page's cache is keyed on it.
    queue_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    schools: Mapped[list[School]] = relationship(back_populates="local_authority", order_by="School.name")


class School(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("laestab", name="uq_school_laestab"),)

    urn: Mapped[str] = mapped_column(String(6), unique=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    establishment_number: Mapped[str] = mapped_column(String(4))
    laestab: Mapped[str] = mapped_column(String(7))
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)

    local_authority: Mapped[LocalAuthority] = relationship(back_populates="schools")
