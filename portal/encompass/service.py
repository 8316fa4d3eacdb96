"""Operation Encompass: recording a notice (the police), routing each child (the portal, or the
council's key contact by hand), reading it at the school (the DSL), the 08:30 chase and the
council's register.

Every function that changes or reads a notice is a unit of work that checks the policy and
writes its audit events. Routing is done by the mail worker (`route_waiting`, registered in
portal.wiring), not by the page that submits the notice: the police user's answer is the same
page, in the same time, whether or not any child is known to the portal. What the police see
afterwards is only "delivered to the school" or "held by the council" and the time the school
first read it (docs/encompass.md says what that still tells them).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from statistics import median

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.concerns.models import Concern, ConcernPupil
from portal.crypto import lookup
from portal.crypto.normalise import normalise_text
from portal.db import db, utcnow
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.encompass import clock, notices
from portal.encompass.models import (
    EncompassChild,
    EncompassNotice,
    Exposure,
    HeldReason,
    Injured,
    NoticeStatus,
    Routing,
)
from portal.events import EncompassNoticeRouted, publish
from portal.orgs.models import Agency, LocalAuthority, School
from portal.policy import can, require
from portal.pupils.identifiers import InvalidIdentifier, validate_date_of_birth, validate_upn
from portal.pupils.models import Pupil
from portal.transaction import transactional, unit_of_work
from portal.working_days import UK

NAME_MAX = 100
REFERENCE_MAX = 50
ADDRESS_MAX = 500
SCHOOL_MAX = 200
TEXT_MAX = 5000
CHILDREN_MAX = 12
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


class EncompassInvalid(Invalid):
    """One or more answers are wrong. `errors` maps field name to a GOV.UK error message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("encompass answers are not valid")  # no values: messages go to the form only
        self.errors = errors


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _one_line(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def _hidden_characters(value: str | None) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\u200c\u200d" for c in value or "")


# --- recording a notice (the police) -----------------------------------------------------------


@dataclass
class IncidentDetails:
    police_reference: str | None
    incident_date: date | None
    incident_time: str | None
    other_agencies: str | None = None


@dataclass
class ChildDetails:
    forename: str | None
    surname: str | None
    date_of_birth: date | None
    address: str | None = None
    school_given: str | None = None
    upn: str | None = None
    exposure: list[str] = field(default_factory=list)
    injured: str | None = None
    injuries: str | None = None
    disclosure: str | None = None

    @classmethod
    def of(cls, child: EncompassChild) -> ChildDetails:
        return cls(forename=child.forename, surname=child.surname, date_of_birth=child.date_of_birth,
                   address=child.address, school_given=child.school_given, upn=child.upn,
                   exposure=list(child.exposure or []), injured=child.injured, injuries=child.injuries,
                   disclosure=child.disclosure)


def clean_incident(details: IncidentDetails, now: datetime | None = None) -> tuple[str, datetime, str | None]:
    errors: dict[str, str] = {}
    reference = _one_line(details.police_reference)
    if not reference:
        errors["police_reference"] = "Enter the police reference"
    elif len(reference) > REFERENCE_MAX:
        errors["police_reference"] = f"Police reference must be {REFERENCE_MAX} characters or fewer"
    elif _hidden_characters(reference):
        errors["police_reference"] = "Police reference must not include hidden characters"
    incident_at = None
    match = _TIME.match(details.incident_time or "")
    if details.incident_date is None:
        errors["incident_date"] = "Enter the date of the incident"
    if not (details.incident_time or "").strip():
        errors["incident_time"] = "Enter the time of the incident"
    elif not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        errors["incident_time"] = "Enter the time of the incident as hours and minutes, like 21:40"
    if details.incident_date is not None and match and "incident_time" not in errors:
        incident_at = datetime.combine(details.incident_date, datetime.min.time(), tzinfo=UK).replace(
            hour=int(match.group(1)), minute=int(match.group(2))).astimezone(timezone.utc)
        now = now or utcnow()
        if incident_at > now + timedelta(minutes=5):
            errors["incident_date"] = "The incident must be in the past"
        elif incident_at < now - timedelta(days=60):
            errors["incident_date"] = "The incident must be within the last 60 days"
    other = _text(details.other_agencies)
    if other and len(other) > TEXT_MAX:
        errors["other_agencies"] = f"Other agencies must be {TEXT_MAX} characters or fewer"
    if errors:
        raise EncompassInvalid(errors)
    return reference, incident_at, other


def _registered_la_codes() -> frozenset[str]:
    return frozenset(db.session.execute(select(LocalAuthority.code)).scalars())


def clean_child(details: ChildDetails, today: date | None = None) -> ChildDetails:
    errors: dict[str, str] = {}
    clean = ChildDetails(
        forename=_one_line(details.forename), surname=_one_line(details.surname), date_of_birth=details.date_of_birth,
        address=_text(details.address), school_given=_one_line(details.school_given), upn=None,
        exposure=[e for e in Exposure if e.value in (details.exposure or [])],
        injured=details.injured or None, injuries=_text(details.injuries), disclosure=_text(details.disclosure),
    )
    for name, words in (("forename", "first name"), ("surname", "last name")):
        value = getattr(clean, name)
        if not value:
            errors[name] = f"Enter the child’s {words}"
        elif len(value) > NAME_MAX:
            errors[name] = f"The child’s {words} must be {NAME_MAX} characters or fewer"
        elif _hidden_characters(value):
            errors[name] = f"The child’s {words} must not include hidden characters such as text direction marks"
    if clean.date_of_birth is None:
        errors["date_of_birth"] = "Enter the child’s date of birth"
    else:
        try:
            validate_date_of_birth(clean.date_of_birth, today)
        except InvalidIdentifier as error:
            errors["date_of_birth"] = str(error)
    if clean.address and len(clean.address) > ADDRESS_MAX:
        errors["address"] = f"Address must be {ADDRESS_MAX} characters or fewer"
    if clean.school_given and len(clean.school_given) > SCHOOL_MAX:
        errors["school_given"] = f"School must be {SCHOOL_MAX} characters or fewer"
    upn = _one_line(details.upn)
    if upn:
        try:
            clean.upn = validate_upn(upn, _registered_la_codes())
        except InvalidIdentifier as error:
            errors["upn"] = str(error)
    if not clean.exposure or len(clean.exposure) != len(set(details.exposure or [])):
        errors["exposure"] = "Select whether the child was present, saw it or heard it"
    if clean.injured not in {i.value for i in Injured}:
        errors["injured"] = "Select whether the child was injured"
    for name, words in (("injuries", "Injuries"), ("disclosure", "What the child said")):
        if getattr(clean, name) and len(getattr(clean, name)) > TEXT_MAX:
            errors[name] = f"{words} must be {TEXT_MAX} characters or fewer"
    if errors:
        raise EncompassInvalid(errors)
    return clean


def _my_notice(user, notice_id: uuid.UUID, *, lock: bool = False) -> EncompassNotice:
    query = select(EncompassNotice).where(EncompassNotice.id == notice_id)
    if lock:
        query = query.with_for_update()
    notice = db.session.execute(query).scalar_one_or_none()
    if notice is None:
        raise NotFound()
    require("encompass:record", notice)
    return notice


def _draft(user, notice_id: uuid.UUID) -> EncompassNotice:
    notice = _my_notice(user, notice_id)
    if notice.submitted:
        raise Conflict("this notice has been sent")
    return notice


def get_draft(user, notice_id: uuid.UUID) -> EncompassNotice:
    return _draft(user, notice_id)


@transactional
def save_incident(user, notice_id: uuid.UUID | None, details: IncidentDetails) -> EncompassNotice:
    """Start a notice (notice_id None) or change a draft's incident details."""
    require("encompass:record")
    reference, incident_at, other = clean_incident(details)
    if notice_id is None:
        notice = EncompassNotice(agency_id=user.agency_id, local_authority_id=user.agency.local_authority_id,
                                 created_by_id=user.id, status=NoticeStatus.DRAFT)
        db.session.add(notice)
        db.session.flush()
        audit.record("encompass.draft_started", object_type="encompass_notice", object_id=notice.id)
    else:
        notice = _draft(user, notice_id)
    notice.police_reference = reference
    notice.incident_at = incident_at
    notice.other_agencies = other
    return notice


@transactional
def second_notice_at_same_address(user, earlier_id: uuid.UUID) -> EncompassNotice:
    """A new draft whose household (the children: names, dates of birth, address, school, UPN)
    comes from an earlier notice of the same organisation; what happened to each this time is
    asked again."""
    earlier = _my_notice(user, earlier_id)
    notice = EncompassNotice(agency_id=user.agency_id, local_authority_id=user.agency.local_authority_id,
                             created_by_id=user.id, status=NoticeStatus.DRAFT, copied_from_id=earlier.id)
    db.session.add(notice)
    db.session.flush()
    for position, old in enumerate(earlier.children, start=1):
        child = EncompassChild(notice_id=notice.id, position=position, answered=False)
        child.forename, child.surname, child.date_of_birth = old.forename, old.surname, old.date_of_birth
        child.address, child.school_given, child.upn = old.address, old.school_given, old.upn
        notice.children.append(child)
    audit.record("encompass.draft_copied", object_type="encompass_notice", object_id=notice.id)
    return notice


@transactional
def save_child(user, notice_id: uuid.UUID, child_id: uuid.UUID | None, details: ChildDetails) -> EncompassChild:
    notice = _draft(user, notice_id)
    clean = clean_child(details)
    if child_id is None:
        if len(notice.children) >= CHILDREN_MAX:
            raise EncompassInvalid({"forename": f"A notice can name up to {CHILDREN_MAX} children: send this one and start another"})
        child = EncompassChild(notice_id=notice.id, position=max((c.position for c in notice.children), default=0) + 1)
    else:
        child = _child_of(notice, child_id)
    for name in ("forename", "surname", "date_of_birth", "address", "school_given", "upn", "injured", "injuries",
                 "disclosure"):
        setattr(child, name, getattr(clean, name))
    child.exposure = [e.value for e in clean.exposure]
    child.answered = True
    if child_id is None:
        notice.children.append(child)
    db.session.flush()
    return child


def _child_of(notice: EncompassNotice, child_id: uuid.UUID) -> EncompassChild:
    for child in notice.children:
        if child.id == child_id:
            return child
    raise NotFound()


def get_draft_child(user, notice_id: uuid.UUID, child_id: uuid.UUID) -> tuple[EncompassNotice, EncompassChild]:
    notice = _draft(user, notice_id)
    return notice, _child_of(notice, child_id)


@transactional
def remove_child(user, notice_id: uuid.UUID, child_id: uuid.UUID) -> None:
    notice = _draft(user, notice_id)
    child = _child_of(notice, child_id)
    notice.children.remove(child)
    db.session.delete(child)


def missing_answers(notice: EncompassNotice) -> dict[str, str]:
    """What stops the notice being sent, as error-summary messages keyed by where to fix it."""
    missing: dict[str, str] = {}
    if not notice.police_reference or notice.incident_at is None:
        missing["incident"] = "Enter the police reference and when the incident happened"
    if not notice.children:
        missing["children"] = "Add the children the notice is about"
    for n, child in enumerate(notice.children, start=1):
        if not child.answered:
            missing[f"child-{child.id}"] = f"Say what happened to child {n} in this incident"
    return missing


@dataclass
class Submitted:
    notice: EncompassNotice
    already: bool  # a second click (or a resubmitted page): nothing more was done


@transactional
def submit_notice(user, notice_id: uuid.UUID) -> Submitted:
    """Send the notice, once: a double click finds it sent and answers the same."""
    notice = _my_notice(user, notice_id, lock=True)
    if notice.submitted:
        return Submitted(notice, already=True)
    missing = missing_answers(notice)
    if missing:
        raise EncompassInvalid(missing)
    now = utcnow()
    notice.status = NoticeStatus.SUBMITTED
    notice.submitted_at = now
    notice.submitted_by_id = user.id
    for child in notice.children:
        child.routing = Routing.PENDING
    audit.record("encompass.submitted", object_type="encompass_notice", object_id=notice.id,
                 detail=f"children_{len(notice.children)}")
    return Submitted(notice, already=False)


# What the police see of each child's notice: never which school, never whether the child is known.
POLICE_STATUS = {
    Routing.PENDING: "Being passed on",
    Routing.DELIVERED: "Delivered to the school",
    Routing.HELD: "Held by the council",
    Routing.HANDLED_OUTSIDE: "Held by the council",
}


@dataclass
class PoliceChildView:
    child_id: uuid.UUID
    name: str
    date_of_birth: date
    status: str
    first_read_at: datetime | None


def police_status(child: EncompassChild) -> str:
    return POLICE_STATUS[Routing(child.routing)]


@transactional
def police_notice(user, notice_id: uuid.UUID) -> tuple[EncompassNotice, list[PoliceChildView]]:
    notice = _my_notice(user, notice_id)
    if not notice.submitted:
        raise NotFound()
    rows = [
        PoliceChildView(child_id=c.id, name=c.full_name, date_of_birth=c.date_of_birth, status=police_status(c),
                        first_read_at=c.first_read_at if c.routing == Routing.DELIVERED else None)
        for c in notice.children
    ]
    audit.record("encompass.police_viewed", object_type="encompass_notice", object_id=notice.id)
    return notice, rows


@dataclass
class PoliceListRow:
    notice_id: uuid.UUID
    reference: str
    incident_at: datetime | None
    submitted_at: datetime | None
    children: int
    delivered: int
    read: int
    draft: bool


@transactional
def police_notices(user) -> list[PoliceListRow]:
    """The organisation's sent notices and the user's own drafts, newest first."""
    require("encompass:record")
    notices_ = db.session.execute(
        select(EncompassNotice).where(EncompassNotice.agency_id == user.agency_id)
        .options(selectinload(EncompassNotice.children))
        .order_by(EncompassNotice.created_at.desc()).limit(200)
    ).scalars().all()
    rows = []
    for notice in notices_:
        if not can(user, "encompass:record", notice):
            continue
        kids = notice.children
        rows.append(PoliceListRow(
            notice_id=notice.id, reference=notice.police_reference or "Not given yet", incident_at=notice.incident_at,
            submitted_at=notice.submitted_at, children=len(kids),
            delivered=sum(1 for c in kids if c.routing == Routing.DELIVERED),
            read=sum(1 for c in kids if c.routing == Routing.DELIVERED and c.first_read_at), draft=not notice.submitted))
    audit.record("encompass.police_listed", object_type="agency", object_id=user.agency_id)
    return rows


# --- routing (the mail worker) -------------------------------------------------------------------


def route_waiting(limit: int = 100) -> int:
    """The mail worker's share (registered in portal.wiring): route every child of the submitted
    notices that is not routed yet. Returns how many were routed."""
    with unit_of_work() as session:
        ids = list(session.execute(
            select(EncompassChild.id).join(EncompassNotice)
            .where(EncompassChild.routing == Routing.PENDING, EncompassNotice.status == NoticeStatus.SUBMITTED)
            .order_by(EncompassNotice.submitted_at, EncompassChild.position).limit(limit)
        ).scalars())
    # Each school's days (the council's calendar, its closures) are read once in the pass.
    calendars = clock.Calendars()
    return sum(_route_one(child_id, calendars) for child_id in ids)


def _area_school_ids(la_ids) -> object:
    return select(School.id).where(School.local_authority_id.in_(list(la_ids)), School.active.is_(True))


def _forename_matches(pupil: Pupil, forename: str) -> bool:
    wanted = normalise_text(forename)
    return wanted in {normalise_text(n) for n in (pupil.legal_forename, pupil.preferred_name) if n}


def matching_pupils(child: EncompassChild, la_ids, *, school_id: uuid.UUID | None = None) -> list[Pupil]:
    """Pupils on a roll (not transferred out) in these councils' schools, or in one school, who
    are this child: the same UPN, or the same first name, last name and date of birth."""
    schools = [Pupil.school_id == school_id] if school_id else [Pupil.school_id.in_(_area_school_ids(la_ids))]
    where = [*schools, Pupil.on_roll.is_(True), Pupil.transferred_out_at.is_(None)]
    found: dict[uuid.UUID, Pupil] = {}
    if child.upn:
        for pupil in lookup(Pupil.upn_index, upn=child.upn, where=where):
            found[pupil.id] = pupil
    for pupil in lookup(Pupil.surname_dob_index, child.surname, child.date_of_birth, where=where):
        if _forename_matches(pupil, child.forename):
            found[pupil.id] = pupil
    return list(found.values())


def _areas_of(notice: EncompassNotice) -> frozenset[uuid.UUID]:
    """The councils a police organisation notifies into: its own and the neighbours its council allowed."""
    agency = db.session.get(Agency, notice.agency_id)
    areas = getattr(agency, "referral_la_ids", None)
    return frozenset(areas) if areas else frozenset({notice.local_authority_id})


@transactional
def _route_one(child_id: uuid.UUID, calendars: clock.Calendars | None = None) -> int:
    child = db.session.execute(
        select(EncompassChild).where(EncompassChild.id == child_id, EncompassChild.routing == Routing.PENDING)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if child is None:
        return 0
    notice = child.notice
    _lock_notice(notice)
    pupils = matching_pupils(child, _areas_of(notice))
    now = utcnow()
    if len(pupils) == 1:
        pupil = pupils[0]
        _deliver(child, db.session.get(School, pupil.school_id), pupil, now, by=None, calendars=calendars)
    else:
        child.routing = Routing.HELD
        child.held_reason = HeldReason.NO_MATCH if not pupils else HeldReason.SEVERAL_MATCHES
        child.local_authority_id = notice.local_authority_id
        child.routed_at = now
        child.due_at = clock.due_at(now, None)
        audit.record("encompass.held", object_type="encompass_child", object_id=child.id, detail=child.held_reason,
                     organisation_id=notice.local_authority_id)
        notices.held(child)
    _tell_the_council_when_all_routed(notice)
    return 1


def _lock_notice(notice: EncompassNotice) -> None:
    """Children of one notice are routed one at a time (each in a unit of work of its own, perhaps
    by two workers at once): the notice's row is locked before anything is written, so a second
    worker waits for the first to commit and then sees its child routed."""
    db.session.execute(select(EncompassNotice.id).where(EncompassNotice.id == notice.id).with_for_update())


def _tell_the_council_when_all_routed(notice: EncompassNotice) -> None:
    """Raise EncompassNoticeRouted once the notice's last child is routed (the council's case
    system hears of every notice, through the connector): under the notice's lock
    (_lock_notice), exactly the last one raises it."""
    waiting = db.session.execute(
        select(func.count(EncompassChild.id))
        .where(EncompassChild.notice_id == notice.id, EncompassChild.routing == Routing.PENDING)
    ).scalar_one()
    if waiting == 0:
        publish(EncompassNoticeRouted(notice))


def _deliver(child: EncompassChild, school: School, pupil: Pupil | None, now: datetime, *, by,
             calendars: clock.Calendars | None = None) -> None:
    child.routing = Routing.DELIVERED
    child.held_reason = None if by is None else child.held_reason
    child.school_id = school.id
    child.local_authority_id = school.local_authority_id
    child.pupil_id = pupil.id if pupil else None
    child.routed_at = now
    child.routed_by_id = by.id if by else None
    child.due_at = clock.due_at(now, school.id, calendars)
    child.chased_at = None  # a notice chased while held is chased again if the school misses its 08:30
    audit.record("encompass.delivered", object_type="encompass_child", object_id=child.id,
                 detail="by_hand" if by else "matched", actor=by, organisation_id=school.id)
    notices.delivered(child)


# --- the council: key contacts route by hand; the register ---------------------------------------


def _council_child(user, child_id: uuid.UUID, action: str = "encompass:route") -> EncompassChild:
    child = db.session.get(EncompassChild, child_id)
    if child is None or child.notice.status != NoticeStatus.SUBMITTED or child.routing == Routing.PENDING:
        raise NotFound()
    require(action, child)
    return child


@dataclass
class CouncilChildView:
    child: EncompassChild
    notice: EncompassNotice
    agency_name: str
    school_name: str | None
    schools: list[School]


@transactional
def council_child(user, child_id: uuid.UUID) -> CouncilChildView:
    """The key contact's page of one child's notice (audited: it names the child)."""
    child = _council_child(user, child_id)
    agency = db.session.get(Agency, child.notice.agency_id)
    school = db.session.get(School, child.school_id) if child.school_id else None
    schools = list(db.session.execute(
        select(School).where(School.local_authority_id == user.local_authority_id, School.active.is_(True))
        .order_by(School.name)
    ).scalars())
    audit.record("encompass.council_viewed", object_type="encompass_child", object_id=child.id)
    return CouncilChildView(child, child.notice, agency.name if agency else "", school.name if school else None, schools)


@transactional
def route_by_hand(user, child_id: uuid.UUID, school_id: uuid.UUID | None) -> EncompassChild:
    child = _council_child(user, child_id)
    if child.routing != Routing.HELD:
        raise Conflict("this notice has already been routed")
    school = db.session.get(School, school_id) if school_id else None
    if school is None or school.local_authority_id != user.local_authority_id or not school.active:
        raise EncompassInvalid({"school_id": "Select the child’s school"})
    candidates = matching_pupils(child, (), school_id=school.id)
    _deliver(child, school, candidates[0] if len(candidates) == 1 else None, utcnow(), by=user)
    return child


@transactional
def handled_outside(user, child_id: uuid.UUID, note: str | None) -> EncompassChild:
    child = _council_child(user, child_id)
    if child.routing != Routing.HELD:
        raise Conflict("this notice has already been routed")
    note = _text(note)
    if not note:
        raise EncompassInvalid({"note": "Say how the notice was passed on, or why it was not"})
    if len(note) > TEXT_MAX:
        raise EncompassInvalid({"note": f"The note must be {TEXT_MAX} characters or fewer"})
    child.routing = Routing.HANDLED_OUTSIDE
    child.outside_note = note
    child.routed_at = utcnow()
    child.routed_by_id = user.id
    audit.record("encompass.handled_outside", object_type="encompass_child", object_id=child.id)
    return child


@dataclass
class SchoolCount:
    school_id: uuid.UUID | None
    name: str
    delivered: int = 0
    read: int = 0
    unread_overdue: int = 0
    read_late: int = 0
    hours_to_read: list[float] = field(default_factory=list)

    @property
    def median_time_to_read(self) -> str:
        return hours_words(median(self.hours_to_read)) if self.hours_to_read else "–"


@dataclass
class RegisterRow:
    child_id: uuid.UUID
    submitted_at: datetime
    agency_name: str
    school_name: str | None
    routing: str
    routed_by_hand: bool
    due_at: datetime | None
    first_read_at: datetime | None
    overdue: bool

    @property
    def time_to_read(self) -> str:
        if self.first_read_at is None or self.submitted_at is None:
            return "–"
        return hours_words((self.first_read_at - self.submitted_at).total_seconds() / 3600)


@dataclass
class Register:
    held: list[RegisterRow]
    rows: list[RegisterRow]
    by_school: list[SchoolCount]
    total: int
    can_route: bool


def hours_words(hours: float) -> str:
    if hours < 1:
        return f"{max(int(hours * 60), 0)} minutes"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


REGISTER_DAYS = 90


@transactional
def register(user) -> Register:
    """Every notice for the council's area in the last 90 days: the held ones to route, counts by
    school and the time to first read. Names no child (the child's page does, for key contacts)."""
    require("encompass:register")
    la_id = user.local_authority_id
    require("encompass:register", db.session.get(LocalAuthority, la_id))
    since = utcnow() - timedelta(days=REGISTER_DAYS)
    found = db.session.execute(
        select(EncompassChild, EncompassNotice.submitted_at, Agency.name, School.name)
        .join(EncompassNotice, EncompassNotice.id == EncompassChild.notice_id)
        .join(Agency, Agency.id == EncompassNotice.agency_id)
        .outerjoin(School, School.id == EncompassChild.school_id)
        .where(EncompassChild.local_authority_id == la_id, EncompassNotice.submitted_at >= since)
        .order_by(EncompassNotice.submitted_at.desc(), EncompassChild.position)
    ).all()
    now = utcnow()
    rows, counts = [], {}
    for child, submitted_at, agency_name, school_name in found:
        overdue = child.first_read_at is None and child.due_at is not None and child.due_at <= now and \
            child.routing in (Routing.DELIVERED, Routing.HELD)
        row = RegisterRow(child_id=child.id, submitted_at=submitted_at, agency_name=agency_name, school_name=school_name,
                          routing=child.routing, routed_by_hand=child.routed_by_id is not None, due_at=child.due_at,
                          first_read_at=child.first_read_at, overdue=overdue)
        rows.append(row)
        if child.routing == Routing.DELIVERED:
            count = counts.setdefault(child.school_id, SchoolCount(child.school_id, school_name or ""))
            count.delivered += 1
            if child.first_read_at:
                count.read += 1
                count.hours_to_read.append((child.first_read_at - submitted_at).total_seconds() / 3600)
                if child.due_at and child.first_read_at > child.due_at:
                    count.read_late += 1
            elif overdue:
                count.unread_overdue += 1
    audit.record("encompass.register_viewed", object_type="local_authority", object_id=la_id)
    return Register(
        held=[r for r in rows if r.routing == Routing.HELD], rows=rows,
        by_school=sorted(counts.values(), key=lambda c: c.name), total=len(rows),
        can_route=can(user, "encompass:route"),
    )


# --- at the school -------------------------------------------------------------------------------


def _school_child(user, child_id: uuid.UUID) -> EncompassChild:
    child = db.session.get(EncompassChild, child_id)
    if child is None or child.routing != Routing.DELIVERED:
        raise NotFound()
    require("encompass:read", child)
    return child


@dataclass
class SchoolNoticeView:
    child: EncompassChild
    notice: EncompassNotice
    agency_name: str
    pupil: Pupil | None
    concern: Concern | None
    concerns: list[Concern]
    candidates: list[Pupil]
    first_read_now: bool


@transactional
def read_notice(user, child_id: uuid.UUID) -> SchoolNoticeView:
    """A DSL (or deputy) reads the notice: the first read is recorded (the police see its time)."""
    child = _school_child(user, child_id)
    first = child.first_read_at is None
    if first:
        child.first_read_at = utcnow()
        child.first_read_by_id = user.id
    audit.record("encompass.read", object_type="encompass_child", object_id=child.id,
                 detail="first_read" if first else None)
    agency = db.session.get(Agency, child.notice.agency_id)
    pupil = db.session.get(Pupil, child.pupil_id) if child.pupil_id else None
    concerns, candidates = [], []
    if pupil is not None:
        concerns = _pupil_concerns(user, pupil)
    else:
        candidates = matching_pupils(child, (), school_id=child.school_id)
    concern = db.session.get(Concern, child.concern_id) if child.concern_id else None
    return SchoolNoticeView(child, child.notice, agency.name if agency else "", pupil, concern, concerns, candidates, first)


def _pupil_concerns(user, pupil: Pupil) -> list[Concern]:
    ids = select(ConcernPupil.concern_id).where(ConcernPupil.pupil_id == pupil.id)
    found = db.session.execute(
        select(Concern).where(Concern.school_id == pupil.school_id,
                              (Concern.pupil_id == pupil.id) | Concern.id.in_(ids))
        .order_by(Concern.occurred_at.desc()).limit(50)
    ).scalars()
    return [c for c in found if can(user, "concern:view", c)]


@transactional
def match_pupil(user, child_id: uuid.UUID, pupil_id: uuid.UUID | None) -> EncompassChild:
    """A notice routed by hand to the school whose child the portal could not pick: the DSL says
    which pupil on the roll it is (one with the same name and date of birth, or UPN)."""
    child = _school_child(user, child_id)
    if child.pupil_id is not None:
        raise Conflict("this notice is already matched to a pupil")
    candidates = {p.id: p for p in matching_pupils(child, (), school_id=child.school_id)}
    pupil = candidates.get(pupil_id)
    if pupil is None:
        raise EncompassInvalid({"pupil_id": "Select the pupil this notice is about"})
    require("pupil:view", pupil)
    child.pupil_id = pupil.id
    audit.record("encompass.pupil_matched", object_type="encompass_child", object_id=child.id)
    return child


@transactional
def link_concern(user, child_id: uuid.UUID, concern_id: uuid.UUID | None) -> EncompassChild:
    child = _school_child(user, child_id)
    if child.pupil_id is None:
        raise Conflict("match the notice to a pupil first")
    pupil = db.session.get(Pupil, child.pupil_id)
    concern = next((c for c in _pupil_concerns(user, pupil) if c.id == concern_id), None)
    if concern is None:
        raise EncompassInvalid({"concern_id": "Select the concern to link"})
    child.concern_id = concern.id
    audit.record("encompass.concern_linked", object_type="encompass_child", object_id=child.id)
    return child


@dataclass
class SchoolListRow:
    child_id: uuid.UUID
    child: str
    incident_at: datetime | None
    delivered_at: datetime | None
    due_at: datetime | None
    first_read_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.first_read_at is None and self.due_at is not None and self.due_at <= utcnow()


def _school_where(school_id, *, unread_only: bool) -> list:
    where = [EncompassChild.school_id == school_id, EncompassChild.routing == Routing.DELIVERED]
    if unread_only:
        where.append(EncompassChild.first_read_at.is_(None))
    return where


def _listed(where: list, limit: int | None) -> list[SchoolListRow]:
    query = (select(EncompassChild, EncompassNotice.incident_at).join(EncompassNotice)
             .where(*where).order_by(EncompassChild.routed_at.desc(), EncompassChild.id))
    if limit:
        query = query.limit(limit)
    return [
        SchoolListRow(child_id=c.id, child=c.full_name, incident_at=incident_at, delivered_at=c.routed_at,
                      due_at=c.due_at, first_read_at=c.first_read_at)
        for c, incident_at in db.session.execute(query).all()
    ]


def _school_rows(school_id: uuid.UUID, *, unread_only: bool, limit: int | None) -> tuple[list[SchoolListRow], int]:
    where = _school_where(school_id, unread_only=unread_only)
    total = db.session.execute(select(func.count(EncompassChild.id)).where(*where)).scalar_one()
    return _listed(where, limit), int(total)


@transactional
def school_notices(user) -> list[SchoolListRow]:
    """Every notice delivered to the user's school, newest first (audited: it names children)."""
    require("encompass:read")
    rows, _ = _school_rows(user.school_id, unread_only=False, limit=500)
    audit.record("encompass.school_listed", object_type="school", object_id=user.school_id)
    return rows


def unread_count_for_school(school_id) -> Select:
    """For the DSL's home page, which counts everything in one statement: how many notices
    delivered to the school are unread (`school_id` a value or a bind parameter)."""
    return select(func.count(EncompassChild.id)).where(*_school_where(school_id, unread_only=True))


def unread_for_school(school_id: uuid.UUID, limit: int) -> list[SchoolListRow]:
    """For the DSL's home page (whose service audits the read): the unread notices, newest first."""
    return _listed(_school_where(school_id, unread_only=True), limit)


# --- the chase at 08:30 --------------------------------------------------------------------------


def chase_overdue(now: datetime | None = None, limit: int = 200) -> int:
    """The mail worker's share: every notice whose 08:30 has passed unread (or still held by the
    council) is told once to the school's deputies and the council's key contacts. Returns how
    many notices were chased."""
    now = now or utcnow()
    calendars = clock.Calendars()
    with unit_of_work() as session:
        rows = session.execute(
            select(EncompassChild.id, EncompassChild.school_id).where(
                EncompassChild.routing.in_((Routing.DELIVERED, Routing.HELD)),
                EncompassChild.first_read_at.is_(None), EncompassChild.chased_at.is_(None),
                EncompassChild.due_at <= now,
            ).order_by(EncompassChild.due_at).limit(limit)
        ).all()
        # Each school's days (the council's calendar, its term dates, its closures) read once.
        calendars.load(school_id for _, school_id in rows)
    return sum(_chase_one(child_id, now, calendars) for child_id, _ in rows)


@transactional
def _chase_one(child_id: uuid.UUID, now: datetime, calendars: clock.Calendars | None = None) -> int:
    child = db.session.execute(
        select(EncompassChild).where(EncompassChild.id == child_id, EncompassChild.chased_at.is_(None),
                                     EncompassChild.first_read_at.is_(None))
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if child is None:
        return 0
    if child.routed_at is not None:
        # The school's days may have changed since the notice arrived (the council added its
        # Christmas holiday, the school its INSET day): nobody is chased while school is out.
        due = clock.due_at(child.routed_at, child.school_id if child.routing == Routing.DELIVERED else None,
                           calendars)
        if due > now:
            child.due_at = due
            return 0
    child.chased_at = now
    if child.routing == Routing.DELIVERED:
        notices.unread_at_school(child)
    else:
        notices.still_held(child)
    audit.record("encompass.chased", object_type="encompass_child", object_id=child.id, detail=child.routing,
                 organisation_id=child.local_authority_id)
    return 1


def worker_pass() -> None:
    """Before each pass of the mail worker: route what was sent, chase what is late."""
    route_waiting()
    chase_overdue()

