"""Concerns.

A concern is never deleted and never edited in place: every correction is a new ConcernVersion,
and the concern points at its latest. What a concern says (where, categories, the account, the
action taken, who was told, the body map) is one encrypted JSON document per version.

Each pupil involved is a ConcernPupil with their own role (subject, alleged victim, alleged
perpetrator, witness): a pupil's chronology shows the concern with that pupil's role only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, literal_column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow
from portal.pupils.models import Pupil


class ConcernStatus(StrEnum):
    """Where a concern is in the DSL's review: logged, then reviewed (once; a correction after
    the review does not send it back)."""

    AWAITING_REVIEW = "awaiting_review"
    REVIEWED = "reviewed"


class ReviewOutcome(StrEnum):
    """What the DSL decided on reviewing a concern (labels in portal.concerns.options)."""

    NO_FURTHER_ACTION = "no_further_action"
    MONITOR = "monitor"
    EARLY_HELP = "early_help"
    REFER_TO_LA = "refer_to_la"


class PupilRole(StrEnum):
    """A pupil's part in a concern (labels in portal.concerns.options)."""

    SUBJECT = "subject"
    ALLEGED_VICTIM = "alleged_victim"
    ALLEGED_PERPETRATOR = "alleged_perpetrator"
    WITNESS = "witness"


class Concern(UUIDPrimaryKey, Base):
    __tablename__ = "concern"

    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    # The pupil the concern is about (also a ConcernPupil with role "subject").
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupil.id"), index=True)
    logged_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When what was seen or heard happened: a backdated concern sorts by this. A moment on its
    # own identifies nobody, so it stays in clear for ordering and date filters.
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    # ConcernStatus: awaiting_review -> reviewed
    status: Mapped[str] = mapped_column(String(20), default=ConcernStatus.AWAITING_REVIEW, index=True)
    current_version: Mapped[int] = mapped_column(default=1)
    # Submitting twice (double click, back button) creates one concern: the flow's token.
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)

    versions: Mapped[list[ConcernVersion]] = relationship(
        back_populates="concern", order_by="ConcernVersion.version", cascade="all"
    )
    # The child's record, read by the policy (a record transferred out is read-only).
    pupil: Mapped[Pupil] = relationship(viewonly=True)
    pupils: Mapped[list[ConcernPupil]] = relationship(back_populates="concern", cascade="all")
    reviews: Mapped[list[ConcernReview]] = relationship(
        back_populates="concern", order_by="ConcernReview.reviewed_at", cascade="all"
    )
    attachments: Mapped[list[ConcernAttachment]] = relationship(back_populates="concern", cascade="all")

    @property
    def latest(self) -> ConcernVersion:
        return self.versions[-1]


# "Waiting for the DSL's review", written as a constant in the SQL (not a bind parameter): so that
# PostgreSQL can use the partial index below in the plan it keeps for a prepared statement.
AWAITING_REVIEW = Concern.status == literal_column(f"'{ConcernStatus.AWAITING_REVIEW.value}'")

# The DSL's home counts the school's concerns waiting for review (how many, how many urgent, the
# oldest) on every visit: a partial index of the waiting ones holding what the counts read, so
# they are an index-only scan of those few rather than a read of every concern the school has
# logged (2,000 at a secondary school: 1.5 ms a count -> 0.1; session 28).
Index("ix_concern_awaiting_review", Concern.school_id, Concern.logged_at,
      postgresql_include=["urgent"], postgresql_where=AWAITING_REVIEW, sqlite_where=AWAITING_REVIEW)


class ConcernVersion(UUIDPrimaryKey, Base):
    __tablename__ = "concern_version"
    __table_args__ = (UniqueConstraint("concern_id", "version", name="uq_concern_version_number"),)

    concern_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("concern.id"), index=True)
    version: Mapped[int]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # {"location", "categories": [...], "other_category", "account", "action_taken",
    #  "people_informed", "body_map": [{"side", "region", "note"}]}
    content = encrypted(dict)
    # Why the correction was made (None for the first version).
    change_reason = encrypted(str, nullable=True)

    concern: Mapped[Concern] = relationship(back_populates="versions")


class ConcernPupil(UUIDPrimaryKey, Base):
    __tablename__ = "concern_pupil"
    __table_args__ = (UniqueConstraint("concern_id", "pupil_id", name="uq_concern_pupil_pair"),)

    concern_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("concern.id"), index=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupil.id"), index=True)
    # A PupilRole: subject / alleged_victim / alleged_perpetrator / witness. Encrypted: "alleged perpetrator"
    # next to a pupil id is itself sensitive.
    role = encrypted(str)

    concern: Mapped[Concern] = relationship(back_populates="pupils")


class ConcernReview(UUIDPrimaryKey, Base):
    __tablename__ = "concern_review"

    concern_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("concern.id"), index=True)
    reviewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A ReviewOutcome: no_further_action / monitor / early_help / refer_to_la
    outcome: Mapped[str] = mapped_column(String(30))
    reasons = encrypted(str)

    concern: Mapped[Concern] = relationship(back_populates="reviews")


class ConcernAttachment(UUIDPrimaryKey, Base):
    __tablename__ = "concern_attachment"

    concern_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("concern.id"), index=True)
    stored_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    added_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The version that added it (attachments, like text, are never removed).
    version: Mapped[int] = mapped_column(default=1)

    concern: Mapped[Concern] = relationship(back_populates="attachments")


class ConcernDraft(UUIDPrimaryKey, Base):
    """What a user has typed so far, saved server-side (encrypted) as they go, so that a long
    concern survives an expired session, a lost connection or a closed tab."""

    __tablename__ = "concern_draft"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"))
    # Set when the draft is a correction of an existing concern.
    concern_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("concern.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    data = encrypted(dict)
    # Attachments uploaded while drafting, not yet part of a concern.
    stored_file_ids = encrypted(list, nullable=True)
