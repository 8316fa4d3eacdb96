"""Who may do what with Operation Encompass notices, for every role (the schools' and councils'
roles are also rows of tests/policy/test_policy_table.py). Read a row as: "a <column> asks to
<action> on <object>: yes or no".

Columns: notifier (Northshire Police's Encompass notifier), colleague (another notifier of the
same force), southnotifier (Southmoor Police's), lead and prof (Northshire Police's safeguarding
lead and professional), gp (a GP practice's professional), keycontact (Northshire's Encompass
key contact), southkey (Southmoor's), cme, dsl, deputy, staff (of Oakfield), manager, worker, admin
(of Northshire).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal import policy
from portal.auth.roles import Role
from portal.encompass.models import EncompassChild, EncompassNotice
from portal.orgs.models import AgencyKind
from tests.factories import agency_user, make_agency, make_user
from tests.policy.world import build_world
from tests.policy.tables import read_table

TABLE = """
action              object                         notifier colleague southnotifier lead prof gp keycontact southkey cme dsl deputy staff manager worker admin
encompass:record    area                           yes      yes       yes           -    -    -  -          -        -   -   -      -     -       -      -
encompass:record    sent notice, Northshire Police yes      yes       -             -    -    -  -          -        -   -   -      -     -       -      -
encompass:record    draft of mine                  yes      -         -             -    -    -  -          -        -   -   -      -     -       -      -
encompass:record    sent notice, Southmoor Police  -        -         yes           -    -    -  -          -        -   -   -      -     -       -      -
encompass:read      area                           -        -         -             -    -    -  -          -        -   yes yes    -     -       -      -
encompass:read      delivered to Oakfield          -        -         -             -    -    -  -          -        -   yes yes    -     -       -      -
encompass:read      delivered to Riverside         -        -         -             -    -    -  -          -        -   -   -      -     -       -      -
encompass:read      pending, no school yet         -        -         -             -    -    -  -          -        -   -   -      -     -       -      -
encompass:read      held by Northshire             -        -         -             -    -    -  -          -        -   -   -      -     -       -      -
encompass:route     area                           -        -         -             -    -    -  yes        yes      -   -   -      -     -       -      -
encompass:route     held by Northshire             -        -         -             -    -    -  yes        -        -   -   -      -     -       -      -
encompass:route     held by Southmoor              -        -         -             -    -    -  -          yes      -   -   -      -     -       -      -
encompass:register  area                           -        -         -             -    -    -  yes        yes      -   -   -      -     yes     -      -
encompass:register  Northshire                     -        -         -             -    -    -  yes        -        -   -   -      -     yes     -      -
encompass:register  Southmoor                      -        -         -             -    -    -  -          yes      -   -   -      -     -       -      -
"""


@dataclass
class PoliceWorld:
    base: object
    police: object
    southmoor_police: object
    actors: dict


def build() -> PoliceWorld:
    base = build_world()
    police = make_agency(base.northshire, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    southmoor_police = make_agency(base.southmoor, kind=AgencyKind.POLICE_FORCE, name="Southmoor Police")
    surgery = make_agency(base.northshire, kind=AgencyKind.GP_PRACTICE)
    actors = {
        "notifier": agency_user(police, Role.ENCOMPASS_NOTIFIER),
        "colleague": agency_user(police, Role.ENCOMPASS_NOTIFIER),
        "southnotifier": agency_user(southmoor_police, Role.ENCOMPASS_NOTIFIER),
        "lead": agency_user(police, Role.AGENCY_LEAD),
        "prof": agency_user(police, Role.AGENCY_PROFESSIONAL),
        "gp": agency_user(surgery, Role.AGENCY_PROFESSIONAL),
        "keycontact": make_user(Role.ENCOMPASS_KEY_CONTACT, base.northshire),
        "southkey": make_user(Role.ENCOMPASS_KEY_CONTACT, base.southmoor),
        "cme": make_user(Role.CME_OFFICER, base.northshire),
        "dsl": base.actors[Role.DSL],
        "deputy": base.actors[Role.DEPUTY_DSL],
        "staff": base.actors[Role.SCHOOL_STAFF],
        "manager": base.actors[Role.TRIAGE_MANAGER],
        "worker": base.actors[Role.TRIAGE_WORKER],
        "admin": base.actors[Role.LA_ADMIN],
    }
    return PoliceWorld(base, police, southmoor_police, actors)


def _child(w, school, la, routing):
    return EncompassChild(routing=routing, school_id=getattr(w.base, school).id if school else None,
                          local_authority_id=getattr(w.base, la).id if la else None)


OBJECTS = {
    "area": lambda w: None,
    "sent notice, Northshire Police": lambda w: EncompassNotice(agency_id=w.police.id, status="submitted",
                                                                created_by_id=w.actors["colleague"].id),
    "draft of mine": lambda w: EncompassNotice(agency_id=w.police.id, status="draft", created_by_id=w.actors["notifier"].id),
    "sent notice, Southmoor Police": lambda w: EncompassNotice(agency_id=w.southmoor_police.id, status="submitted",
                                                               created_by_id=w.actors["southnotifier"].id),
    "delivered to Oakfield": lambda w: _child(w, "oakfield", "northshire", "delivered"),
    "delivered to Riverside": lambda w: _child(w, "riverside", "northshire", "delivered"),
    "pending, no school yet": lambda w: _child(w, None, None, "pending"),
    "held by Northshire": lambda w: _child(w, None, "northshire", "held"),
    "held by Southmoor": lambda w: _child(w, None, "southmoor", "held"),
    "Northshire": lambda w: w.base.northshire,
    "Southmoor": lambda w: w.base.southmoor,
}


COLUMNS, ROWS = read_table(TABLE)


def test_the_table_covers_every_encompass_action_and_every_role():
    assert {action for action, _, _ in ROWS} == {a for a in policy.RULES if a.startswith("encompass:")}
    assert all(label in OBJECTS for _, label, _ in ROWS)


@pytest.mark.usefixtures("app")
def test_every_answer_is_as_the_table_says():
    world = build()
    assert {a.role for a in world.actors.values()} == {r.value for r in Role}
    wrong = []
    for action, label, expected in ROWS:
        for column, answer in expected.items():
            if policy.can(world.actors[column], action, OBJECTS[label](world)) != answer:
                wrong.append(f"{column} {action} on {label}: expected {'yes' if answer else 'no'}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.usefixtures("app")
def test_a_notifier_in_an_organisation_that_is_not_police_is_refused():
    from portal.db import db

    world = build()
    notifier = world.actors["notifier"]
    world.police.kind = AgencyKind.GP_PRACTICE.value
    db.session.commit()
    assert not policy.can(notifier, "encompass:record")
    world.police.kind = AgencyKind.POLICE_TEAM.value
    db.session.commit()
    assert policy.can(notifier, "encompass:record")
