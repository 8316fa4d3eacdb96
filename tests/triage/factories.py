"""Factories for triage tests: councils with their people, and referrals that have arrived."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portal.auth.roles import Role
from portal.db import utcnow
from portal.db import db
from portal.orgs.models import LocalAuthority, School
from portal.pupils.models import Pupil
from portal.referrals.models import Referral, ReferralEvent
from portal.triage.arrival import receive_referral
from tests.factories import make_la, make_school, make_user

# Invented and distinctive, so that a leak can be searched for in pages, emails and files.
FORENAME = "Ysolde"
SURNAME = "Brackenthwaite"
INTERNAL_NOTE = "Internal: uncle known to police, do not tell school XQZ-7731"
REASONS = "Reasons internal RSN-5510: threshold met for assessment"
FEEDBACK = "Early help offered; the family worker will contact you this week."

_numbers = itertools.count(1)


@dataclass
class Council:
    la: LocalAuthority
    school: School
    dsl: object
    staff: object
    worker: object
    manager: object
    admin: object


def council(code: str = "938", name: str = "Northshire", school_name: str | None = None) -> Council:
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


def make_pupil(school: School, forename: str = FORENAME, surname: str = SURNAME, born: date = date(2015, 6, 2),
               **fields) -> Pupil:
    pupil = Pupil(school_id=school.id, on_roll=True)
    pupil.legal_forename = forename
    pupil.legal_surname = surname
    pupil.date_of_birth = born
    for key, value in fields.items():
        setattr(pupil, key, value)
    db.session.add(pupil)
    db.session.commit()
    return pupil


def referral_form(pupil: Pupil, *, urgent: bool = False) -> dict:
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
    """A referral as the school's submission leaves it, then (by default) received by the LA."""
    pupil = pupil or make_pupil(setup.school)
    submitted_at = submitted_at or utcnow()
    n = next(_numbers)
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
