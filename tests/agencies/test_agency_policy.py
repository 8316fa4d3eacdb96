"""The policy's answers for partner agencies' referrals, as one table (read like
tests/policy/test_policy_table.py): a <column> asks to <action> on <object>, yes or no.

Columns: admin (Northshire's LA admin), otheradmin (Southmoor's), dsl (Oakfield's DSL), lead
(Northshire Police's safeguarding lead), professional (Elm Street Surgery's professional, who made
"the GP's referral"), notifier (Northshire Police's Encompass notifier), cme, keycontact
(Northshire's CME officer and Encompass key contact)."""

from __future__ import annotations

import pytest

from portal import policy
from portal.referrals.models import Referral
from portal.updates.models import SharedUpdate
from tests.policy.test_policy_new_roles import COLUMNS, build_agency_world
from tests.policy.tables import read_table

TABLE = """
action                    object                                  admin otheradmin dsl lead professional notifier cme keycontact
referrals:work            area                                    -     -          yes yes  yes          -        -   -
referrals:work            the GP's referral                       -     -          -   -    yes          -        -   -
referrals:work            another GP professional's referral      -     -          -   -    -            -        -   -
referrals:work            a police professional's referral        -     -          -   yes  -            -        -   -
referrals:work            a Southmoor agency's referral           -     -          -   -    -            -        -   -
referrals:work            Oakfield's referral                     -     -          yes -    -            -        -   -
agency_referrals:manage   area                                    -     -          -   yes  yes          -        -   -
agency_referrals:manage   the GP's referral                       -     -          -   -    yes          -        -   -
agency_referrals:manage   another GP professional's referral      -     -          -   -    -            -        -   -
agency_referrals:manage   a police professional's referral        -     -          -   yes  -            -        -   -
agency_referrals:manage   a Southmoor agency's referral           -     -          -   -    -            -        -   -
agency_referrals:manage   Oakfield's referral                     -     -          -   -    -            -        -   -
agency_referrals:oversee  area                                    -     -          -   yes  -            -        -   -
agency_referrals:oversee  the GP's referral                       -     -          -   -    -            -        -   -
agency_referrals:oversee  a police professional's referral        -     -          -   yes  -            -        -   -
agency_referrals:oversee  Oakfield's referral                     -     -          -   -    -            -        -   -
agency_referrals:start    area                                    -     -          -   yes  yes          -        -   -
agency_referrals:start    Northshire                              -     -          -   yes  yes          -        -   -
agency_referrals:start    Southmoor                               -     -          -   -    -            -        -   -
agency_updates:view       area                                    -     -          -   yes  yes          -        -   -
agency_updates:view       an update to Elm Street Surgery         -     -          -   -    yes          -        -   -
agency_updates:view       an update to Northshire Police          -     -          -   yes  -            -        -   -
agency_updates:view       an update to Oakfield                   -     -          -   -    -            -        -   -
"""


def _referral(w, agency=None, by=None, school=False) -> Referral:
    if school:
        return Referral(school_id=w.base.oakfield.id, pupil_id=w.base.pupils["own school"].id,
                        local_authority_id=w.base.northshire.id, created_by_id=w.actors["dsl"].id)
    return Referral(agency_id=agency.id, local_authority_id=agency.local_authority_id, created_by_id=by.id)


OBJECTS = {
    "area": lambda w: None,
    "the GP's referral": lambda w: _referral(w, w.surgery, w.actors[COLUMNS["professional"]]),
    "another GP professional's referral": lambda w: _referral(w, w.surgery, w.people["GP professional"]),
    "a police professional's referral": lambda w: _referral(w, w.police, w.people["police professional"]),
    "a Southmoor agency's referral": lambda w: _referral(w, w.southmoor_agency, w.people["Southmoor police professional"]),
    "Oakfield's referral": lambda w: _referral(w, school=True),
    "Northshire": lambda w: w.base.northshire,
    "Southmoor": lambda w: w.base.southmoor,
    "an update to Elm Street Surgery": lambda w: SharedUpdate(agency_id=w.surgery.id, local_authority_id=w.base.northshire.id),
    "an update to Northshire Police": lambda w: SharedUpdate(agency_id=w.police.id, local_authority_id=w.base.northshire.id),
    "an update to Oakfield": lambda w: SharedUpdate(school_id=w.base.oakfield.id, local_authority_id=w.base.northshire.id),
}


_, ROWS = read_table(TABLE)


def test_the_table_names_every_new_action_and_known_objects():
    assert {action for action, _, _ in ROWS} == {"referrals:work", "agency_referrals:manage", "agency_referrals:oversee",
                                                  "agency_referrals:start", "agency_updates:view"}
    assert all(label in OBJECTS for _, label, _ in ROWS)


@pytest.mark.usefixtures("app")
def test_agency_referrals_are_decided_as_the_table_says():
    world = build_agency_world()
    wrong = []
    for action, label, expected in ROWS:
        for column, answer in expected.items():
            actor = world.actors[COLUMNS[column]]
            if policy.can(actor, action, OBJECTS[label](world)) != answer:
                wrong.append(f"{column} {action} on {label}: expected {'yes' if answer else 'no'}")
    assert not wrong, "\n".join(wrong)
