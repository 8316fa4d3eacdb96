"""Operation Encompass notices: the police tell a child's school, before the next school day, that
the child was at (or affected by) a domestic abuse incident.

A notice (EncompassNotice) is one incident, recorded by an Encompass notifier of a police
organisation: the police reference, when it happened, the other agencies told. Each child in it
(EncompassChild) is routed on its own: to the school where the child is on roll (matched through
the pupils' blind indexes), or, when the portal cannot be sure, to the council's Encompass key
contact, who routes it by hand or records that it was dealt with outside the portal.

Every personal field is encrypted. A moment on its own identifies nobody, so the times (the
incident, the routing, the clock, the first read) stay in clear for ordering and the clock.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import encrypted
from portal.db import Base, Timestamps, UUIDPrimaryKey, utcnow


class NoticeStatus(StrEnum):
    DRAFT = "draft"  # being written by the notifier; seen by nobody else
    SUBMITTED = "submitted"  # sent: its children are routed and can no longer change


class Routing(StrEnum):
    """Where one child of a notice is (EncompassChild.routing)."""

    PENDING = "pending"  # submitted; the worker has not matched it yet
    DELIVERED = "delivered"  # at a school: matched by the portal, or routed by the key contact
    HELD = "held"  # with the council's Encompass key contact, to be routed by hand
    HANDLED_OUTSIDE = "handled_outside"  # the key contact dealt with it outside the portal


class HeldReason(StrEnum):
    """Why the portal could not route a child itself (seen by the key contact only)."""

    NO_MATCH = "no_match"
    SEVERAL_MATCHES = "several_matches"


class Exposure(StrEnum):
    """How the child was affected by the incident (several may apply)."""

    PRESENT = "present"
    SAW = "saw"
    HEARD = "heard"


class Injured(StrEnum):
    YES = "yes"
    NO = "no"
    NOT_KNOWN = "not_known"


EXPOSURE_LABELS = {Exposure.PRESENT: "Present", Exposure.SAW: "Saw it", Exposure.HEARD: "Heard it"}
INJURED_LABELS = {Injured.YES: "Yes", Injured.NO: "No", Injured.NOT_KNOWN: "Not known"}
HELD_REASON_LABELS = {
    HeldReason.NO_MATCH: "No pupil on a roll in the portal matched",
    HeldReason.SEVERAL_MATCHES: "More than one pupil matched",
}


class EncompassNotice(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "encompass_notice"

    # The police organisation that made it: only it sees the notice as a whole.
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    # The agency's own council when the notice was made: its key contact holds what cannot be matched.
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.DRAFT)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # A second notice at the same address starts from an earlier one of the same organisation.
    copied_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encompass_notice.id"))
    incident_at: Mapped[datetime | None]

    police_reference = encrypted(str, nullable=True)
    other_agencies = encrypted(str, nullable=True)

    children: Mapped[list[EncompassChild]] = relationship(
        back_populates="notice", order_by="EncompassChild.position", cascade="all, delete-orphan"
    )

    @property
    def submitted(self) -> bool:
        return self.status == NoticeStatus.SUBMITTED


class EncompassChild(UUIDPrimaryKey, Base):
    """One child of a notice, with what happened to them and where the notice went."""

    __tablename__ = "encompass_child"

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("encompass_notice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]

    # Who the child is, as the police know them.
    forename = encrypted(str)
    surname = encrypted(str)
    date_of_birth = encrypted(date)
    address = encrypted(str, nullable=True)
    school_given = encrypted(str, nullable=True)  # "school if known", as typed
    upn = encrypted(str, nullable=True)
    # What happened to them. False for a child copied from an earlier notice until the notifier
    # has answered for this incident.
    answered: Mapped[bool] = mapped_column(default=False)
    exposure = encrypted(list, nullable=True)  # Exposure values
    injured = encrypted(str, nullable=True)  # an Injured value
    injuries = encrypted(str, nullable=True)
    disclosure = encrypted(str, nullable=True)  # what the child said, in their words

    # Where it went.
    routing: Mapped[str] = mapped_column(String(20), default=Routing.PENDING, index=True)
    held_reason: Mapped[str | None] = mapped_column(String(20))
    # The council whose register lists it: the school's, or the notice's own when held.
    local_authority_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("local_authority.id"), index=True)
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    routed_at: Mapped[datetime | None]
    routed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))  # None: the portal
    outside_note = encrypted(str, nullable=True)  # the key contact's record of what was done instead
    # The clock: read by a DSL before 08:30 on the next school day at the school.
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    first_read_at: Mapped[datetime | None]
    first_read_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    chased_at: Mapped[datetime | None]
    # A concern the DSL logged about it.
    concern_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("concern.id"))

    notice: Mapped[EncompassNotice] = relationship(back_populates="children")

    @property
    def full_name(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def overdue_unread(self) -> bool:
        return self.first_read_at is None and self.due_at is not None and self.due_at <= utcnow()
