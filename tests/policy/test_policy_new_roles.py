"""Who may do what, for the roles that came with partner agencies, children missing education
and Operation Encompass: the CME officer and the Encompass key contact (council roles), and a
partner agency's professional, safeguarding lead and Encompass notifier.

Two tables, read like tests/policy/test_policy_table.py:
- the schools' and councils' actions that existed before these roles: none of them is given to a
  new role, beyond home and their own account;
- looking after partner agencies and their people.
Each new area's actions (off-roll notices, Encompass notices, agency referrals) are spelt out in
that area's own policy tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal import policy
from portal.auth.roles import Role
from portal.orgs.models import AgencyKind
from portal.policy import InviteTarget, RoleChange
from tests.factories import agency_user, make_agency, make_user
from tests.policy.test_policy_table import ROWS
from tests.policy.world import NEW_ROLES, OBJECTS, build_world
from tests.policy.tables import read_table

# The actions schools and councils had before these roles. None is the new roles', except what
# every signed-in person has: home and their own account.
EARLIER_ACTIONS = frozenset({
    "account:manage", "agencies:manage", "chronology:export", "chronology:view", "concern:correct",
    "concern:log", "concern:view", "concerns:review", "connector:approve", "connector:change",
    "connector:manage", "dashboard:view", "home:view", "pupil:view", "pupils:manage", "pupils:pick",
    "referrals:manage", "referrals:start", "retention:hold", "rolls:import", "schools:manage",
    "sso:manage", "transfer_requests:answer", "transferred_history:view", "transfers:manage",
    "transfers:receive", "transfers:request", "transfers:send", "triage:manage",
    "triage:view_referral", "triage:work", "updates:view", "users:change_role", "users:deactivate",
    "users:invite", "users:list", "users:list_la", "users:reset_2fa", "users:view",
})
EVERYONE_MAY = {("home:view", "area"), ("account:manage", "area"), ("account:manage", "self")}
# An agency's safeguarding lead looks after its people (the second table says whom).
ALSO_MAY = {Role.AGENCY_LEAD: {("users:list", "area"), ("users:invite", "area")}}


@dataclass
class AgencyWorld:
    base: object
    police: object
    surgery: object
    southmoor_agency: object
    actors: dict
    people: dict


def build_agency_world() -> AgencyWorld:
    base = build_world()
    police = make_agency(base.northshire, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    surgery = make_agency(base.northshire, kind=AgencyKind.GP_PRACTICE, name="Elm Street Surgery")
    southmoor_agency = make_agency(base.southmoor, kind=AgencyKind.POLICE_FORCE, name="Southmoor Police")
    actors = {
        Role.CME_OFFICER: make_user(Role.CME_OFFICER, base.northshire),
        Role.ENCOMPASS_KEY_CONTACT: make_user(Role.ENCOMPASS_KEY_CONTACT, base.northshire),
        Role.AGENCY_PROFESSIONAL: agency_user(surgery, Role.AGENCY_PROFESSIONAL),
        Role.AGENCY_LEAD: agency_user(police, Role.AGENCY_LEAD),
        Role.ENCOMPASS_NOTIFIER: agency_user(police, Role.ENCOMPASS_NOTIFIER),
        "admin": base.actors[Role.LA_ADMIN],
        "otheradmin": make_user(Role.LA_ADMIN, base.southmoor),
        "dsl": base.actors[Role.DSL],
    }
    people = {
        "police professional": agency_user(police, Role.AGENCY_PROFESSIONAL),
        "police lead": agency_user(police, Role.AGENCY_LEAD),
        "GP professional": agency_user(surgery, Role.AGENCY_PROFESSIONAL),
        "Southmoor police professional": agency_user(southmoor_agency, Role.AGENCY_PROFESSIONAL),
    }
    return AgencyWorld(base, police, surgery, southmoor_agency, actors, people)


def test_the_new_roles_get_none_of_the_earlier_actions(app):
    world = build_world()
    police = make_agency(world.northshire, kind=AgencyKind.POLICE_FORCE)
    actors = {
        role: (agency_user(police, role) if role.is_agency_role else make_user(role, world.northshire))
        for role in NEW_ROLES
    }
    rows = [(action, label) for action, label, _ in ROWS if action in EARLIER_ACTIONS]
    assert {action for action, _ in rows} == EARLIER_ACTIONS
    wrong = []
    for action, label in rows:
        for role, actor in actors.items():
            expected = (action, label) in EVERYONE_MAY | ALSO_MAY.get(role, set())
            if policy.can(actor, action, OBJECTS[label](world, actor)) != expected:
                wrong.append(f"{role.value} {action} on {label}: expected {'yes' if expected else 'no'}")
    assert not wrong, "\n".join(wrong)


COLUMNS = {"admin": "admin", "otheradmin": "otheradmin", "dsl": "dsl", "lead": Role.AGENCY_LEAD,
           "professional": Role.AGENCY_PROFESSIONAL, "notifier": Role.ENCOMPASS_NOTIFIER,
           "cme": Role.CME_OFFICER, "keycontact": Role.ENCOMPASS_KEY_CONTACT}

# admin: Northshire's LA admin; otheradmin: Southmoor's; dsl: Oakfield's DSL; lead: Northshire
# Police's safeguarding lead; professional: Elm Street Surgery's; notifier: Northshire Police's.
TABLE = """
action              object                                  admin otheradmin dsl lead professional notifier cme keycontact
agencies:manage     area                                    yes   yes        -   -    -            -        -   -
agencies:manage     Northshire Police                       yes   -          -   -    -            -        -   -
agencies:manage     Southmoor Police                        -     yes        -   -    -            -        -   -
users:list          area                                    yes   yes        yes yes  -            -        -   -
users:view          police professional                     yes   -          -   yes  -            -        -   -
users:view          police lead                             yes   -          -   yes  -            -        -   -
users:view          GP professional                         yes   -          -   -    -            -        -   -
users:view          Southmoor police professional           -     yes        -   -    -            -        -   -
users:deactivate    police professional                     yes   -          -   yes  -            -        -   -
users:deactivate    GP professional                         yes   -          -   -    -            -        -   -
users:reset_2fa     police professional                     yes   -          -   -    -            -        -   -
users:invite        area                                    yes   yes        yes yes  -            -        -   -
users:invite        lead to Northshire Police               yes   -          -   yes  -            -        -   -
users:invite        professional to Northshire Police       -     -          -   yes  -            -        -   -
users:invite        notifier to Northshire Police           -     -          -   yes  -            -        -   -
users:invite        notifier to Elm Street Surgery          -     -          -   -    -            -        -   -
users:invite        professional to Elm Street Surgery      -     -          -   -    -            -        -   -
users:invite        lead to Southmoor Police                -     yes        -   -    -            -        -   -
users:invite        triage worker to Northshire Police      -     -          -   -    -            -        -   -
users:invite        CME officer to own LA                   yes   -          -   -    -            -        -   -
users:invite        key contact to own LA                   yes   -          -   -    -            -        -   -
users:change_role   make police professional a notifier     yes   -          -   yes  -            -        -   -
users:change_role   make GP professional a notifier         -     -          -   -    -            -        -   -
users:change_role   make GP professional a lead             yes   -          -   -    -            -        -   -
users:change_role   make police professional a triage worker -    -          -   -    -            -        -   -
users:change_role   make police professional a DSL          -     -          -   -    -            -        -   -
"""

AGENCY_OBJECTS = {
    "area": lambda w: None,
    "Northshire Police": lambda w: w.police,
    "Southmoor Police": lambda w: w.southmoor_agency,
    "police professional": lambda w: w.people["police professional"],
    "police lead": lambda w: w.people["police lead"],
    "GP professional": lambda w: w.people["GP professional"],
    "Southmoor police professional": lambda w: w.people["Southmoor police professional"],
    "lead to Northshire Police": lambda w: InviteTarget(Role.AGENCY_LEAD, w.police),
    "professional to Northshire Police": lambda w: InviteTarget(Role.AGENCY_PROFESSIONAL, w.police),
    "notifier to Northshire Police": lambda w: InviteTarget(Role.ENCOMPASS_NOTIFIER, w.police),
    "notifier to Elm Street Surgery": lambda w: InviteTarget(Role.ENCOMPASS_NOTIFIER, w.surgery),
    "professional to Elm Street Surgery": lambda w: InviteTarget(Role.AGENCY_PROFESSIONAL, w.surgery),
    "lead to Southmoor Police": lambda w: InviteTarget(Role.AGENCY_LEAD, w.southmoor_agency),
    "triage worker to Northshire Police": lambda w: InviteTarget(Role.TRIAGE_WORKER, w.police),
    "CME officer to own LA": lambda w: InviteTarget(Role.CME_OFFICER, w.base.northshire),
    "key contact to own LA": lambda w: InviteTarget(Role.ENCOMPASS_KEY_CONTACT, w.base.northshire),
    "make police professional a notifier":
        lambda w: RoleChange(w.people["police professional"], Role.ENCOMPASS_NOTIFIER),
    "make GP professional a notifier": lambda w: RoleChange(w.people["GP professional"], Role.ENCOMPASS_NOTIFIER),
    "make GP professional a lead": lambda w: RoleChange(w.people["GP professional"], Role.AGENCY_LEAD),
    "make police professional a triage worker":
        lambda w: RoleChange(w.people["police professional"], Role.TRIAGE_WORKER),
    "make police professional a DSL": lambda w: RoleChange(w.people["police professional"], Role.DSL),
}


_, AGENCY_ROWS = read_table(TABLE)


def test_every_object_in_the_agency_table_is_known():
    assert all(label in AGENCY_OBJECTS for _, label, _ in AGENCY_ROWS)


@pytest.mark.usefixtures("app")
def test_looking_after_agencies_and_their_people_is_as_the_table_says():
    world = build_agency_world()
    wrong = []
    for action, label, expected in AGENCY_ROWS:
        for column, answer in expected.items():
            actor = world.actors[COLUMNS[column]]
            if policy.can(actor, action, AGENCY_OBJECTS[label](world)) != answer:
                wrong.append(f"{column} {action} on {label}: expected {'yes' if answer else 'no'}")
    assert not wrong, "\n".join(wrong)


def test_a_deactivated_agency_refuses_its_people(app):
    from portal.db import db

    world = build_agency_world()
    lead = world.actors[Role.AGENCY_LEAD]
    assert lead.is_active and policy.can(lead, "users:list")
    world.police.active = False
    db.session.commit()
    assert not lead.is_active
    assert not policy.can(lead, "home:view")
    world.police.active = True
    world.base.northshire.active = False
    db.session.commit()
    assert not lead.is_active
