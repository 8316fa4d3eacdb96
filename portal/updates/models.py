from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow

class UpdateKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    DECISION = "decision"
    CASE_SUMMARY = "case_summary"
    NOTE = "note"


KINDS = tuple(UpdateKind)


class SharedUpdate(UUIDPrimaryKey, Base):
    """One thing the LA has told a school (shown in the DSLs' inbox and on the pupil's
    chronology) or a partner agency about its referral (shown in the agency's inbox)."""

    __tablename__ = "shared_update"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (agency_id IS NULL)", name="one_recipient"),
        # A school's updates newest first, with their ids: the inbox's and the DSL home's newest
        # unread ones are read from the top until enough are found (not all of the school's,
        # then sorted), and the unread counts are an index-only scan (session 28).
        Index("ix_shared_update_school_newest", "school_id", "created_at", "id"),
    )

    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"), index=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    pupil_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referral.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # {"title": ..., "body": ..., plus kind-specific fields, e.g. a case summary's permitted fields}
    content = encrypted(dict)


class SharedUpdateRead(UUIDPrimaryKey, Base):
    """Who has read which update: unread counts are per person."""

    __tablename__ = "shared_update_read"
    __table_args__ = (UniqueConstraint("update_id", "user_id", name="uq_shared_update_read_pair"),)

    update_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shared_update.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
