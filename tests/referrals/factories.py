"""Factories for referral tests: a school with its people, pupils, concerns, and referrals."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from portal.auth.roles import Role
from portal.concerns.models import Concern, ConcernPupil, ConcernVersion
from portal.db import utcnow
from portal.db import db
from portal.orgs.models import LocalAuthority, School
from portal.pupils.models import Pupil
from portal.referrals import sections
from portal.referrals import service as referrals
from portal.referrals.models import Referral
from tests.factories import make_la, make_school, make_user

# Invented, and distinctive enough to search for in raw database bytes.
FORENAME = "Zorabelle"
SURNAME = "Quintavalle-Okonjo"
REASON = "Zorabelle said her stepfather locks her out overnight"


def make_pupil(school: School, forename: str = FORENAME, surname: str = SURNAME, born=date(2014, 3, 9), **fields) -> Pupil:
    pupil = Pupil(school_id=school.id, on_roll=True)
    pupil.legal_forename = forename
    pupil.legal_surname = surname
    pupil.date_of_birth = born
    pupil.year_group = fields.pop("year_group", "Year 6")
    pupil.sex = fields.pop("sex", "Female")
    pupil.address = fields.pop("address", "12 Cedar Row\nNorthtown")
    pupil.postcode = fields.pop("postcode", "NT1 4AB")
    for name, value in fields.items():
        setattr(pupil, name, value)
    db.session.add(pupil)
    db.session.commit()
    return pupil


def make_concern(pupil: Pupil, logged_by, *, categories=("neglect",), days_ago: int = 3) -> Concern:
    occurred = utcnow() - timedelta(days=days_ago)
    concern = Concern(school_id=pupil.school_id, pupil_id=pupil.id, logged_by_id=logged_by.id, occurred_at=occurred,
                      submission_token=secrets.token_urlsafe(32), status="reviewed")
    db.session.add(concern)
    db.session.flush()
    version = ConcernVersion(concern_id=concern.id, version=1, created_by_id=logged_by.id)
    version.content = {"location": "Playground", "categories": list(categories), "account": "Seen hungry again",
                       "action_taken": "Told the DSL", "people_informed": None, "body_map": []}
    db.session.add(version)
    link = ConcernPupil(concern_id=concern.id, pupil_id=pupil.id)
    link.role = "subject"
    db.session.add(link)
    db.session.commit()
    return concern


@dataclass
class School_:
    la: LocalAuthority
    school: School
    dsl: object
    deputy: object
    staff: object
    pupil: Pupil


def school_with_people(la: LocalAuthority | None = None) -> School_:
    la = la or make_la(code="938", name="Northshire")
    school = make_school(la)
    return School_(
        la=la,
        school=school,
        dsl=make_user(Role.DSL, school, display_name="Dana Lead", email=f"dana.{school.urn}@school.test"),
        deputy=make_user(Role.DEPUTY_DSL, school, display_name="Dev Deputy"),
        staff=make_user(Role.SCHOOL_STAFF, school, display_name="Sam Teacher"),
        pupil=make_pupil(school),
    )


COMPLETE_ANSWERS = {
    "risk": {"immediate_risk": "no"},
    "referrer": {"name": "Dana Lead", "role": "DSL", "phone": "01632 960 001", "email": "dana@school.test"},
    "reasons": {"summary": REASON, "categories": ["neglect"], "other_category": "", "actions_taken": ""},
    "consent": {"parents_aware": "no", "consent_given": "no", "no_consent_reason": "risk_to_child",
                "no_consent_details": ""},
    "voice": {"child_voice": "I don't want to go home", "wishes": ""},
    "agencies": {"involved": ["gp"], "details": ""},
    "need": {"level": "child_protection", "why": "Locked out at night"},
}


def make_referral(setup: School_, *, complete: bool = False, concerns=(), urgent: bool = False) -> Referral:
    user = setup.dsl
    referral = referrals.start_referral(user, setup.pupil, concern_ids=[c.id for c in concerns], start_token=None)
    if complete:
        fill_in(referral, user, urgent=urgent)
    db.session.commit()
    return referral


def fill_in(referral: Referral, user, *, urgent: bool = False) -> None:
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
