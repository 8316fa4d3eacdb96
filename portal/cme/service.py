"""Off-roll notices: the school writes and sends one; the council's CME officer works it.

    notice = start(dsl, pupil_id)                        # a draft (or the school's draft already open)
    save_answers(dsl, notice.id, grounds="9_1_g")        # one question page at a time
    send(dsl, notice.id)                                 # once, whatever the clicks; tells the officers
    queue(officer, status="received")                    # the LA's notices
    move_on(officer, notice.id, "under_enquiry")
    ask(officer, notice.id, "Which school ...?") / answer(dsl, notice.id, question.id, "...")
    close(officer, notice.id, outcome="found_in_school", detail="...")   # the school sees it

Every function that changes something is a unit of work (`@transactional`): it asks the policy
about the record (NotFound for another school's or council's), writes its audit event (opaque
ids, short codes: never the grounds, which say something about the child), queues its emails
(a link only, nothing about the child) and commits. Every page that shows the child is an
audited read here too. A bad answer is a `NoticeInvalid` (field -> GOV.UK message); a notice
that has moved on is a `NoticeStateError` (a Conflict).

Sending publishes `OffRollNoticeSent`: areas holding records about children add what they hold
open about this one (portal.cme.subscribers for concerns and referrals; any later area by
subscribing). If anything was added, the notice is flagged and `OffRollNoticeFlagged` tells the
council's triage.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.auth.links import external_url
from portal.auth.models import User
from portal.auth.roles import Role
from portal.cme.models import (
    DESTINATION_DETAIL_LABELS,
    MOVES_LABELS,
    OPEN_STATUSES,
    OUTCOMES_WITH_DETAIL,
    QUEUE_STATUSES,
    DestinationKind,
    EventKind,
    Ground,
    NoticeStatus,
    OffRollNotice,
    OffRollNoticeEvent,
    OffRollQuestion,
    Outcome,
)
from portal.db import db, utcnow
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.events import OffRollNoticeFlagged, OffRollNoticeSent, publish
from portal.notify.outbox import queue_email
from portal.orgs.models import LocalAuthority, School
from portal.paging import PageNumbers, clamp_page, page_count
from portal.policy import can, require, role_of
from portal.pupils.models import Pupil
from portal.transaction import transactional

ENQUIRIES_MAX = 5000
# The email to a council's LA admins when a notice arrives and nobody holds the CME officer role.
NO_OFFICER_SUBJECT = "An off-roll notice is waiting and nobody holds the CME officer role"
DETAIL_MAX = 500
QUESTION_MAX = 2000
ANSWER_MAX = 5000
OUTCOME_DETAIL_MAX = 2000
# Notices on a page of the CME officer's queue.
QUEUE_PAGE_SIZE = 50

# The question pages, in order, and the answers each fills in.
STEPS = ("grounds", "last-day", "destination", "enquiries")
STEP_FIELDS = {
    "grounds": ("grounds",),
    "last-day": ("last_attendance",),
    "destination": ("destination_kind", "destination_detail"),
    "enquiries": ("enquiries",),
}


UK = ZoneInfo("Europe/London")


def today_uk() -> date:
    return utcnow().astimezone(UK).date()


class NoticeInvalid(Invalid):
    """Something typed or chosen is wrong. `errors`: field name -> GOV.UK message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("off-roll notice details are not valid")
        self.errors = errors


class NoticeStateError(Conflict):
    """The notice is not in a state where this can be done (it moved on, or a double click)."""


class AlreadySent(Conflict):
    """A question page or the send button of a notice that has been sent (the back button, a
    second click): the view shows the confirmation instead."""

    def __init__(self, notice_id: uuid.UUID):
        super().__init__("this off-roll notice has been sent")
        self.notice_id = notice_id


# --- finding things --------------------------------------------------------------------------


def _uuid(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def _load(notice_id, *, lock: bool = False) -> OffRollNotice:
    query = select(OffRollNotice).where(OffRollNotice.id == _uuid(notice_id))
    if lock:
        # Held until the unit of work commits: two people at once, or a double click.
        query = query.with_for_update().execution_options(populate_existing=True)
    notice = db.session.execute(query).scalar_one_or_none()
    if notice is None:
        raise NotFound()
    return notice


def get_notice_for(user, notice_id, action: str, *, lock: bool = False) -> OffRollNotice:
    notice = _load(notice_id, lock=lock)
    require(action, notice)
    return notice


def _pupil_for(user, pupil_id) -> Pupil:
    pupil = db.session.get(Pupil, _uuid(pupil_id))
    if pupil is None:
        raise NotFound()
    require("cme:send", pupil)
    return pupil


def _event(notice: OffRollNotice, kind: EventKind, by, *, at=None) -> None:
    notice.events.append(OffRollNoticeEvent(kind=kind, status=notice.status, at=at or utcnow(),
                                            by_user_id=getattr(by, "id", None)))


def people(ids) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}


def people_named_in(notice: OffRollNotice) -> dict:
    ids = {notice.created_by_id, notice.sent_by_id, notice.closed_by_id}
    ids |= {e.by_user_id for e in notice.events}
    ids |= {q.asked_by_id for q in notice.questions} | {q.answered_by_id for q in notice.questions}
    return people(ids)


# --- the school writes it ---------------------------------------------------------------------


@dataclass
class StartPage:
    pupil: Pupil
    draft: OffRollNotice | None
    sent: list[OffRollNotice]


@transactional
def start_page(user, pupil_id) -> StartPage:
    """The page before the questions: the child, and any notice already started or sent about
    them (the read is audited)."""
    pupil = _pupil_for(user, pupil_id)
    notices = db.session.execute(
        select(OffRollNotice).where(OffRollNotice.pupil_id == pupil.id, OffRollNotice.school_id == pupil.school_id)
        .order_by(OffRollNotice.created_at)
    ).scalars().all()
    audit.record("cme.start_view", object_type="pupil", object_id=pupil.id)
    return StartPage(pupil=pupil, draft=next((n for n in notices if n.status == NoticeStatus.DRAFT), None),
                     sent=[n for n in notices if n.is_sent])


@transactional
def start(user, pupil_id) -> OffRollNotice:
    """A draft notice about the pupil, or the school's draft about them already open (so the
    button pressed twice starts one)."""
    pupil = _pupil_for(user, pupil_id)
    # Two clicks at once wait for each other here, and the second finds the first's draft.
    db.session.execute(select(Pupil.id).where(Pupil.id == pupil.id).with_for_update())
    draft = db.session.execute(
        select(OffRollNotice).where(OffRollNotice.pupil_id == pupil.id, OffRollNotice.school_id == pupil.school_id,
                                    OffRollNotice.status == NoticeStatus.DRAFT)
    ).scalars().first()
    if draft is not None:
        return draft
    school = db.session.get(School, pupil.school_id)
    notice = OffRollNotice(school_id=school.id, local_authority_id=school.local_authority_id, pupil_id=pupil.id,
                           status=NoticeStatus.DRAFT, created_by_id=user.id)
    suggestion = suggested_destination(pupil)
    notice.answers = {SUGGESTED: suggestion} if suggestion else {}
    db.session.add(notice)
    db.session.flush()
    audit.record("cme.notice_start", object_type="off_roll_notice", object_id=notice.id)
    return notice


# --- the destination the school's MIS gave --------------------------------------------------------
# A Common Transfer File import (portal.rolls, above this area) puts the school a leaver went to in
# their school history: an enrolment starting when they left here, at a school in the portal
# (`school_id`) or elsewhere (`other_school_name`, written by `next_school_name` below so that it
# reads back). The destination question of a notice about that pupil starts from it.

SUGGESTED = "suggested_destination"
# CTF's DestSchool codes for "not known" (MMM) and "out of England" (XXX), and an establishment
# number of MMMM: the local authority is known, the school is not.
_NO_LA = {"MMM", "XXX"}
_LA_ONLY_ESTAB = "MMMM"
_LA_ONLY = "School not known, in local authority "


def next_school_name(la_code: str | None, estab: str | None, name: str | None) -> str | None:
    """How a CTF's next school outside the portal is written in a school history (None: the
    file says nothing usable, such as MMM/MMMM or XXX/XXXX)."""
    la_code, estab = (la_code or "").strip().upper(), (estab or "").strip().upper()
    if not la_code.isdigit() or la_code in _NO_LA:
        return None
    if estab == _LA_ONLY_ESTAB or not estab:
        return f"{_LA_ONLY}{la_code}"
    if not estab.isdigit():
        return None
    name = " ".join((name or "").split())
    return f"{name} (LAESTAB {la_code}{estab})" if name else f"School with LAESTAB {la_code}{estab}"


def suggested_destination(pupil: Pupil) -> dict | None:
    """The destination question's answer as the school's MIS gave it, for a pupil who has left
    this school and whose history names where they went next: {"destination_kind",
    "destination_detail", "from": "ctf"}; None when nothing is known."""
    here = [e for e in pupil.enrolments if e.school_id == pupil.school_id]
    if not here or any(e.end_date is None for e in here):
        return None
    left_on = max(e.end_date for e in here)
    later = sorted((e for e in pupil.enrolments if e.school_id != pupil.school_id and e.start_date >= left_on),
                   key=lambda e: e.start_date)
    if not later:
        return None
    following = later[-1]
    if following.school_id is not None:
        school = db.session.get(School, following.school_id)
        if school is None:
            return None
        return {"destination_kind": str(DestinationKind.SCHOOL), "from": "ctf",
                "destination_detail": f"{school.name} (LAESTAB {school.laestab})"}
    written = following.other_school_name or ""
    if written.startswith(_LA_ONLY):
        code = written[len(_LA_ONLY):]
        la = db.session.execute(select(LocalAuthority).where(LocalAuthority.code == code)).scalar_one_or_none()
        return {"destination_kind": str(DestinationKind.LOCAL_AUTHORITY), "from": "ctf",
                "destination_detail": f"{la.name} (LA code {code})" if la is not None else f"LA code {code}"}
    if not written:
        return None
    return {"destination_kind": str(DestinationKind.SCHOOL), "from": "ctf", "destination_detail": written}


@dataclass
class DraftPage:
    notice: OffRollNotice
    pupil: Pupil
    answers: dict


def _draft(user, notice_id, *, lock: bool = False) -> OffRollNotice:
    notice = _load(notice_id, lock=lock)
    if notice.is_sent:
        if can(user, "cme:answer", notice):
            raise AlreadySent(notice.id)
        raise NotFound()
    require("cme:send", notice)
    return notice


@transactional
def draft_page(user, notice_id) -> DraftPage:
    """A question page or the check-answers page of a draft (the read is audited)."""
    notice = _draft(user, notice_id)
    audit.record("cme.draft_view", object_type="off_roll_notice", object_id=notice.id)
    return DraftPage(notice=notice, pupil=db.session.get(Pupil, notice.pupil_id), answers=dict(notice.answers or {}))


def _clean(step: str, values: dict, pupil: Pupil) -> tuple[dict, dict[str, str]]:
    """The answers of one question page, cleaned, and the errors (field -> message)."""
    errors: dict[str, str] = {}
    clean: dict = {}
    if step == "grounds":
        grounds = values.get("grounds")
        if grounds not in set(Ground):
            errors["grounds"] = "Select the grounds for taking the pupil off roll"
        clean["grounds"] = grounds
    elif step == "last-day":
        day = values.get("last_attendance")
        if not isinstance(day, date):
            errors["last_attendance"] = "Enter the pupil’s last day of attendance"
        elif day > today_uk():
            errors["last_attendance"] = "The last day of attendance must be today or in the past"
        elif pupil.date_of_birth and day <= pupil.date_of_birth:
            errors["last_attendance"] = "The last day of attendance must be after the pupil’s date of birth"
        clean["last_attendance"] = day.isoformat() if isinstance(day, date) else None
    elif step == "destination":
        kind = values.get("destination_kind")
        detail = " ".join((values.get("destination_detail") or "").split())
        if kind not in set(DestinationKind):
            errors["destination_kind"] = "Select where the pupil has gone, or ‘Not known’"
        elif DESTINATION_DETAIL_LABELS[DestinationKind(kind)] and not detail:
            errors["destination_detail"] = "Enter what you know of where the pupil has gone"
        if len(detail) > DETAIL_MAX:
            errors["destination_detail"] = f"Where the pupil has gone must be {DETAIL_MAX} characters or fewer"
        clean["destination_kind"] = kind
        clean["destination_detail"] = detail if kind != DestinationKind.UNKNOWN else ""
    elif step == "enquiries":
        text = (values.get("enquiries") or "").strip()
        if not text:
            errors["enquiries"] = "Enter the enquiries the school has made"
        elif len(text) > ENQUIRIES_MAX:
            errors["enquiries"] = f"The enquiries must be {ENQUIRIES_MAX} characters or fewer"
        clean["enquiries"] = text
    else:
        raise NotFound()
    return clean, errors


@transactional
def save_answers(user, notice_id, step: str, **values) -> OffRollNotice:
    """Keep one question page's answers on the draft (nothing is kept if any is wrong)."""
    notice = _draft(user, notice_id, lock=True)
    pupil = db.session.get(Pupil, notice.pupil_id)
    clean, errors = _clean(step, values, pupil)
    if errors:
        raise NoticeInvalid(errors)
    notice.answers = {**(notice.answers or {}), **clean}
    db.session.flush()
    audit.record("cme.draft_save", object_type="off_roll_notice", object_id=notice.id)
    return notice


def next_step(answers: dict) -> str | None:
    """The first question page not answered yet (None: all are, on to check answers)."""
    for step in STEPS:
        if any(name not in answers or answers[name] in (None, "") for name in STEP_FIELDS[step]
               if name != "destination_detail"):
            return step
    return None


def _freeze_pupil(pupil: Pupil, school: School, la: LocalAuthority) -> dict:
    return {
        "legal_forename": pupil.legal_forename,
        "legal_surname": pupil.legal_surname,
        "preferred_name": pupil.preferred_name,
        "date_of_birth": pupil.date_of_birth.isoformat() if pupil.date_of_birth else None,
        "sex": pupil.sex,
        "upn": pupil.upn,
        "nhs_number": pupil.nhs_number,
        "address": pupil.address,
        "postcode": pupil.postcode,
        "year_group": pupil.year_group,
        "school_name": school.name,
        "school_urn": school.urn,
        "la_code": la.code if la else None,
    }


@transactional
def send(user, notice_id) -> OffRollNotice:
    """Send the draft to the council, once: a second click finds it sent and changes nothing
    (AlreadySent). Every question must be answered."""
    notice = _draft(user, notice_id, lock=True)
    answers = dict(notice.answers or {})
    missing = next_step(answers)
    if missing is not None:
        raise NoticeInvalid({"notice": "Answer every question before sending the notice"})
    for step in STEPS:
        _, errors = _clean(step, answers | ({"last_attendance": date.fromisoformat(answers["last_attendance"])}
                                            if step == "last-day" else {}), db.session.get(Pupil, notice.pupil_id))
        if errors:
            raise NoticeInvalid(errors)
    pupil = db.session.get(Pupil, notice.pupil_id)
    school = db.session.get(School, notice.school_id)
    now = utcnow()
    notice.pupil_details = _freeze_pupil(pupil, school, db.session.get(LocalAuthority, notice.local_authority_id))
    # What is sent is what the school answered; the suggestion it started from is not.
    notice.answers = {k: v for k, v in answers.items() if k != SUGGESTED}
    notice.status = NoticeStatus.RECEIVED
    notice.sent_by_id = user.id
    notice.sent_at = now
    notice.status_changed_at = now
    _event(notice, EventKind.SENT, user, at=now)
    db.session.flush()
    audit.record("cme.notice_send", object_type="off_roll_notice", object_id=notice.id)

    heard = OffRollNoticeSent(notice=notice, sent_by=user)
    publish(heard)
    reasons = tuple(sorted(set(heard.open_records)))
    if reasons:
        notice.flagged_at = now
        db.session.flush()
        audit.record("cme.notice_flag", object_type="off_roll_notice", object_id=notice.id)
        publish(OffRollNoticeFlagged(notice=notice, reasons=reasons))
    officers = _officers(notice)
    if officers:
        _tell(officers, "An off-roll notice has arrived",
              "A school has sent your local authority an off-roll notice through Safeguard Portal.\n\n"
              f"Sign in to read it:\n{external_url('cme.officer_notice', notice_id=notice.id)}\n")
    else:
        # Nobody at the council would hear of it: its LA admins are told a notice waits, and that
        # someone has to be given the role to read it (they cannot read it themselves).
        _tell(_la_admins(notice.local_authority_id), NO_OFFICER_SUBJECT,
              "A school has sent your local authority an off-roll notice through Safeguard Portal, and "
              "nobody at your local authority holds the children missing education (CME) officer role, "
              "so nobody can read it yet.\n\n"
              "Invite a CME officer (Users, then Invite a user), or give someone the role:\n"
              f"{external_url('admin.invite_user')}\n")
    return notice


# --- the school's side after sending ------------------------------------------------------------


@dataclass
class SchoolList:
    notices: list[OffRollNotice]
    pupils: dict


@transactional
def school_list(user) -> SchoolList:
    """The school's off-roll notices, newest first, drafts too (the read is audited)."""
    require("cme:answer")
    notices = db.session.execute(
        select(OffRollNotice).where(OffRollNotice.school_id == user.school_id)
        .options(selectinload(OffRollNotice.questions))
        .order_by(OffRollNotice.sent_at.is_(None).desc(), OffRollNotice.sent_at.desc(), OffRollNotice.created_at.desc())
    ).scalars().all()
    pupil_ids = {n.pupil_id for n in notices}
    pupils = {p.id: p for p in db.session.execute(select(Pupil).where(Pupil.id.in_(pupil_ids))).scalars()} if pupil_ids else {}
    audit.record("cme.school_list_view", object_type="school", object_id=user.school_id)
    return SchoolList(notices=list(notices), pupils=pupils)


@dataclass
class NoticePage:
    notice: OffRollNotice
    details: dict
    answers: dict
    people: dict
    school: School
    flag_reasons: tuple = field(default_factory=tuple)


def _page(notice: OffRollNotice) -> NoticePage:
    return NoticePage(notice=notice, details=dict(notice.pupil_details or {}), answers=dict(notice.answers or {}),
                      people=people_named_in(notice), school=db.session.get(School, notice.school_id))


@transactional
def school_notice(user, notice_id) -> NoticePage:
    """A sent notice as its school sees it (the read is audited)."""
    notice = get_notice_for(user, notice_id, "cme:answer")
    audit.record("cme.notice_view", object_type="off_roll_notice", object_id=notice.id, detail="school")
    return _page(notice)


@transactional
def answer(user, notice_id, question_id, text: str | None) -> OffRollQuestion:
    """The school answers the council's question (once; a second click changes nothing)."""
    notice = get_notice_for(user, notice_id, "cme:answer", lock=True)
    question = next((q for q in notice.questions if str(q.id) == str(question_id)), None)
    if question is None:
        raise NotFound()
    if question.answered_at is not None:
        raise NoticeStateError("this question has been answered")
    text = (text or "").strip()
    if not text:
        raise NoticeInvalid({"answer": "Enter your answer"})
    if len(text) > ANSWER_MAX:
        raise NoticeInvalid({"answer": f"Your answer must be {ANSWER_MAX} characters or fewer"})
    question.answer = text
    question.answered_by_id = user.id
    question.answered_at = utcnow()
    _event(notice, EventKind.QUESTION_ANSWERED, user, at=question.answered_at)
    db.session.flush()
    audit.record("cme.question_answer", object_type="off_roll_notice", object_id=notice.id)
    asker = db.session.get(User, question.asked_by_id)
    _tell([asker] if asker is not None and _reachable(asker, "cme:work", notice) else [],
          "A school answered your question about an off-roll notice",
          "A school has answered your question about an off-roll notice in Safeguard Portal.\n\n"
          f"Sign in to read the answer:\n{external_url('cme.officer_notice', notice_id=notice.id)}\n")
    return question


# --- the council's CME officer ----------------------------------------------------------------


@dataclass
class QueueLine:
    notice: OffRollNotice
    child: str
    date_of_birth: str | None
    school: str
    waiting_answers: int


@dataclass
class Queue(PageNumbers):
    lines: list[QueueLine]
    status: str | None
    counts: dict
    total: int = 0
    page: int = 1
    pages: int = 1
    page_size: int = QUEUE_PAGE_SIZE


def _counts(la_id) -> dict:
    rows = db.session.execute(
        select(OffRollNotice.status, func.count(OffRollNotice.id))
        .where(OffRollNotice.local_authority_id == la_id, OffRollNotice.status.in_(list(QUEUE_STATUSES)))
        .group_by(OffRollNotice.status)
    ).all()
    counts = Counter({status: int(n) for status, n in rows})
    return {status: counts.get(status, 0) for status in QUEUE_STATUSES}


def queue_status(value: str | None) -> str | None:
    """The queue's filter from the address: a status, or None for every open notice."""
    return value if value in set(QUEUE_STATUSES) else None


def page_number(value) -> int:
    """A page number from the address (anything else is the first page)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


@transactional
def queue(user, status: str | None = None, page=1, page_size: int = QUEUE_PAGE_SIZE) -> Queue:
    """A page of the officer's LA's notices (open ones, or those of one status): oldest sent first
    while open, newest closed first (the read names children, so it is audited)."""
    require("cme:view_queue")
    la_id = user.local_authority_id
    status = queue_status(status)
    counts = _counts(la_id)
    query = select(OffRollNotice).where(OffRollNotice.local_authority_id == la_id)
    if status is None:
        total = sum(counts[s] for s in OPEN_STATUSES)
        query = query.where(OffRollNotice.status.in_(list(OPEN_STATUSES))).order_by(OffRollNotice.sent_at, OffRollNotice.id)
    elif status == NoticeStatus.CLOSED:
        total = counts[status]
        query = query.where(OffRollNotice.status == status).order_by(OffRollNotice.closed_at.desc(), OffRollNotice.id)
    else:
        total = counts[status]
        query = query.where(OffRollNotice.status == status).order_by(OffRollNotice.sent_at, OffRollNotice.id)
    pages = page_count(total, page_size)
    page = clamp_page(page_number(page), pages)
    # The questions of the whole page in one more statement (the line says how many wait).
    query = query.options(selectinload(OffRollNotice.questions))
    notices = db.session.execute(query.offset((page - 1) * page_size).limit(page_size)).scalars().all()
    lines = []
    for notice in notices:
        details = notice.pupil_details or {}
        lines.append(QueueLine(
            notice=notice,
            child=" ".join(p for p in (details.get("legal_forename"), details.get("legal_surname")) if p),
            date_of_birth=details.get("date_of_birth"),
            school=details.get("school_name") or "",
            waiting_answers=len(notice.unanswered_questions),
        ))
    audit.record("cme.queue_view", object_type="local_authority", object_id=la_id, detail=status or "open")
    return Queue(lines=lines, status=status, counts=counts, total=total, page=page, pages=pages,
                 page_size=page_size)


@transactional
def officer_notice(user, notice_id) -> NoticePage:
    """A notice as the CME officer sees it: the child as sent, the answers, questions, history
    (the read is audited)."""
    notice = get_notice_for(user, notice_id, "cme:view_queue")
    audit.record("cme.notice_view", object_type="off_roll_notice", object_id=notice.id, detail="officer")
    return _page(notice)


def _open_for_work(user, notice_id) -> OffRollNotice:
    notice = get_notice_for(user, notice_id, "cme:work", lock=True)
    if not notice.is_open:
        raise NoticeStateError("this off-roll notice is closed")
    return notice


MOVES = tuple(MOVES_LABELS)


@transactional
def move_on(user, notice_id, status: str | None) -> OffRollNotice:
    notice = _open_for_work(user, notice_id)
    if status not in set(MOVES):
        raise NoticeInvalid({"status": "Select the notice’s new status"})
    if status == notice.status:
        raise NoticeInvalid({"status": "Select a status other than the one it has"})
    notice.status = status
    notice.status_changed_at = utcnow()
    _event(notice, EventKind.STATUS_CHANGED, user, at=notice.status_changed_at)
    db.session.flush()
    audit.record("cme.notice_status", object_type="off_roll_notice", object_id=notice.id, detail=status)
    return notice


@transactional
def ask(user, notice_id, text: str | None) -> OffRollQuestion:
    """The officer asks the school a question; the school's leads are told (a link only)."""
    notice = _open_for_work(user, notice_id)
    text = (text or "").strip()
    if not text:
        raise NoticeInvalid({"question": "Enter your question for the school"})
    if len(text) > QUESTION_MAX:
        raise NoticeInvalid({"question": f"Your question must be {QUESTION_MAX} characters or fewer"})
    question = OffRollQuestion(asked_by_id=user.id, asked_at=utcnow())
    question.question = text
    notice.questions.append(question)
    _event(notice, EventKind.QUESTION_ASKED, user, at=question.asked_at)
    db.session.flush()
    audit.record("cme.question_ask", object_type="off_roll_notice", object_id=notice.id)
    _tell(_school_leads(notice), "The local authority has a question about an off-roll notice",
          "Your local authority’s children missing education officer has asked a question about an "
          "off-roll notice your school sent.\n\n"
          f"Sign in to answer it:\n{external_url('cme.school_notice', notice_id=notice.id)}\n")
    return question


@transactional
def close(user, notice_id, outcome: str | None, detail: str | None) -> OffRollNotice:
    """Close the notice with an outcome the school sees (once: a second click is a
    NoticeStateError)."""
    notice = _open_for_work(user, notice_id)
    detail = (detail or "").strip()
    errors = {}
    if outcome not in set(Outcome):
        errors["outcome"] = "Select the outcome"
    elif Outcome(outcome) in OUTCOMES_WITH_DETAIL and not detail:
        errors["detail"] = "Enter where the child is (the school, the provision or the country)"
    if len(detail) > OUTCOME_DETAIL_MAX:
        errors["detail"] = f"The details must be {OUTCOME_DETAIL_MAX} characters or fewer"
    if errors:
        raise NoticeInvalid(errors)
    now = utcnow()
    notice.status = NoticeStatus.CLOSED
    notice.status_changed_at = now
    notice.closed_at = now
    notice.closed_by_id = user.id
    notice.outcome = outcome
    notice.outcome_detail = detail or None
    _event(notice, EventKind.CLOSED, user, at=now)
    db.session.flush()
    audit.record("cme.notice_close", object_type="off_roll_notice", object_id=notice.id)
    _tell(_school_leads(notice), "An off-roll notice has been closed",
          "Your local authority has closed an off-roll notice your school sent, with an outcome.\n\n"
          f"Sign in to see it:\n{external_url('cme.school_notice', notice_id=notice.id)}\n")
    return notice


# --- for the council's triage (read only) ---------------------------------------------------------


@transactional
def notice_for_triage(user, notice_id) -> NoticePage:
    """A flagged notice as the council's triage reads it (the read is audited)."""
    notice = get_notice_for(user, notice_id, "cme:triage_view")
    audit.record("cme.notice_view", object_type="off_roll_notice", object_id=notice.id, detail="triage")
    return _page(notice)


# --- the home page ----------------------------------------------------------------------------


def officer_home(user) -> dict | None:
    """A CME officer's home page: how many of their LA's notices are in each status (no child is
    named, so the read is not audited); None for anyone else."""
    if not can(user, "cme:view_queue"):
        return None
    return _counts(user.local_authority_id)


def admin_home(user) -> int | None:
    """An LA admin's home page when their council has no CME officer: how many of its sent
    notices wait unread by anyone (0 included: the role is missing either way). None for anyone
    else, and for an LA admin whose council has an officer (no child is named: not audited)."""
    if role_of(user) != Role.LA_ADMIN or user.local_authority_id is None:
        return None
    if has_officer(user.local_authority_id):
        return None
    return int(db.session.execute(
        select(func.count(OffRollNotice.id)).where(OffRollNotice.local_authority_id == user.local_authority_id,
                                                   OffRollNotice.status.in_(list(OPEN_STATUSES)))
    ).scalar_one())


def questions_waiting_count(school_id) -> Select:
    """How many of the council's questions wait for the school's answer (`school_id` a value or a
    bind parameter), for a DSL's home page, which counts everything in one statement (no child is
    named, so the count is not audited)."""
    return (select(func.count(OffRollQuestion.id)).join(OffRollNotice, OffRollNotice.id == OffRollQuestion.notice_id)
            .where(OffRollNotice.school_id == school_id, OffRollQuestion.answered_at.is_(None)))


# --- who is told ----------------------------------------------------------------------------------


def _reachable(user: User, action: str, notice: OffRollNotice) -> bool:
    return user.active and user.has_accepted_invitation and can(user, action, notice)


def _officers(notice: OffRollNotice) -> list[User]:
    users = db.session.execute(select(User).where(User.local_authority_id == notice.local_authority_id,
                                                  User.active.is_(True))).scalars()
    return [u for u in users if _reachable(u, "cme:work", notice)]


def has_officer(la_id) -> bool:
    """Whether anyone can work the council's notices: an active CME officer who has accepted
    their invitation."""
    la = db.session.get(LocalAuthority, la_id)
    users = db.session.execute(select(User).where(User.local_authority_id == la_id, User.active.is_(True),
                                                  User.role == Role.CME_OFFICER)).scalars()
    return la is not None and any(_reachable(u, "cme:view_queue", la) for u in users)


def _la_admins(la_id) -> list[User]:
    users = db.session.execute(select(User).where(User.local_authority_id == la_id, User.active.is_(True),
                                                  User.role == Role.LA_ADMIN)).scalars()
    return [u for u in users if u.has_accepted_invitation]


def _school_leads(notice: OffRollNotice) -> list[User]:
    users = db.session.execute(select(User).where(User.school_id == notice.school_id, User.active.is_(True))).scalars()
    return [u for u in users if _reachable(u, "cme:answer", notice)]


def _tell(users: list[User], subject: str, body: str) -> None:
    """An email per person: that something waits, and the link (access is checked there)."""
    for user in users:
        queue_email(user.email, subject, body)
