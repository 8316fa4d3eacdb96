"""Factories for concerns tests: schools with their people and pupils, and concerns made directly."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from portal.auth.roles import Role
from portal.concerns.models import Concern, ConcernPupil, ConcernVersion
from portal.db import utcnow
from portal.db import db
from portal.orgs.models import School
from portal.pupils.models import Pupil
from tests.factories import make_la, make_school, make_user

ACCOUNT = "Zephyrine said her uncle shouted at her and she was scared to go home tonight"


def make_pupil(school: School, forename="Zephyrine", surname="Quillfeather", born=date(2015, 5, 4), **fields) -> Pupil:
    pupil = Pupil(school_id=school.id, on_roll=fields.pop("on_roll", True))
    pupil.legal_forename = forename
    pupil.legal_surname = surname
    pupil.date_of_birth = born
    pupil.year_group = fields.pop("year_group", "Year 5")
    for name, value in fields.items():
        setattr(pupil, name, value)
    db.session.add(pupil)
    db.session.commit()
    return pupil


@dataclass
class SchoolSetup:
    school: School
    dsl: object
    deputy: object
    staff: object
    other_staff: object
    pupil: Pupil


def school_with_people(la=None, **school_fields) -> SchoolSetup:
    la = la or make_la()
    school = make_school(la, **school_fields)
    return SchoolSetup(
        school=school,
        dsl=make_user(Role.DSL, school, display_name="Dana Lead"),
        deputy=make_user(Role.DEPUTY_DSL, school, display_name="Dev Deputy"),
        staff=make_user(Role.SCHOOL_STAFF, school, display_name="Sam Teacher"),
        other_staff=make_user(Role.SCHOOL_STAFF, school, display_name="Olu Assistant"),
        pupil=make_pupil(school),
    )


def make_concern(school: School, pupil: Pupil, logged_by, *, account: str = ACCOUNT, urgent: bool = False,
                 occurred_at: datetime | None = None, logged_at: datetime | None = None,
                 others: list[tuple[Pupil, str]] = ()) -> Concern:
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
    for linked, role in [(pupil, "subject"), *others]:
        link = ConcernPupil(concern_id=concern.id, pupil_id=linked.id)
        link.role = role
        db.session.add(link)
    db.session.commit()
    return concern
