"""Children missing education: off-roll notices from schools to their council's CME officer.

Before a school deletes a pupil from its admission register it tells its local authority, on one
of the grounds of regulation 9(1) of the School Attendance (Pupil Registration) (England)
Regulations 2024, with what it knows of where the child went and the enquiries it made. An
`OffRollNotice` is that return: written by the school's DSL (or a deputy) as a draft, sent once,
then worked by the LA's children missing education (CME) officer, who moves it on (received ->
under enquiry -> found -> closed), asks the school questions (`OffRollQuestion`) and closes it
with an outcome the school sees. Every step is an `OffRollNoticeEvent`, shown to both sides.

Everything about the child is encrypted: the answers (grounds, last day of attendance,
destination, enquiries), the pupil's details frozen as sent, the questions and answers, the
outcome. Only ids, statuses and times are in clear (for the queue's filters and order).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow


class NoticeStatus(StrEnum):
    """Where a notice is. DRAFT: the school is still writing it (the council cannot see it);
    then, at the council: RECEIVED -> UNDER_ENQUIRY -> FOUND -> CLOSED (with an outcome). The
    officer may close it from any of the three."""

    DRAFT = "draft"
    RECEIVED = "received"
    UNDER_ENQUIRY = "under_enquiry"
    FOUND = "found"
    CLOSED = "closed"


# The statuses of a sent notice, in the order of the queue's filter.
QUEUE_STATUSES = (NoticeStatus.RECEIVED, NoticeStatus.UNDER_ENQUIRY, NoticeStatus.FOUND, NoticeStatus.CLOSED)
# Still being worked by the officer.
OPEN_STATUSES = (NoticeStatus.RECEIVED, NoticeStatus.UNDER_ENQUIRY, NoticeStatus.FOUND)

STATUS_LABELS = {
    NoticeStatus.DRAFT: "Not sent yet",
    NoticeStatus.RECEIVED: "Received",
    NoticeStatus.UNDER_ENQUIRY: "Under enquiry",
    NoticeStatus.FOUND: "Found",
    NoticeStatus.CLOSED: "Closed",
}
# Where the officer may move an open notice (closing has its own page, with the outcome).
MOVES_LABELS = {
    NoticeStatus.RECEIVED: "Received",
    NoticeStatus.UNDER_ENQUIRY: "Under enquiry: the local authority is making enquiries",
    NoticeStatus.FOUND: "Found: the child has been found; their education is being confirmed",
}


class Ground(StrEnum):
    """The grounds for deleting a pupil of compulsory school age from the admission register:
    regulation 9(1)(a) to (o) of the School Attendance (Pupil Registration) (England)
    Regulations 2024."""

    ANOTHER_SCHOOL = "9_1_a"
    NURSERY_COMPLETED = "9_1_b"
    DUAL_REGISTRATION_ENDED = "9_1_c"
    ATTENDANCE_ORDER_AMENDED = "9_1_d"
    ATTENDANCE_ORDER_REVOKED = "9_1_e"
    HOME_EDUCATION = "9_1_f"
    MOVED_AWAY = "9_1_g"
    NOT_RETURNED_FROM_LEAVE = "9_1_h"
    CONTINUOUS_ABSENCE = "9_1_i"
    DETAINED = "9_1_j"
    DIED = "9_1_k"
    OVER_COMPULSORY_SCHOOL_AGE = "9_1_l"
    BOARDING_FEES_UNPAID = "9_1_m"
    LEFT_INDEPENDENT_SCHOOL = "9_1_n"
    PERMANENTLY_EXCLUDED = "9_1_o"


GROUND_LABELS = {
    Ground.ANOTHER_SCHOOL: "Registered at another school",
    Ground.NURSERY_COMPLETED: "Not continuing at the school after its nursery education",
    Ground.DUAL_REGISTRATION_ENDED: "Also registered at other schools, which agreed to the deletion",
    Ground.ATTENDANCE_ORDER_AMENDED: "School attendance order changed to name another school",
    Ground.ATTENDANCE_ORDER_REVOKED: "School attendance order revoked",
    Ground.HOME_EDUCATION: "Parent told the school in writing the child will be educated otherwise than at school (home education)",
    Ground.MOVED_AWAY: "No longer lives within a reasonable distance of the school (moved away)",
    Ground.NOT_RETURNED_FROM_LEAVE: "Not returned after a leave of absence, and the school and local authority cannot find where the child is",
    Ground.CONTINUOUS_ABSENCE: "Absent without leave for 20 school days in a row, and the school and local authority cannot find where the child is after reasonable enquiries",
    Ground.DETAINED: "Detained under a sentence of detention",
    Ground.DIED: "Has died",
    Ground.OVER_COMPULSORY_SCHOOL_AGE: "Will be over compulsory school age and is not continuing into the sixth form",
    Ground.BOARDING_FEES_UNPAID: "A boarder whose boarding fees have not been paid",
    Ground.LEFT_INDEPENDENT_SCHOOL: "Has stopped being a pupil at an independent or non-maintained special school",
    Ground.PERMANENTLY_EXCLUDED: "Permanently excluded",
}


def ground_reference(ground: str) -> str:
    """'regulation 9(1)(g)' for a ground's value."""
    letter = ground.rsplit("_", 1)[-1]
    return f"regulation 9(1)({letter})"


class DestinationKind(StrEnum):
    """Where the child has gone, as far as the school knows."""

    SCHOOL = "school"
    LOCAL_AUTHORITY = "local_authority"
    ABROAD = "abroad"
    UNKNOWN = "unknown"


DESTINATION_LABELS = {
    DestinationKind.SCHOOL: "Another school",
    DestinationKind.LOCAL_AUTHORITY: "Another local authority (school not known)",
    DestinationKind.ABROAD: "An address abroad",
    DestinationKind.UNKNOWN: "Not known",
}
# What the school is asked to say about each destination (None: nothing more).
DESTINATION_DETAIL_LABELS = {
    DestinationKind.SCHOOL: "Name of the school, and its URN or town if you know them",
    DestinationKind.LOCAL_AUTHORITY: "Name of the local authority",
    DestinationKind.ABROAD: "Address abroad, or the country if that is all you know",
    DestinationKind.UNKNOWN: None,
}


class Outcome(StrEnum):
    """How the CME officer closed a notice (the school sees it)."""

    FOUND_IN_SCHOOL = "found_in_school"
    HOME_EDUCATION = "home_education"
    LEFT_ENGLAND = "left_england"
    REFERRED_TO_SOCIAL_CARE = "referred_to_social_care"
    ALTERNATIVE_PROVISION = "alternative_provision"
    ADDED_TO_CME_REGISTER = "added_to_cme_register"
    LOST_PUPILS_DATABASE = "lost_pupils_database"
    NO_LONGER_OF_SCHOOL_AGE = "no_longer_of_school_age"
    DIED = "died"
    SENT_IN_ERROR = "sent_in_error"


OUTCOME_LABELS = {
    Outcome.FOUND_IN_SCHOOL: "Found in education at another school",
    Outcome.HOME_EDUCATION: "Elective home education registered with the local authority",
    Outcome.LEFT_ENGLAND: "Left England (moved abroad, to Wales, Scotland or Northern Ireland)",
    Outcome.REFERRED_TO_SOCIAL_CARE: "Referred to children’s social care",
    Outcome.ALTERNATIVE_PROVISION: "In alternative provision arranged by the local authority",
    Outcome.ADDED_TO_CME_REGISTER: "Not found: kept on the children missing education register",
    Outcome.LOST_PUPILS_DATABASE: "Not found: referred to the DfE lost pupils database",
    Outcome.NO_LONGER_OF_SCHOOL_AGE: "No longer of compulsory school age",
    Outcome.DIED: "The child has died",
    Outcome.SENT_IN_ERROR: "Notice sent in error: the child remains on the school’s roll",
}
# Outcomes that need a word more ("at which school?"); the officer's detail is shown to the school.
OUTCOMES_WITH_DETAIL = (Outcome.FOUND_IN_SCHOOL, Outcome.ALTERNATIVE_PROVISION, Outcome.LEFT_ENGLAND)


class EventKind(StrEnum):
    """One step in a notice's history."""

    SENT = "sent"
    STATUS_CHANGED = "status_changed"
    QUESTION_ASKED = "question_asked"
    QUESTION_ANSWERED = "question_answered"
    CLOSED = "closed"


EVENT_LABELS = {
    EventKind.SENT: "Sent to the local authority",
    EventKind.STATUS_CHANGED: "Status changed",
    EventKind.QUESTION_ASKED: "Question asked of the school",
    EventKind.QUESTION_ANSWERED: "Question answered by the school",
    EventKind.CLOSED: "Closed with an outcome",
}


class OffRollNotice(UUIDPrimaryKey, Base):
    __tablename__ = "off_roll_notice"

    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    # The council whose CME officer works it: the school's LA when it was started.
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupil.id"), index=True)
    # A NoticeStatus.
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.DRAFT, index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # The school's answers: {"grounds", "last_attendance" (ISO date), "destination_kind",
    # "destination_detail", "enquiries"}; filled in page by page while a draft.
    answers = encrypted(dict)
    sent_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    # The pupil's details as they were sent ({"legal_forename", ..., "school_name", "school_urn"}):
    # what the council reads, whatever the school's record becomes.
    pupil_details = encrypted(dict, nullable=True)
    # When any area said it holds something open about the child (a concern, a referral): the
    # notice is flagged to the council's triage too (portal.events.OffRollNoticeFlagged).
    flagged_at: Mapped[datetime | None]

    status_changed_at: Mapped[datetime | None]
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]
    # An Outcome, and the officer's words about it, which the school reads.
    outcome = encrypted(str, nullable=True)
    outcome_detail = encrypted(str, nullable=True)

    questions: Mapped[list[OffRollQuestion]] = relationship(
        back_populates="notice", order_by="OffRollQuestion.asked_at", cascade="all"
    )
    events: Mapped[list[OffRollNoticeEvent]] = relationship(
        back_populates="notice", order_by="OffRollNoticeEvent.at", cascade="all"
    )

    @property
    def is_sent(self) -> bool:
        return self.status != NoticeStatus.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def unanswered_questions(self) -> list[OffRollQuestion]:
        return [q for q in self.questions if q.answered_at is None]


class OffRollQuestion(UUIDPrimaryKey, Base):
    """The CME officer asks the school something; the school's DSLs answer."""

    __tablename__ = "off_roll_question"

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("off_roll_notice.id"), index=True)
    asked_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    question = encrypted(str)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None]
    answer = encrypted(str, nullable=True)

    notice: Mapped[OffRollNotice] = relationship(back_populates="questions")


class OffRollNoticeEvent(UUIDPrimaryKey, Base):
    """One step in a notice's history (who and when; the status it moved to)."""

    __tablename__ = "off_roll_notice_event"

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("off_roll_notice.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))

    notice: Mapped[OffRollNotice] = relationship(back_populates="events")
