"""A DSL's home page as the day's work, most urgent first.

One read of a handful of indexed queries (each by the school, and by status or reader), and one
query for the names of the children it lists: transfers to send (by due date, overdue first),
concerns awaiting review (count, urgent count, oldest), unread updates from the council (child,
referral reference, kind), files waiting for receipt, requests for a file, and the school's
referrals still in progress or decided in the last fortnight. Each item carries the link to where
it is done. The read names children, so it is audited.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, case, func, select

from portal import audit
from portal.concerns.models import AWAITING_REVIEW, Concern
from portal.cme.service import questions_waiting_count as cme_questions_waiting
from portal.db import db, utcnow
from portal.encompass.service import unread_count_for_school as encompass_unread_count
from portal.encompass.service import unread_for_school as encompass_unread
from portal.orgs.models import School
from portal.policy import can
from portal.pupils.roll_names import display_names
from portal.referrals.models import Referral, ReferralStatus
from portal.referrals.sections import STATUS_TAG_CLASSES, STATUS_TEXT
from portal.transaction import transactional
from portal.transfers import school_days
from portal.transfers.models import (
    OPEN_STATUSES as TRANSFER_OPEN_STATUSES,
    STATUS_LABELS as TRANSFER_STATUS_LABELS,
    WAITING_STATUSES,
    RequestTargetStatus,
    Transfer,
    TransferRequestTarget,
)
from portal.updates.models import SharedUpdate
from portal.updates.service import SCHOOL_UNREAD, SCHOOL_UNREAD_COUNT, kind_label

# How many items of a kind the home page lists before "and N more" (the area's own page has all).
SHOWN = 10
# Decided referrals stay on the worklist this long, so the DSL sees the outcome arrive.
DECIDED_SHOWN_FOR = timedelta(days=14)
IN_PROGRESS = (ReferralStatus.DRAFT, ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED, ReferralStatus.IN_TRIAGE)


@dataclass
class TransferToSend:
    transfer_id: uuid.UUID
    child: str
    status: str
    due_date: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def clock_words(self) -> str:
        """The 5-school-day clock in words: '2 school days left', 'due today', '3 school days overdue'."""
        if self.days_left == 0:
            return "Due today"
        if self.days_left > 0:
            return f"{self.days_left} school day{'' if self.days_left == 1 else 's'} left"
        late = -self.days_left
        return f"{late} school day{'' if late == 1 else 's'} overdue"


@dataclass
class UnreadUpdate:
    update_id: uuid.UUID
    kind: str
    child: str | None
    reference: str | None
    at: datetime


@dataclass
class ReferralLine:
    referral_id: uuid.UUID
    child: str
    status: str
    reference: str | None
    urgent: bool
    at: datetime

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def status_class(self) -> str:
        return STATUS_TAG_CLASSES.get(self.status, "govuk-tag--grey")


@dataclass
class FileToReceive:
    transfer_id: uuid.UUID
    from_school: str
    sent_at: datetime | None


@dataclass
class Section:
    """One kind of item, with how many there are in all (the list may be cut at SHOWN)."""

    items: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)


@dataclass
class ConcernsWaiting:
    count: int = 0
    urgent: int = 0
    oldest_at: datetime | None = None
    now: datetime = field(default_factory=utcnow)

    @property
    def oldest_age(self) -> str:
        return age_words(self.oldest_at, self.now)


@dataclass
class Worklist:
    concerns: ConcernsWaiting | None = None
    updates: Section | None = None
    referrals: Section | None = None
    to_send: Section | None = None
    to_receive: Section | None = None
    requests: int = 0
    overdue_transfers: int = 0
    # Operation Encompass notices not yet read at the school (the police wait for the first read).
    encompass: Section | None = None
    # The council's questions about off-roll notices waiting for the school's answer (None: the
    # user does not answer them). Shown by templates/cme/_school_panel.html.
    cme_questions: int | None = None

    @property
    def anything(self) -> bool:
        return bool(
            (self.concerns and self.concerns.count) or (self.updates and self.updates.total)
            or (self.referrals and self.referrals.total) or (self.to_send and self.to_send.total)
            or (self.to_receive and self.to_receive.total) or self.requests
            or (self.encompass and self.encompass.total)
        )


def age_words(then: datetime | None, now: datetime) -> str:
    """How long ago, as a person says it: 'less than an hour', '5 hours', '1 day', '12 days'."""
    if then is None:
        return ""
    if then.tzinfo is None:
        then = then.replace(tzinfo=now.tzinfo)
    seconds = max((now - then).total_seconds(), 0)
    hours = int(seconds // 3600)
    if hours < 1:
        return "less than an hour"
    if hours < 24:
        return f"{hours} hour{'' if hours == 1 else 's'}"
    days = hours // 24
    return f"{days} day{'' if days == 1 else 's'}"


def is_worklist_user(user) -> bool:
    """The worklist is a school safeguarding lead's: they review concerns and read the council's updates."""
    return can(user, "concerns:review") or can(user, "updates:view") or can(user, "transfers:manage")


# The page's statements, each built once for the sections a user sees (`_counts_statement`) or
# once for everyone (the rows), with the school, the user and the dates as bind parameters:
# building them (a dozen subqueries) and working out their cache keys cost each home page more
# than running them (issue 22).
_SCHOOL = bindparam("school_id")
_SINCE = bindparam("since")
_TODAY = bindparam("today")
_CONCERNS_WAITING = (Concern.school_id == _SCHOOL, AWAITING_REVIEW)  # ix_concern_awaiting_review
_REFERRALS_SHOWN = (
    Referral.school_id == _SCHOOL,
    Referral.status.in_(IN_PROGRESS) | ((Referral.status == ReferralStatus.DECIDED) & (Referral.updated_at >= _SINCE)),
)
_TO_SEND = (Transfer.from_school_id == _SCHOOL, Transfer.status.in_(TRANSFER_OPEN_STATUSES))
_TO_RECEIVE = (Transfer.to_school_id == _SCHOOL, Transfer.status.in_(WAITING_STATUSES))

# Each count by the permission that shows it.
_COUNTS = {
    "encompass:read": {"encompass": encompass_unread_count(_SCHOOL)},
    "cme:answer": {"cme_questions": cme_questions_waiting(_SCHOOL)},
    "concerns:review": {
        "concerns": select(func.count()).select_from(Concern).where(*_CONCERNS_WAITING),  # the index alone
        "urgent": select(func.coalesce(func.sum(case((Concern.urgent.is_(True), 1), else_=0)), 0))
        .where(*_CONCERNS_WAITING),
        "oldest": select(func.min(Concern.logged_at)).where(*_CONCERNS_WAITING),
    },
    "updates:view": {"updates": SCHOOL_UNREAD_COUNT},
    "referrals:manage": {"referrals": select(func.count(Referral.id)).where(*_REFERRALS_SHOWN)},
    "transfers:manage": {
        "to_send": select(func.count(Transfer.id)).where(*_TO_SEND),
        "overdue": select(func.count(Transfer.id)).where(*_TO_SEND, Transfer.due_date < _TODAY),
        "to_receive": select(func.count(Transfer.id)).where(*_TO_RECEIVE),
        "requests": select(func.count(TransferRequestTarget.id)).where(
            TransferRequestTarget.holder_school_id == _SCHOOL, TransferRequestTarget.status == RequestTargetStatus.OPEN),
    },
}


@functools.cache
def _counts_statement(permissions: tuple[str, ...]):
    """Every count the user's sections show, in one statement (one scalar subquery each): a
    count a statement cost the page a round trip each."""
    return select(*(query.scalar_subquery().label(name)
                    for permission in permissions for name, query in _COUNTS[permission].items()))


# With the reference of the school's own referral each is about (never another school's).
_UPDATE_ROWS = (
    select(SharedUpdate.id, SharedUpdate.kind, SharedUpdate.pupil_id, SharedUpdate.created_at, Referral.reference)
    .outerjoin(Referral, (Referral.id == SharedUpdate.referral_id) & (Referral.school_id == _SCHOOL))
    .where(*SCHOOL_UNREAD)  # the navigation's condition, with the same bind parameters
    .order_by(SharedUpdate.created_at.desc(), SharedUpdate.id).limit(SHOWN)
)
# Urgent first, then drafts (the school's to finish), then the newest.
_REFERRAL_ROWS = (
    select(Referral.id, Referral.pupil_id, Referral.status, Referral.reference, Referral.urgent,
           func.coalesce(Referral.submitted_at, Referral.created_at).label("at"))
    .where(*_REFERRALS_SHOWN)
    .order_by(Referral.urgent.desc(), (Referral.status == ReferralStatus.DRAFT).desc(),
              func.coalesce(Referral.submitted_at, Referral.created_at).desc(), Referral.id)
    .limit(SHOWN)
)
_SEND_ROWS = (
    select(Transfer.id, Transfer.pupil_id, Transfer.status, Transfer.due_date)
    .where(*_TO_SEND).order_by(Transfer.due_date, Transfer.id).limit(SHOWN)
)
_RECEIVE_ROWS = (
    select(Transfer.id, Transfer.sent_at, School.name.label("from_school"))
    .join(School, School.id == Transfer.from_school_id)
    .where(*_TO_RECEIVE).order_by(Transfer.sent_at, Transfer.id).limit(SHOWN)
)


@transactional
def worklist_for(user) -> Worklist | None:
    """The user's worklist (None for anyone who is not a school's safeguarding lead); audited,
    since it names children."""
    if not is_worklist_user(user):
        return None
    school_id = user.school_id
    work = Worklist()
    pupil_ids: set[uuid.UUID] = set()
    parameters = {"school_id": school_id, "user_id": user.id, "since": utcnow() - DECIDED_SHOWN_FOR,
                  "today": school_days.today_uk()}

    # Then the few rows of each section, and none for a section with nothing in it.
    permissions = tuple(permission for permission in _COUNTS if can(user, permission))
    counted = db.session.execute(_counts_statement(permissions), parameters).one()._mapping if permissions else {}

    def rows(statement, count) -> list:
        return list(db.session.execute(statement, parameters).all()) if count else []

    if "encompass" in counted:
        total = int(counted["encompass"])
        work.encompass = Section(items=encompass_unread(school_id, SHOWN) if total else [], total=total)

    if "cme_questions" in counted:
        work.cme_questions = int(counted["cme_questions"])

    if "concerns" in counted:
        work.concerns = ConcernsWaiting(count=int(counted["concerns"]), urgent=int(counted["urgent"]),
                                        oldest_at=counted["oldest"])

    update_rows = []
    if "updates" in counted:
        update_rows = rows(_UPDATE_ROWS, counted["updates"])
        work.updates = Section(total=int(counted["updates"]))
        pupil_ids |= {row.pupil_id for row in update_rows if row.pupil_id}

    referral_rows = []
    if "referrals" in counted:
        referral_rows = rows(_REFERRAL_ROWS, counted["referrals"])
        work.referrals = Section(total=int(counted["referrals"]))
        pupil_ids |= {row.pupil_id for row in referral_rows}

    send_rows, receive_rows = [], []
    if "to_send" in counted:
        send_rows = rows(_SEND_ROWS, counted["to_send"])
        work.to_send = Section(total=int(counted["to_send"]))
        work.overdue_transfers = int(counted["overdue"])
        receive_rows = rows(_RECEIVE_ROWS, counted["to_receive"])
        work.to_receive = Section(total=int(counted["to_receive"]))
        work.requests = int(counted["requests"])
        pupil_ids |= {row.pupil_id for row in send_rows}

    # A file waiting for receipt is named by the school that sent it: the child's details are in
    # the sent file, read (and audited) when the receiving DSL opens it.
    names = display_names(pupil_ids, school_id)  # this school's own records only
    if update_rows:
        work.updates.items = [
            UnreadUpdate(update_id=row.id, kind=kind_label(row.kind), child=names.get(row.pupil_id),
                         reference=row.reference, at=row.created_at)
            for row in update_rows
        ]
    if work.referrals is not None:
        work.referrals.items = [
            ReferralLine(referral_id=row.id, child=names.get(row.pupil_id, "A pupil"), status=row.status,
                         reference=row.reference, urgent=bool(row.urgent), at=row.at)
            for row in referral_rows
        ]
    if work.to_send is not None:
        calendar = school_days.school_calendar(school_id) if send_rows else None
        today = parameters["today"]
        work.to_send.items = [
            TransferToSend(transfer_id=row.id, child=names.get(row.pupil_id, "A pupil"),
                           status=TRANSFER_STATUS_LABELS.get(row.status, row.status), due_date=row.due_date,
                           days_left=_days_left(calendar, today, row.due_date))
            for row in send_rows
        ]
        work.to_receive.items = [FileToReceive(transfer_id=row.id, from_school=row.from_school, sent_at=row.sent_at) for row in receive_rows]
    if names or (work.encompass and work.encompass.total):
        audit.record("home.worklist", object_type="school", object_id=school_id, actor=user)
    return work


def _days_left(calendar, today: date, due: date) -> int:
    """School days from today to the due date (0 on it, negative when late): school_days' rule."""
    if today <= due:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)
