"""Referrals to the LA.

Lifecycle: draft -> submitted -> acknowledged -> in_triage -> decided -> closed. The form itself
(child, household, referrer, reasons, immediate risk, consent, the child's voice, agencies, level
of need) is one encrypted JSON document, saved at every step of the task list while a draft and
never changed once submitted.

A referral comes from one source: a school (about a pupil on its roll: `school_id` and
`pupil_id`) or a partner agency (police, health, ...: `agency_id`), never both (the check
constraint `one_source`). An agency identifies the child by details alone (the form's child
section), never through a school's record. Either way the child's names, date of birth and NHS
number are also kept in encrypted columns of their own, with blind indexes, so that the council's
triage finds the same child's other referrals whoever made them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import blind_index, encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow



class ReferralStatus(StrEnum):
    """Where a referral is in its life, in order (the column stores the value)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    IN_TRIAGE = "in_triage"
    DECIDED = "decided"
    CLOSED = "closed"


STATUSES = tuple(ReferralStatus)

# A school's referral about its pupil, or a partner agency's: exactly one source.
ONE_SOURCE = (
    "(school_id IS NOT NULL AND pupil_id IS NOT NULL AND agency_id IS NULL)"
    " OR (school_id IS NULL AND pupil_id IS NULL AND agency_id IS NOT NULL)"
)


class Referral(UUIDPrimaryKey, Base):
    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(ONE_SOURCE, name="one_source"),
        # A school's referrals by status (and when a decided one was last changed): the DSL's
        # home counts and lists those in progress or decided lately among all the school has
        # made (session 28).
        Index("ix_referral_school_status", "school_id", "status", "updated_at"),
    )

    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    pupil_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    # A partner agency's referral (police, health, ...): no school, no pupil record.
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"), index=True)
    # The LA whose queue it is in: the school's LA at submission, the LA the agency chose (its
    # own or an allowed neighbour), or another LA it was routed to.
    local_authority_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("local_authority.id"), index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=ReferralStatus.DRAFT, index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # A human-readable reference given at submission, e.g. "938-2026-000123" (no personal data).
    reference: Mapped[str | None] = mapped_column(String(30), unique=True)
    # The random token of the "start a referral" page: pressing its button twice starts one draft.
    start_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    form = encrypted(dict)
    # The child as the form names them (copied from the child section whenever it is saved), for
    # lists and for finding the same child's referrals from every source through blind indexes.
    child_forename = encrypted(str, nullable=True)
    child_surname = encrypted(str, nullable=True)
    child_date_of_birth = encrypted(date, nullable=True)
    child_nhs_number = encrypted(str, nullable=True)
    child_surname_dob_index = blind_index("child_surname", "child_date_of_birth")
    child_nhs_number_index = blind_index("child_nhs_number", normalise="compact")

    concerns: Mapped[list[ReferralConcern]] = relationship(back_populates="referral", cascade="all")
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.at", cascade="all"
    )

    @property
    def from_agency(self) -> bool:
        return self.agency_id is not None

    @property
    def child_display_name(self) -> str:
        return f"{self.child_forename or ''} {self.child_surname or ''}".strip()


class ReferralConcern(UUIDPrimaryKey, Base):
    __tablename__ = "referral_concern"
    __table_args__ = (UniqueConstraint("referral_id", "concern_id", name="uq_referral_concern_pair"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    concern_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("concern.id"), index=True)

    referral: Mapped[Referral] = relationship(back_populates="concerns")


class ReferralEvent(UUIDPrimaryKey, Base):
    """A status change, so both sides can see when the referral moved and who moved it."""

    __tablename__ = "referral_event"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))

    referral: Mapped[Referral] = relationship(back_populates="events")


class ReferralSequence(UUIDPrimaryKey, Base):
    """The last reference number given by an LA in a year: "938-2026-000123" is the 123rd.

    One row per LA and year, incremented with a single UPDATE (which locks the row on
    PostgreSQL), so two referrals submitted at the same moment never get the same number.
    """

    __tablename__ = "referral_sequence"
    __table_args__ = (UniqueConstraint("local_authority_id", "year", name="uq_referral_sequence_la_year"),)

    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)
