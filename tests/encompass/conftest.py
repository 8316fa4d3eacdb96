"""Two councils, their schools and people, and the police: Northshire (Oakfield, Riverside) with
Northshire Police, Southmoor (Hillcrest) with Southmoor Police. A pupil at Oakfield the police
can name, and the helpers that walk the notice pages as a police user would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.auth.roles import Role
from portal.db import db, utcnow
from portal.encompass.models import EncompassChild, EncompassNotice
from portal.orgs.models import AgencyKind
from portal.working_days import UK
from tests.factories import agency_user, make_agency, make_la, make_pupil, make_school, make_user
from tests.signing_in import sign_in

KNOWN = {"forename": "Amelia", "surname": "Hartley-Nkemelu", "born": date(2014, 3, 9)}
KNOWN_UPN = "V938123456789"
SIBLING = {"forename": "Theodric", "surname": "Hartley-Nkemelu", "born": date(2017, 8, 21)}
ADDRESS = "14 Larkspur Close\nNorthtown NT2 5QP"
DISCLOSURE = "Amelia said she hid under the bed with her brother XQ-DISCLOSURE-7781"


@dataclass
class World:
    northshire: object
    southmoor: object
    oakfield: object
    riverside: object
    hillcrest: object
    police: object
    southmoor_police: object
    surgery: object
    people: dict
    pupil: object


def _person(role, org, name):
    return make_user(role, org, display_name=name, password_hash="x")


@pytest.fixture
def world(app) -> World:
    northshire, southmoor = make_la("938", "Northshire"), make_la("939", "Southmoor")
    oakfield = make_school(northshire, name="Oakfield Primary School", urn="938001")
    riverside = make_school(northshire, name="Riverside Academy", urn="938002")
    hillcrest = make_school(southmoor, name="Hillcrest High School", urn="939001")
    police = make_agency(northshire, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    southmoor_police = make_agency(southmoor, kind=AgencyKind.POLICE_FORCE, name="Southmoor Police")
    surgery = make_agency(northshire, kind=AgencyKind.GP_PRACTICE, name="Elm Street Surgery")
    people = {
        "notifier": agency_user(police, Role.ENCOMPASS_NOTIFIER, display_name="PC Notifier", password_hash="x"),
        "notifier2": agency_user(police, Role.ENCOMPASS_NOTIFIER, display_name="PC Colleague", password_hash="x"),
        "police lead": agency_user(police, Role.AGENCY_LEAD, password_hash="x"),
        "police professional": agency_user(police, Role.AGENCY_PROFESSIONAL, password_hash="x"),
        "southmoor notifier": agency_user(southmoor_police, Role.ENCOMPASS_NOTIFIER, password_hash="x"),
        "gp": agency_user(surgery, Role.AGENCY_PROFESSIONAL, password_hash="x"),
        "oakfield dsl": _person(Role.DSL, oakfield, "Dana Oakfield"),
        "oakfield deputy": _person(Role.DEPUTY_DSL, oakfield, "Dev Oakfield"),
        "oakfield staff": _person(Role.SCHOOL_STAFF, oakfield, "Sam Oakfield"),
        "riverside dsl": _person(Role.DSL, riverside, "Rae Riverside"),
        "hillcrest dsl": _person(Role.DSL, hillcrest, "Hal Hillcrest"),
        "key contact": _person(Role.ENCOMPASS_KEY_CONTACT, northshire, "Kit Keycontact"),
        "southmoor key contact": _person(Role.ENCOMPASS_KEY_CONTACT, southmoor, "Sol Keycontact"),
        "manager": _person(Role.TRIAGE_MANAGER, northshire, "Max Manager"),
        "worker": _person(Role.TRIAGE_WORKER, northshire, "Wyn Worker"),
        "admin": _person(Role.LA_ADMIN, northshire, "Ada Admin"),
        "cme": _person(Role.CME_OFFICER, northshire, "Cam Officer"),
    }
    pupil = make_pupil(oakfield, upn=KNOWN_UPN, **KNOWN)
    return World(northshire, southmoor, oakfield, riverside, hillcrest, police, southmoor_police, surgery, people, pupil)


def as_user(client, user):
    sign_in(client, user)
    return client


_YESTERDAY = (utcnow() - timedelta(days=1)).astimezone(UK).date()
INCIDENT = {"police_reference": "NP/2026/004417",
            "incident_date": [str(_YESTERDAY.day), str(_YESTERDAY.month), str(_YESTERDAY.year)],
            "incident_time": "21:40", "other_agencies": "MASH informed by phone"}


def child_form(forename, surname, born: date, **extra) -> dict:
    data = {
        "forename": forename, "surname": surname,
        "date_of_birth": [str(born.day), str(born.month), str(born.year)],
        "address": ADDRESS, "school_given": "", "upn": "", "exposure": ["present", "heard"], "injured": "no",
        "injuries": "", "disclosure": "",
    }
    data.update(extra)
    return data


_DRAFT = re.compile(r"/encompass/drafts/([0-9a-f-]{36})/")


def start_notice(client, incident: dict | None = None) -> str:
    response = client.post("/encompass/new", data=incident or INCIDENT)
    assert response.status_code == 302, re.findall(r"govuk-error-message.*?</p>|error-summary__list.*?</ul>", response.get_data(as_text=True), re.S)
    return _DRAFT.search(response.headers["Location"]).group(1)


def add_child(client, notice_id: str, data: dict):
    response = client.post(f"/encompass/drafts/{notice_id}/children/new", data=data)
    assert response.status_code == 302, re.findall(r"error-summary__list.*?</ul>", response.get_data(as_text=True), re.S)
    return response


def record_notice(client, children: list[dict], incident: dict | None = None) -> str:
    """Walk the pages: the incident, each child, send. Returns the notice id."""
    notice_id = start_notice(client, incident)
    for data in children:
        add_child(client, notice_id, data)
    response = client.post(f"/encompass/drafts/{notice_id}/send", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/encompass/notices/{notice_id}")
    return notice_id


def children_of(notice_id: str) -> list[EncompassChild]:
    import uuid

    db.session.expire_all()
    return list(db.session.execute(
        select(EncompassChild).where(EncompassChild.notice_id == uuid.UUID(notice_id)).order_by(EncompassChild.position)
    ).scalars())


def notice_of(notice_id: str) -> EncompassNotice:
    import uuid

    db.session.expire_all()
    return db.session.get(EncompassNotice, uuid.UUID(notice_id))


def statuses(page: str) -> list[str]:
    """What the police page says of each child, in order."""
    return re.findall(r"data-status>([^<]+)<", page)
