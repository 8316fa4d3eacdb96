"""Test factories: plain functions that make valid records with invented details.

One module for every area's tests, in sections:

- organisations and people: make_la, make_school, make_agency, make_user, agency_user
- pupils: make_pupil (rows inserted), make_pupil_through_service (the pupils service's add_pupil,
  with a first enrolment), and the invented children some areas' tests expect by name
- schools and councils with their people: school_with_people, referring_school, council
- concerns: make_concern, make_concern_as_logged, make_reviewed_concern, correct_concern, make_review
- referrals: make_referral (through the referrals service), fill_in, make_referral_record (rows
  inserted, with a history)
- triage: referral_form, submitted_referral (a referral that has arrived at the council)
- updates: make_update

Factories commit what they make, unless they take `commit=False`.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from portal.auth.models import User
from portal.auth.roles import Role
from portal.concerns.models import Concern, ConcernPupil, ConcernReview, ConcernVersion
from portal.db import db, utcnow
from portal.orgs.models import Agency, AgencyKind, LocalAuthority, School
from portal.pupils import service as pupils
from portal.pupils.models import Pupil
from portal.pupils.service import PupilDetails
from portal.referrals import sections
from portal.referrals import service as referrals
from portal.referrals.models import Referral, ReferralConcern, ReferralEvent
from portal.triage.arrival import receive_referral
from portal.updates.models import SharedUpdate

_counter = itertools.count(1)


# --- Organisations and people ------------------------------------------------------------------


def make_la(code: str | None = None, name: str | None = None) -> LocalAuthority:
    n = next(_counter)
    la = LocalAuthority(code=code or f"{800 + n % 100:03d}", name=name or f"Testshire {n}")
    db.session.add(la)
    db.session.commit()
    return la


def make_school(la: LocalAuthority | None = None, **fields) -> School:
    la = la or make_la()
    n = next(_counter)
    number = fields.pop("establishment_number", f"{1000 + n % 9000:04d}")  # 4 digits, however long the run
    school = School(
        urn=fields.pop("urn", f"{100000 + n:06d}"),
        local_authority_id=la.id,
        establishment_number=number,
        laestab=f"{la.code}{number}",
        name=fields.pop("name", f"Test School {n}"),
        phase=fields.pop("phase", "Primary"),
        **fields,
    )
    db.session.add(school)
    db.session.commit()
    return school


def make_agency(la: LocalAuthority | None = None, *, kind: AgencyKind | str = AgencyKind.GP_PRACTICE,
                name: str | None = None, **fields) -> Agency:
    """A partner agency registered by `la` (a new LA if None). A GP practice by default."""
    la = la or make_la()
    kind = AgencyKind(kind)
    n = next(_counter)
    agency = Agency(
        kind=kind.value,
        name=name or f"Test {kind.label} {n}",
        local_authority_id=la.id,
        ods_code=fields.pop("ods_code", f"A{81000 + n % 1000:05d}" if kind is AgencyKind.GP_PRACTICE else None),
        **fields,
    )
    db.session.add(agency)
    db.session.commit()
    return agency


def make_user(role: Role | str, organisation: School | LocalAuthority | Agency | None = None, **fields) -> User:
    role = Role(role)
    n = next(_counter)
    if organisation is None:
        if role.is_school_role:
            organisation = make_school()
        elif role.is_agency_role:
            organisation = make_agency(kind=AgencyKind.POLICE_FORCE if role == Role.ENCOMPASS_NOTIFIER else AgencyKind.GP_PRACTICE)
        else:
            organisation = make_la()
    user = User(
        email=fields.pop("email", f"user{n}@example.test"),
        display_name=fields.pop("display_name", f"Test User {n}"),
        role=role.value,
        school_id=organisation.id if isinstance(organisation, School) else None,
        local_authority_id=organisation.id if isinstance(organisation, LocalAuthority) else None,
        agency_id=organisation.id if isinstance(organisation, Agency) else None,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def agency_user(agency: Agency, role: Role | str = Role.AGENCY_PROFESSIONAL, **fields) -> User:
    """Someone in a partner agency (a professional by default)."""
    return make_user(role, agency, **fields)


# --- Pupils --------------------------------------------------------------------------------------

FORENAMES = ["Isla", "Noah", "Priya", "Kwame", "Zofia", "Oisin", "Maya", "Tariq"]
SURNAMES = ["Brightwater", "Okonjo-Reyes", "Pennyfeather", "Castellane", "Lindqvist", "Moorcroft"]

# The invented children some areas' tests expect by name (pass them: make_pupil(school, **CONCERN_PUPIL)).
# Distinctive, so that a leak can be searched for in pages, emails, logs and raw database bytes.
CONCERN_PUPIL = {"forename": "Zephyrine", "surname": "Quillfeather", "born": date(2015, 5, 4), "year_group": "Year 5"}
REFERRAL_FORENAME = "Zorabelle"
REFERRAL_SURNAME = "Quintavalle-Okonjo"
# With every detail the referral form's child section needs.
REFERRAL_PUPIL = {
    "forename": REFERRAL_FORENAME, "surname": REFERRAL_SURNAME, "born": date(2014, 3, 9), "year_group": "Year 6",
    "sex": "Female", "address": "12 Cedar Row\nNorthtown", "postcode": "NT1 4AB",
}
TRIAGE_FORENAME = "Ysolde"
TRIAGE_SURNAME = "Brackenthwaite"
TRIAGE_PUPIL = {"forename": TRIAGE_FORENAME, "surname": TRIAGE_SURNAME, "born": date(2015, 6, 2)}
PUPILS_PAGE_PUPIL = {"forename": "Amelia", "surname": "Hartley-Nkemelu", "born": date(2014, 3, 9)}


def _invented_name_and_birth(n: int, forename, surname, born) -> tuple[str, str, date]:
    return (
        forename or FORENAMES[n % len(FORENAMES)],
        surname or f"{SURNAMES[n % len(SURNAMES)]}{n}",
        born or date(2014, 1, 1) + timedelta(days=n % 1000),
    )


def make_pupil(school: School, *, forename: str | None = None, surname: str | None = None,
               born: date | None = None, **fields) -> Pupil:
    """A pupil on `school`'s roll, inserted directly (no enrolment); other fields set as given."""
    forename, surname, born = _invented_name_and_birth(next(_counter), forename, surname, born)
    pupil = Pupil(school_id=school.id, on_roll=fields.pop("on_roll", True))
    pupil.legal_forename = forename
    pupil.legal_surname = surname
    pupil.date_of_birth = born
    for name, value in fields.items():
        setattr(pupil, name, value)
    db.session.add(pupil)
    db.session.commit()
    return pupil


def make_pupil_through_service(school: School, *, forename: str | None = None, surname: str | None = None,
                               born: date | None = None, **details) -> Pupil:
    """A pupil added as the pupils pages add one: validated and normalised (`details` are
    PupilDetails fields), with a first enrolment; not audited, duplicates allowed."""
    forename, surname, born = _invented_name_and_birth(next(_counter), forename, surname, born)
    details = PupilDetails(legal_forename=forename, legal_surname=surname, date_of_birth=born, **details)
    pupil = pupils.add_pupil(school, details, allow_duplicate=True, audited=False)
    db.session.commit()
    return pupil


# --- Schools and councils with their people ---------------------------------------------------


@dataclass
class SchoolWithPeople:
    la: LocalAuthority
    school: School
    dsl: User
    deputy: User
    staff: User
    other_staff: User
    pupil: Pupil


def school_with_people(la: LocalAuthority | None = None, *, pupil: dict | None = None,
                       **school_fields) -> SchoolWithPeople:
    """A school (of `la`, or of a new LA) with its DSL, deputy, two staff and one pupil
    (CONCERN_PUPIL unless `pupil` gives make_pupil's arguments)."""
    la = la or make_la()
    school = make_school(la, **school_fields)
    return SchoolWithPeople(
        la=la,
        school=school,
        dsl=make_user(Role.DSL, school, display_name="Dana Lead", email=f"dana.{school.urn}@school.test"),
        deputy=make_user(Role.DEPUTY_DSL, school, display_name="Dev Deputy"),
        staff=make_user(Role.SCHOOL_STAFF, school, display_name="Sam Teacher"),
        other_staff=make_user(Role.SCHOOL_STAFF, school, display_name="Olu Assistant"),
        pupil=make_pupil(school, **(CONCERN_PUPIL if pupil is None else pupil)),
    )


def referring_school(la: LocalAuthority | None = None) -> SchoolWithPeople:
    """A school of `la` (or of a new Northshire, LA 938) whose pupil is REFERRAL_PUPIL, ready to be referred."""
    return school_with_people(la or make_la(code="938", name="Northshire"), pupil=REFERRAL_PUPIL)


@dataclass
class Council:
    la: LocalAuthority
    school: School
    dsl: User
    staff: User
    worker: User
    manager: User
    admin: User


def council(code: str = "938", name: str = "Northshire", school_name: str | None = None) -> Council:
    """An LA with one school (its DSL and a teacher) and the council's triage worker, manager and admin."""
    la = make_la(code=code, name=name)
    school = make_school(la, name=school_name or f"{name} Primary School")
    return Council(
        la=la,
        school=school,
        dsl=make_user(Role.DSL, school, display_name=f"{name} DSL", password_hash="x"),
        staff=make_user(Role.SCHOOL_STAFF, school, display_name=f"{name} Teacher", password_hash="x"),
        worker=make_user(Role.TRIAGE_WORKER, la, display_name=f"{name} Worker", password_hash="x"),
        manager=make_user(Role.TRIAGE_MANAGER, la, display_name=f"{name} Manager", password_hash="x"),
        admin=make_user(Role.LA_ADMIN, la, display_name=f"{name} Admin", password_hash="x"),
    )


# --- Concerns ------------------------------------------------------------------------------------

CONCERN_ACCOUNT = "Zephyrine said her uncle shouted at her and she was scared to go home tonight"


def _content(**overrides) -> dict:
    content = {
        "location": "Playground",
        "categories": ["neglect"],
        "other_category": None,
        "account": "Said they had not eaten since yesterday lunchtime.",
        "action_taken": "Gave breakfast; told the DSL.",
        "people_informed": "The DSL",
        "body_map": [],
    }
    content.update(overrides)
    return content


def _link_pupils(concern: Concern, pupil: Pupil, others) -> None:
    for linked, role in [(pupil, "subject"), *others]:
        db.session.add(ConcernPupil(concern_id=concern.id, pupil_id=linked.id, role=role))


def make_concern(
    school,
    pupil,
    logged_by,
    *,
    occurred_at: datetime | None = None,
    logged_at: datetime | None = None,
    others=(),
    urgent: bool = False,
    commit: bool = True,
    **content,
) -> Concern:
    """A concern about `pupil` (role "subject") as of `logged_at`; `others` are (pupil, role) pairs;
    `content` overrides the first version's answers."""
    logged_at = logged_at or utcnow()
    concern = Concern(
        school_id=school.id,
        pupil_id=pupil.id,
        logged_by_id=logged_by.id,
        logged_at=logged_at,
        occurred_at=occurred_at or logged_at,
        urgent=urgent,
        submission_token=secrets.token_hex(16),
    )
    db.session.add(concern)
    db.session.flush()
    version = ConcernVersion(concern_id=concern.id, version=1, created_by_id=logged_by.id, created_at=logged_at)
    version.content = _content(**content)
    db.session.add(version)
    _link_pupils(concern, pupil, others)
    if commit:
        db.session.commit()
    return concern


def make_concern_as_logged(school: School, pupil: Pupil, logged_by, *, account: str = CONCERN_ACCOUNT,
                           urgent: bool = False, occurred_at: datetime | None = None,
                           logged_at: datetime | None = None, others=()) -> Concern:
    """A concern whose first version holds exactly what the logging pages store (its `occurred_at`
    included, as the correction pages read it back), about an emotional-abuse disclosure."""
    occurred_at = occurred_at or utcnow() - timedelta(hours=1)
    concern = Concern(
        school_id=school.id, pupil_id=pupil.id, logged_by_id=logged_by.id, occurred_at=occurred_at,
        urgent=urgent, submission_token=secrets.token_urlsafe(32), logged_at=logged_at or utcnow(),
    )
    db.session.add(concern)
    db.session.flush()
    version = ConcernVersion(concern_id=concern.id, version=1, created_by_id=logged_by.id)
    version.content = {
        "occurred_at": occurred_at.astimezone(timezone.utc).isoformat(),
        "location": "Year 5 classroom",
        "categories": ["emotional_abuse"],
        "other_category": None,
        "account": account,
        "action_taken": "Listened and said I would tell the DSL",
        "people_informed": None,
        "body_map": [],
    }
    db.session.add(version)
    _link_pupils(concern, pupil, others)
    db.session.commit()
    return concern


def make_reviewed_concern(pupil: Pupil, logged_by, *, categories=("neglect",), days_ago: int = 3) -> Concern:
    """A concern at the pupil's school, marked reviewed, from `days_ago` days ago: one a referral can cite."""
    concern = make_concern(
        db.session.get(School, pupil.school_id), pupil, logged_by, occurred_at=utcnow() - timedelta(days=days_ago), commit=False,
        categories=list(categories), account="Seen hungry again", action_taken="Told the DSL", people_informed=None,
    )
    concern.status = "reviewed"
    db.session.commit()
    return concern


def correct_concern(concern, by, *, reason: str, at: datetime | None = None, **changes) -> ConcernVersion:
    latest = db.session.query(ConcernVersion).filter_by(concern_id=concern.id).order_by(ConcernVersion.version.desc()).first()
    content = dict(latest.content)
    content.update(changes)
    version = ConcernVersion(
        concern_id=concern.id, version=latest.version + 1, created_by_id=by.id, created_at=at or utcnow()
    )
    version.content = content
    version.change_reason = reason
    concern.current_version = version.version
    db.session.add(version)
    db.session.commit()
    return version


def make_review(concern, reviewer, *, outcome: str = "monitor", reasons: str = "Keep a close eye at lunchtimes.",
                at: datetime | None = None, commit: bool = True) -> ConcernReview:
    review = ConcernReview(concern_id=concern.id, reviewer_id=reviewer.id, outcome=outcome, reviewed_at=at or utcnow())
    review.reasons = reasons
    concern.status = "reviewed"
    db.session.add(review)
    if commit:
        db.session.commit()
    return review


# --- Referrals -----------------------------------------------------------------------------------

REFERRAL_REASON = "Zorabelle said her stepfather locks her out overnight"

COMPLETE_ANSWERS = {
    "risk": {"immediate_risk": "no"},
    "referrer": {"name": "Dana Lead", "role": "DSL", "phone": "01632 960 001", "email": "dana@school.test"},
    "reasons": {"summary": REFERRAL_REASON, "categories": ["neglect"], "other_category": "", "actions_taken": ""},
    "consent": {"parents_aware": "no", "consent_given": "no", "no_consent_reason": "risk_to_child",
                "no_consent_details": ""},
    "voice": {"child_voice": "I don't want to go home", "wishes": ""},
    "agencies": {"involved": ["gp"], "details": ""},
    "need": {"level": "child_protection", "why": "Locked out at night"},
}


def make_referral(setup: SchoolWithPeople, *, complete: bool = False, concerns=(), urgent: bool = False) -> Referral:
    """A draft referral of `setup.pupil` started by its DSL through the referrals service
    (every section answered if `complete`)."""
    user = setup.dsl
    referral = referrals.start_referral(user, setup.pupil, concern_ids=[c.id for c in concerns], start_token=None)
    if complete:
        fill_in(referral, user, urgent=urgent)
    db.session.commit()
    return referral


def fill_in(referral: Referral, user, *, urgent: bool = False) -> None:
    """Answer every section of a draft referral through the referrals service."""
    for key, answers in COMPLETE_ANSWERS.items():
        if key == "risk" and urgent:
            answers = {"immediate_risk": "yes"}
        referrals.save_section(referral, user, key, answers)
    referrals.save_section(referral, user, "child", referral.form["child"])
    referrals.save_household_member(referral, user, {
        "name": "Marlowe Quintavalle", "relationship": "Stepfather", "date_of_birth": None, "age": "41",
        "lives_with_child": "yes", "address": "", "phone": "", "parental_responsibility": "no"})
    referrals.complete_household(referral, user, True)
    assert not sections.incomplete_sections(referral.form)
    db.session.commit()


def agency_child_answers(child: dict | None = None, *, school: School | None = None) -> dict:
    """The child section of a partner agency's referral: `child` is {"forename", "surname", "born"}
    (TRIAGE_PUPIL's invented child unless given)."""
    child = child or TRIAGE_PUPIL
    return {"legal_forename": child["forename"], "legal_surname": child["surname"], "preferred_name": "",
            "date_of_birth": child["born"].isoformat(), "sex": "", "gender": "", "nhs_number": "",
            "address": "3 Fold Yard", "postcode": "", "ethnicity": "", "first_language": "",
            "school_id": str(school.id) if school else "", "school_name": ""}


def fill_in_agency_referral(referral: Referral, user, *, child: dict | None = None, urgent: bool = False,
                            school: School | None = None) -> None:
    """Answer every section of a partner agency's draft referral through the referrals service."""
    for key, answers in COMPLETE_ANSWERS.items():
        if key == "risk" and urgent:
            answers = {"immediate_risk": "yes"}
        if key == "child":
            answers = agency_child_answers(child, school=school)
        referrals.save_section(referral, user, key, answers)
    referrals.save_section(referral, user, "child", agency_child_answers(child, school=school))
    referrals.save_household_member(referral, user, {
        "name": "Rowan Pryce", "relationship": "Mother", "date_of_birth": None, "age": "34",
        "lives_with_child": "yes", "address": "", "phone": "", "parental_responsibility": "yes"})
    referrals.complete_household(referral, user, True)
    assert not sections.incomplete_sections(referral.form, sections.sections_for(True))
    db.session.commit()


def agency_referral(user, la: LocalAuthority | None = None, *, child: dict | None = None, submit: bool = True,
                    urgent: bool = False) -> Referral:
    """A partner agency's referral made through the referrals service by `user` (an agency
    professional or lead) to `la` (their agency's own council by default): complete, and submitted
    (so in the council's queue) unless `submit` is False."""
    la = la or db.session.get(LocalAuthority, user.agency.local_authority_id)
    referral = referrals.start_agency_referral(user, la.id, start_token=None)
    fill_in_agency_referral(referral, user, child=child, urgent=urgent)
    if submit:
        referral = referrals.submit_referral(referral, user)
    db.session.commit()
    return referral


def make_referral_record(
    school,
    pupil,
    by,
    *,
    status: str = "submitted",
    submitted_at: datetime | None = None,
    concerns=(),
    events=(),
    urgent: bool = False,
    summary: str = "Repeated signs of neglect over the term.",
    categories=("neglect",),
    commit: bool = True,
) -> Referral:
    """A referral inserted as of `submitted_at` (not through the service); `events` are
    (status, at, by_user) after submission."""
    n = next(_counter)
    submitted = status != "draft"
    at = submitted_at or utcnow()
    referral = Referral(
        school_id=school.id,
        pupil_id=pupil.id,
        local_authority_id=school.local_authority_id if submitted else None,
        created_by_id=by.id,
        created_at=at - timedelta(hours=1),
        status=status,
        urgent=urgent,
        submitted_at=at if submitted else None,
        submitted_by_id=by.id if submitted else None,
        reference=f"900-2026-{n:06d}" if submitted else None,
    )
    referral.form = {"reasons": {"summary": summary, "categories": list(categories), "other_category": None}}
    db.session.add(referral)
    db.session.flush()
    for concern in concerns:
        db.session.add(ReferralConcern(referral_id=referral.id, concern_id=concern.id))
    if submitted:
        db.session.add(ReferralEvent(referral_id=referral.id, status="submitted", at=at, by_user_id=by.id))
    for event_status, event_at, event_by in events:
        db.session.add(
            ReferralEvent(referral_id=referral.id, status=event_status, at=event_at, by_user_id=event_by.id if event_by else None)
        )
    if commit:
        db.session.commit()
    return referral


# --- Triage --------------------------------------------------------------------------------------

INTERNAL_NOTE = "Internal: uncle known to police, do not tell school XQZ-7731"
DECISION_REASONS = "Reasons internal RSN-5510: threshold met for assessment"
DECISION_FEEDBACK = "Early help offered; the family worker will contact you this week."


def referral_form(pupil: Pupil, *, urgent: bool = False) -> dict:
    """A complete referral form about `pupil`, as a submitted referral holds it."""
    return {
        "risk": {"immediate_risk": "yes" if urgent else "no"},
        "child": {"legal_forename": pupil.legal_forename, "legal_surname": pupil.legal_surname,
                  "date_of_birth": pupil.date_of_birth.isoformat()},
        "referrer": {"name": "A DSL", "role": "DSL", "phone": "01632 960 001", "email": "dsl@school.test"},
        "reasons": {"summary": "Arrives hungry most days and says there is no food at home", "categories": ["neglect"]},
        "household": {"members": []},
        "consent": {"parents_aware": "yes", "consent_given": "yes"},
        "voice": {"child_voice": "I want my mum to be OK", "wishes": ""},
        "agencies": {"involved": [], "details": ""},
        "need": {"level": "child_in_need", "why": "Persistent neglect"},
    }


def submitted_referral(setup: Council, pupil: Pupil | None = None, *, urgent: bool = False,
                       submitted_at: datetime | None = None, receive: bool = True) -> Referral:
    """A referral as the school's submission leaves it (of TRIAGE_PUPIL unless `pupil`), then
    (by default) received by the LA."""
    pupil = pupil or make_pupil(setup.school, **TRIAGE_PUPIL)
    submitted_at = submitted_at or utcnow()
    n = next(_counter)
    referral = Referral(school_id=pupil.school_id, pupil_id=pupil.id, local_authority_id=setup.la.id,
                        created_by_id=setup.dsl.id, status="submitted", urgent=urgent, submitted_at=submitted_at,
                        submitted_by_id=setup.dsl.id, reference=f"{setup.la.code}-2026-{n:06d}",
                        created_at=submitted_at - timedelta(hours=1))
    referral.form = referral_form(pupil, urgent=urgent)
    db.session.add(referral)
    db.session.flush()
    db.session.add(ReferralEvent(referral_id=referral.id, status="submitted", at=submitted_at, by_user_id=setup.dsl.id))
    if receive:
        receive_referral(referral)
    db.session.commit()
    return referral


# --- Updates -------------------------------------------------------------------------------------


def make_update(school, pupil, *, kind: str = "note", created_at: datetime | None = None, referral=None, by=None,
                commit: bool = True, **content) -> SharedUpdate:
    update = SharedUpdate(
        school_id=school.id,
        local_authority_id=school.local_authority_id,
        pupil_id=pupil.id,
        referral_id=referral.id if referral else None,
        kind=kind,
        created_at=created_at or utcnow(),
        created_by_id=by.id if by else None,
    )
    update.content = {"title": content.pop("title", "A note from the council"), "body": content.pop("body", "Thank you."), **content}
    db.session.add(update)
    if commit:
        db.session.commit()
    return update


# --- School days: a council's calendar and a school's choice of term dates ------------------------


def make_council_holiday(la: LocalAuthority, first_day: date, last_day: date, name: str = "Summer holiday"):
    """A holiday on the council's calendar, straight into the table (the page is tested itself)."""
    from portal.school_calendar.models import CouncilHoliday

    holiday = CouncilHoliday(local_authority_id=la.id, name=name, first_day=first_day, last_day=last_day)
    db.session.add(holiday)
    db.session.commit()
    return holiday


def keeps_own_term_dates(school: School, own: bool = True) -> None:
    """The school says its term dates are its own (an academy), or the council's again."""
    from portal.school_calendar.models import SchoolTermDates

    setting = db.session.get(SchoolTermDates, school.id) or SchoolTermDates(school_id=school.id)
    setting.own_term_dates = own
    db.session.add(setting)
    db.session.commit()
