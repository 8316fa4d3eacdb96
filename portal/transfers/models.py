"""Transfers of a child protection file from one school to another.

A `Transfer` starts when the sending school's DSL records that a pupil has left (leaving date and
destination); the 5-school-day clock runs from the leaving date. Sending freezes what goes: the
pupil's chronology as the sending school may see it, as one encrypted JSON snapshot, with copies
of every attachment (`TransferAttachment`, each with the SHA-256 of its content), so that later
changes at the sender cannot alter what the receiver was given. Every step is a `TransferEvent`
(who, when), shown to both sides.

A `TransferRequest` is a receiving school asking for a file by UPN or NHS number; each school
holding a matching pupil record gets a `TransferRequestTarget` on its transfer list, answered by
a send or by "we hold no file".

`SchoolClosure` (a school's own closed days, which the transfer clock skips) lives in
portal.school_calendar.models with the rest of a school's days, and is imported here for the
transfers' pages.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow
from portal.school_calendar.models import SchoolClosure  # noqa: F401 (the closed-days page's table)



class DestinationKind(StrEnum):
    """Where the pupil went."""

    SCHOOL = "school"
    UNKNOWN = "unknown"
    ELECTIVE_HOME_EDUCATION = "elective_home_education"
    MOVED_ABROAD = "moved_abroad"


DESTINATION_KINDS = tuple(DestinationKind)


class TransferStatus(StrEnum):
    """Where a transfer is. TO_SEND: a destination school is known, nothing sent yet (clock
    running); DESTINATION_UNKNOWN: the DSL does not know where the pupil went yet (clock running);
    NO_TRANSFER: elective home education or moved abroad, nothing to send to a school;
    PENDING -> VIEWED -> ACCEPTED, or -> REJECTED (back with the sender, who chooses again)."""

    TO_SEND = "to_send"
    DESTINATION_UNKNOWN = "destination_unknown"
    NO_TRANSFER = "no_transfer"
    PENDING = "pending"
    VIEWED = "viewed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


STATUSES = tuple(TransferStatus)
# Sent to the receiving school: it may see that the file is there (and, once accepted, the child).
SENT_STATUSES = (TransferStatus.PENDING, TransferStatus.VIEWED, TransferStatus.ACCEPTED)
# Sent and not yet answered by the receiving school.
WAITING_STATUSES = (TransferStatus.PENDING, TransferStatus.VIEWED)
# With the sending school, the 5-school-day clock running.
OPEN_STATUSES = (TransferStatus.TO_SEND, TransferStatus.DESTINATION_UNKNOWN, TransferStatus.REJECTED)


DESTINATION_LABELS = {
    DestinationKind.SCHOOL: "Another school",
    DestinationKind.UNKNOWN: "Not known yet",
    DestinationKind.ELECTIVE_HOME_EDUCATION: "Elective home education",
    DestinationKind.MOVED_ABROAD: "Moved abroad",
}
STATUS_LABELS = {
    TransferStatus.TO_SEND: "To send",
    TransferStatus.DESTINATION_UNKNOWN: "Destination not known",
    TransferStatus.NO_TRANSFER: "No transfer needed",
    TransferStatus.PENDING: "Pending",
    TransferStatus.VIEWED: "Viewed",
    TransferStatus.ACCEPTED: "Accepted",
    TransferStatus.REJECTED: "Rejected",
}


class TransferEventKind(StrEnum):
    """One step in a transfer's history, shown to both schools."""

    RECORDED = "recorded"
    DESTINATION_CHANGED = "destination_changed"
    SENT = "sent"
    VIEWED = "viewed"
    ACCEPTED = "accepted"
    MATCHED = "matched"
    REJECTED = "rejected"


EVENT_LABELS = {
    TransferEventKind.RECORDED: "Leaver recorded",
    TransferEventKind.DESTINATION_CHANGED: "Destination changed",
    TransferEventKind.SENT: "Sent (pending)",
    TransferEventKind.VIEWED: "Viewed",
    TransferEventKind.ACCEPTED: "Accepted: receipt confirmed",
    TransferEventKind.MATCHED: "Matched to a pupil record",
    TransferEventKind.REJECTED: "Rejected: sent back to the sending school",
}
# The receiving school's history of a transfer starts when the file was sent to it.
RECEIVER_SEES_EVENTS = (TransferEventKind.SENT, TransferEventKind.VIEWED, TransferEventKind.ACCEPTED,
                        TransferEventKind.REJECTED)


class RequestTargetStatus(StrEnum):
    """A school's answer to another school's request for a file: OPEN until it SENT the file or
    said it holds NO_FILE."""

    OPEN = "open"
    SENT = "sent"
    NO_FILE = "no_file"


class IdentifierKind(StrEnum):
    """What a request names the child by."""

    UPN = "upn"
    NHS_NUMBER = "nhs_number"


class Transfer(UUIDPrimaryKey, Base):
    __tablename__ = "transfer"

    # The sending school's own record of the pupil (kept, off roll, after the move).
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupil.id"), index=True)
    from_school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    to_school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"), index=True)
    destination_kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), index=True)
    leaving_date: Mapped[date]
    # The last school day on which the file is in time (5 school days after the leaving date).
    due_date: Mapped[date] = mapped_column(index=True)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    covering_note = encrypted(str, nullable=True)
    sent_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime | None]
    # What was sent, frozen: {"version", "pupil", "from_school", "enrolments", "entries", ...}
    snapshot = encrypted(dict, nullable=True)
    # SHA-256 of the snapshot's canonical JSON: printed on the receipt, checked when it is read.
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64))

    viewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    viewed_at: Mapped[datetime | None]
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_at: Mapped[datetime | None]
    rejected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    rejected_at: Mapped[datetime | None]
    rejection_reason = encrypted(str, nullable=True)
    # The receiving school's record of the pupil, matched or created after receipt.
    receiving_pupil_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    matched_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    matched_at: Mapped[datetime | None]

    attachments: Mapped[list[TransferAttachment]] = relationship(
        back_populates="transfer", order_by="TransferAttachment.position", cascade="all"
    )
    events: Mapped[list[TransferEvent]] = relationship(
        back_populates="transfer", order_by="TransferEvent.at", cascade="all"
    )

    # The policy matches a transfer by its two schools (portal.policy, "transfers" section).
    @property
    def school_id(self) -> uuid.UUID:
        return self.from_school_id

    @property
    def is_sent(self) -> bool:
        return self.status in SENT_STATUSES


class TransferAttachment(UUIDPrimaryKey, Base):
    """A copy of an attachment as it was sent (its own encrypted file, never the sender's)."""

    __tablename__ = "transfer_attachment"

    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfer.id"), index=True)
    stored_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    position: Mapped[int]
    # SHA-256 of the plaintext as read from the original when it was copied.
    sha256: Mapped[str] = mapped_column(String(64))

    transfer: Mapped[Transfer] = relationship(back_populates="attachments")


class TransferEvent(UUIDPrimaryKey, Base):
    """One step: recorded, destination_changed, sent, viewed, accepted, matched, rejected."""

    __tablename__ = "transfer_event"

    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # The school the destination was at this step (a rejected transfer remembers who rejected it).
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))

    transfer: Mapped[Transfer] = relationship(back_populates="events")


class TransferRequest(UUIDPrimaryKey, Base):
    """A receiving school asking for a pupil's file by UPN or NHS number."""

    __tablename__ = "transfer_request"

    requesting_school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The requesting school's own record of the pupil, when the request was made from it.
    pupil_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    identifier_kind: Mapped[str] = mapped_column(String(20))  # an IdentifierKind
    identifier = encrypted(str)
    # When the mail worker looked for schools holding the identifier (None: not yet). The page
    # that asks only records the request, so its answer and timing are the same whether or not
    # any school in the country holds the child (service.match_waiting_requests).
    matched_at: Mapped[datetime | None] = mapped_column(index=True)

    targets: Mapped[list[TransferRequestTarget]] = relationship(back_populates="request", cascade="all")


class TransferRequestTarget(UUIDPrimaryKey, Base):
    """One school holding a pupil record that matches the request: it answers."""

    __tablename__ = "transfer_request_target"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfer_request.id"), index=True)
    holder_school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    holder_pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupil.id"))
    # a RequestTargetStatus: open -> sent (transfer_id set) or no_file
    status: Mapped[str] = mapped_column(String(20), default=RequestTargetStatus.OPEN, index=True)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None]
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("transfer.id"))

    request: Mapped[TransferRequest] = relationship(back_populates="targets")

    # The policy matches the target by the school that holds the record.
    @property
    def school_id(self) -> uuid.UUID:
        return self.holder_school_id
