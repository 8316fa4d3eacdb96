"""Who may do what, as one table: every role against every action in the policy, for each kind
of record the action is asked about (own school, another school in the same LA, another LA, a
record transferred out; for the council's actions own LA and other LA; "area" is the action
without a record, as a view's decorator asks it).

Read a row as: "a <column> of Oakfield (or of Northshire, for the council's roles) asks to
<action> on <object>: yes or no". The world is in tests/policy/world.py. A change to the
policy that changes any answer must change this table too, where a reviewer sees it.
"""

from __future__ import annotations

import pytest

from portal import policy
from portal.auth.roles import Role
from tests.policy.world import NEW_ROLES, OBJECTS, ROLES, build_world

COLUMNS = {"staff": Role.SCHOOL_STAFF, "dsl": Role.DSL, "deputy": Role.DEPUTY_DSL, "worker": Role.TRIAGE_WORKER,
           "manager": Role.TRIAGE_MANAGER, "admin": Role.LA_ADMIN}

TABLE = """
action                    object                                    staff dsl deputy worker manager admin
home:view                 area                                      yes   yes yes    yes    yes     yes

schools:manage            area                                      -     -   -      -      -       yes
schools:manage            own school                                -     -   -      -      -       yes
schools:manage            other school, same LA                     -     -   -      -      -       yes
schools:manage            school in other LA                        -     -   -      -      -       -
schools:manage            own LA                                    -     -   -      -      -       yes
schools:manage            other LA                                  -     -   -      -      -       -

agencies:manage           area                                      -     -   -      -      -       yes
agencies:manage           agency, own LA                            -     -   -      -      -       yes
agencies:manage           agency, other LA                          -     -   -      -      -       -

council_calendar:manage   area                                      -     -   -      -      -       yes
council_calendar:manage   own LA                                    -     -   -      -      -       yes
council_calendar:manage   other LA                                  -     -   -      -      -       -
council_calendar:manage   own school                                -     -   -      -      -       -

account:manage            area                                      yes   yes yes    yes    yes     yes
account:manage            self                                      yes   yes yes    yes    yes     yes
account:manage            staff, own school                         -     -   -      -      -       -
account:manage            DSL, own school                           -     -   -      -      -       -
account:manage            staff, other school same LA               -     -   -      -      -       -
account:manage            staff, other LA                           -     -   -      -      -       -
account:manage            LA staff, own LA                          -     -   -      -      -       -
account:manage            LA staff, other LA                        -     -   -      -      -       -

users:list                area                                      -     yes -      -      -       yes

users:list_la             area                                      -     -   -      -      -       yes

users:view                self                                      -     -   -      -      -       -
users:view                staff, own school                         -     yes -      -      -       yes
users:view                DSL, own school                           -     -   -      -      -       yes
users:view                staff, other school same LA               -     -   -      -      -       yes
users:view                staff, other LA                           -     -   -      -      -       -
users:view                LA staff, own LA                          -     -   -      -      -       yes
users:view                LA staff, other LA                        -     -   -      -      -       -

users:deactivate          self                                      -     -   -      -      -       -
users:deactivate          staff, own school                         -     yes -      -      -       yes
users:deactivate          DSL, own school                           -     -   -      -      -       yes
users:deactivate          staff, other school same LA               -     -   -      -      -       yes
users:deactivate          staff, other LA                           -     -   -      -      -       -
users:deactivate          LA staff, own LA                          -     -   -      -      -       yes
users:deactivate          LA staff, other LA                        -     -   -      -      -       -

users:reset_2fa           self                                      -     -   -      -      -       -
users:reset_2fa           staff, own school                         -     -   -      -      -       yes
users:reset_2fa           DSL, own school                           -     -   -      -      -       yes
users:reset_2fa           staff, other school same LA               -     -   -      -      -       yes
users:reset_2fa           staff, other LA                           -     -   -      -      -       -
users:reset_2fa           LA staff, own LA                          -     -   -      -      -       yes
users:reset_2fa           LA staff, other LA                        -     -   -      -      -       -

users:invite              area                                      -     yes -      -      -       yes
users:invite              invite staff to own school                -     yes -      -      -       -
users:invite              invite DSL to own school                  -     -   -      -      -       yes
users:invite              invite DSL to other school same LA        -     -   -      -      -       yes
users:invite              invite DSL to school in other LA          -     -   -      -      -       -
users:invite              invite triage worker to own LA            -     -   -      -      -       yes
users:invite              invite triage worker to other LA          -     -   -      -      -       -

users:change_role         make own school's staff a deputy          -     yes -      -      -       yes
users:change_role         make own school's staff a triage worker   -     -   -      -      -       -
users:change_role         make other LA school's staff a deputy     -     -   -      -      -       -
users:change_role         make own LA's staff a manager             -     -   -      -      -       yes
users:change_role         make own LA's staff a school DSL          -     -   -      -      -       -

pupil:view                area                                      -     yes yes    -      -       -
pupil:view                pupil, own school                         -     yes yes    -      -       -
pupil:view                pupil, other school same LA               -     -   -      -      -       -
pupil:view                pupil, other LA                           -     -   -      -      -       -
pupil:view                pupil transferred out of own school       -     yes yes    -      -       -

concerns:review           area                                      -     yes yes    -      -       -
concerns:review           pupil, own school                         -     yes yes    -      -       -
concerns:review           pupil, other school same LA               -     -   -      -      -       -
concerns:review           pupil, other LA                           -     -   -      -      -       -
concerns:review           pupil transferred out of own school       -     yes yes    -      -       -

referrals:manage          area                                      -     yes yes    -      -       -
referrals:manage          pupil, own school                         -     yes yes    -      -       -
referrals:manage          pupil, other school same LA               -     -   -      -      -       -
referrals:manage          pupil, other LA                           -     -   -      -      -       -
referrals:manage          pupil transferred out of own school       -     yes yes    -      -       -

updates:view              area                                      -     yes yes    -      -       -
updates:view              pupil, own school                         -     yes yes    -      -       -
updates:view              pupil, other school same LA               -     -   -      -      -       -
updates:view              pupil, other LA                           -     -   -      -      -       -
updates:view              pupil transferred out of own school       -     yes yes    -      -       -

chronology:view           area                                      -     yes yes    -      -       -
chronology:view           pupil, own school                         -     yes yes    -      -       -
chronology:view           pupil, other school same LA               -     -   -      -      -       -
chronology:view           pupil, other LA                           -     -   -      -      -       -
chronology:view           pupil transferred out of own school       -     yes yes    -      -       -

chronology:export         area                                      -     yes yes    -      -       -
chronology:export         pupil, own school                         -     yes yes    -      -       -
chronology:export         pupil, other school same LA               -     -   -      -      -       -
chronology:export         pupil, other LA                           -     -   -      -      -       -
chronology:export         pupil transferred out of own school       -     yes yes    -      -       -

referrals:work            area                                      -     yes yes    -      -       -
referrals:work            pupil, own school                         -     yes yes    -      -       -
referrals:work            pupil, other school same LA               -     -   -      -      -       -
referrals:work            pupil, other LA                           -     -   -      -      -       -
referrals:work            pupil transferred out of own school       -     yes yes    -      -       -

agency_referrals:manage   area                                      -     -   -      -      -       -
agency_referrals:manage   pupil, own school                         -     -   -      -      -       -
agency_referrals:manage   own LA                                    -     -   -      -      -       -

agency_referrals:oversee  area                                      -     -   -      -      -       -
agency_referrals:oversee  pupil, own school                         -     -   -      -      -       -

agency_referrals:start    area                                      -     -   -      -      -       -
agency_referrals:start    own LA                                    -     -   -      -      -       -
agency_referrals:start    other LA                                  -     -   -      -      -       -

agency_updates:view       area                                      -     -   -      -      -       -
agency_updates:view       pupil, own school                         -     -   -      -      -       -

referrals:start           area                                      -     yes yes    -      -       -
referrals:start           pupil, own school                         -     yes yes    -      -       -
referrals:start           pupil, other school same LA               -     -   -      -      -       -
referrals:start           pupil, other LA                           -     -   -      -      -       -
referrals:start           pupil transferred out of own school       -     -   -      -      -       -

pupils:manage             area                                      -     yes yes    -      -       -
pupils:manage             pupil, own school                         -     yes yes    -      -       -
pupils:manage             pupil, other school same LA               -     -   -      -      -       -
pupils:manage             pupil, other LA                           -     -   -      -      -       -
pupils:manage             pupil transferred out of own school       -     -   -      -      -       -

pupils:pick               area                                      yes   yes yes    -      -       -
pupils:pick               pupil, own school                         yes   yes yes    -      -       -
pupils:pick               pupil, other school same LA               -     -   -      -      -       -
pupils:pick               pupil, other LA                           -     -   -      -      -       -
pupils:pick               pupil transferred out of own school       -     -   -      -      -       -

concern:log               area                                      yes   yes yes    -      -       -
concern:log               pupil, own school                         yes   yes yes    -      -       -
concern:log               pupil, other school same LA               -     -   -      -      -       -
concern:log               pupil, other LA                           -     -   -      -      -       -
concern:log               pupil transferred out of own school       -     -   -      -      -       -

concern:view              area                                      yes   yes yes    -      -       -
concern:view              concern I logged, own school              yes   yes yes    -      -       -
concern:view              concern by another, own school            -     yes yes    -      -       -
concern:view              concern, other school same LA             -     -   -      -      -       -
concern:view              concern, other LA                         -     -   -      -      -       -
concern:view              concern I logged, transferred out         yes   yes yes    -      -       -

concern:correct           area                                      yes   yes yes    -      -       -
concern:correct           concern I logged, own school              yes   yes yes    -      -       -
concern:correct           concern by another, own school            -     yes yes    -      -       -
concern:correct           concern, other school same LA             -     -   -      -      -       -
concern:correct           concern, other LA                         -     -   -      -      -       -
concern:correct           concern I logged, transferred out         -     -   -      -      -       -

triage:work               area                                      -     -   -      yes    yes     -
triage:work               own LA                                    -     -   -      yes    yes     -
triage:work               other LA                                  -     -   -      -      -       -

triage:view_referral      area                                      -     -   -      yes    yes     -
triage:view_referral      own LA                                    -     -   -      yes    yes     -
triage:view_referral      other LA                                  -     -   -      -      -       -

triage:manage             area                                      -     -   -      -      yes     -
triage:manage             own LA                                    -     -   -      -      yes     -
triage:manage             other LA                                  -     -   -      -      -       -

connector:manage          area                                      -     -   -      -      yes     -
connector:manage          own LA                                    -     -   -      -      yes     -
connector:manage          other LA                                  -     -   -      -      -       -

connector:change          area                                      -     -   -      -      yes     yes
connector:change          own LA                                    -     -   -      -      yes     yes
connector:change          other LA                                  -     -   -      -      -       -
connector:change          endpoint change by another, own LA        -     -   -      -      yes     yes
connector:change          endpoint change, other LA                 -     -   -      -      -       -

connector:approve         area                                      -     -   -      -      -       yes
connector:approve         endpoint change by another, own LA        -     -   -      -      -       yes
connector:approve         endpoint change I proposed, own LA        -     -   -      -      -       -
connector:approve         endpoint change, other LA                 -     -   -      -      -       -

dashboard:view            area                                      -     -   -      -      yes     yes
dashboard:view            own LA                                    -     -   -      -      yes     yes
dashboard:view            other LA                                  -     -   -      -      -       -

transfers:manage          area                                      -     yes yes    -      -       -
transfers:manage          own school                                -     yes yes    -      -       -
transfers:manage          other school, same LA                     -     -   -      -      -       -
transfers:manage          school in other LA                        -     -   -      -      -       -

transfers:request         area                                      -     yes yes    -      -       -
transfers:request         own school                                -     yes yes    -      -       -
transfers:request         other school, same LA                     -     -   -      -      -       -
transfers:request         school in other LA                        -     -   -      -      -       -

transfers:send            area                                      -     yes yes    -      -       -
transfers:send            pupil, own school                         -     yes yes    -      -       -
transfers:send            pupil, other school same LA               -     -   -      -      -       -
transfers:send            pupil, other LA                           -     -   -      -      -       -
transfers:send            pupil transferred out of own school       -     yes yes    -      -       -
transfers:send            transfer from own school, not sent        -     yes yes    -      -       -
transfers:send            transfer from own school, sent            -     yes yes    -      -       -
transfers:send            transfer from other school same LA        -     -   -      -      -       -
transfers:send            transfer from other LA                    -     -   -      -      -       -
transfers:send            transfer to own school, not sent          -     -   -      -      -       -
transfers:send            transfer to own school, pending           -     -   -      -      -       -
transfers:send            transfer to own school, viewed            -     -   -      -      -       -
transfers:send            transfer to own school, accepted          -     -   -      -      -       -
transfers:send            transfer to own school, rejected          -     -   -      -      -       -

transfers:receive         area                                      -     yes yes    -      -       -
transfers:receive         transfer from own school, not sent        -     -   -      -      -       -
transfers:receive         transfer from own school, sent            -     -   -      -      -       -
transfers:receive         transfer from other school same LA        -     -   -      -      -       -
transfers:receive         transfer from other LA                    -     -   -      -      -       -
transfers:receive         transfer to own school, not sent          -     -   -      -      -       -
transfers:receive         transfer to own school, pending           -     yes yes    -      -       -
transfers:receive         transfer to own school, viewed            -     yes yes    -      -       -
transfers:receive         transfer to own school, accepted          -     yes yes    -      -       -
transfers:receive         transfer to own school, rejected          -     -   -      -      -       -

transferred_history:view  area                                      -     yes yes    -      -       -
transferred_history:view  transfer from own school, not sent        -     -   -      -      -       -
transferred_history:view  transfer from own school, sent            -     yes yes    -      -       -
transferred_history:view  transfer from other school same LA        -     -   -      -      -       -
transferred_history:view  transfer from other LA                    -     -   -      -      -       -
transferred_history:view  transfer to own school, not sent          -     -   -      -      -       -
transferred_history:view  transfer to own school, pending           -     -   -      -      -       -
transferred_history:view  transfer to own school, viewed            -     -   -      -      -       -
transferred_history:view  transfer to own school, accepted          -     yes yes    -      -       -
transferred_history:view  transfer to own school, rejected          -     -   -      -      -       -

transfer_requests:answer  area                                      -     yes yes    -      -       -
transfer_requests:answer  request to own school                     -     yes yes    -      -       -
transfer_requests:answer  request to other school same LA           -     -   -      -      -       -
transfer_requests:answer  request to school in other LA             -     -   -      -      -       -

cme:send                  area                                      -     yes yes    -      -       -
cme:send                  pupil, own school                         -     yes yes    -      -       -
cme:send                  pupil, other school same LA               -     -   -      -      -       -
cme:send                  pupil, other LA                           -     -   -      -      -       -
cme:send                  pupil transferred out of own school       -     -   -      -      -       -
cme:send                  off-roll notice draft, own school         -     yes yes    -      -       -
cme:send                  off-roll notice draft, other school same LA -   -   -      -      -       -
cme:send                  off-roll notice sent, own school          -     -   -      -      -       -

cme:answer                area                                      -     yes yes    -      -       -
cme:answer                off-roll notice draft, own school         -     -   -      -      -       -
cme:answer                off-roll notice sent, own school          -     yes yes    -      -       -
cme:answer                off-roll notice closed, own school        -     yes yes    -      -       -
cme:answer                off-roll notice sent, other school same LA -    -   -      -      -       -
cme:answer                off-roll notice sent, school in other LA  -     -   -      -      -       -

cme:view_queue            area                                      -     -   -      -      -       -
cme:view_queue            own LA                                    -     -   -      -      -       -
cme:view_queue            off-roll notice sent, own school          -     -   -      -      -       -
cme:work                  area                                      -     -   -      -      -       -
cme:work                  off-roll notice sent, own school          -     -   -      -      -       -

cme:triage_view           area                                      -     -   -      yes    yes     -
cme:triage_view           off-roll notice flagged, own school       -     -   -      yes    yes     -
cme:triage_view           off-roll notice sent, own school          -     -   -      -      -       -
cme:triage_view           off-roll notice flagged, school in other LA -   -   -      -      -       -

retention:hold            area                                      -     yes yes    -      -       yes
retention:hold            own school                                -     yes yes    -      -       yes
retention:hold            other school, same LA                     -     -   -      -      -       yes
retention:hold            school in other LA                        -     -   -      -      -       -

sso:manage                area                                      -     yes -      -      -       yes
sso:manage                own school                                -     yes -      -      -       yes
sso:manage                other school, same LA                     -     -   -      -      -       yes
sso:manage                school in other LA                        -     -   -      -      -       -
sso:manage                own LA                                    -     -   -      -      -       yes
sso:manage                other LA                                  -     -   -      -      -       -

rolls:import              area                                      -     yes yes    -      -       -
rolls:import              own school                                -     yes yes    -      -       -
rolls:import              other school, same LA                     -     -   -      -      -       -
rolls:import              school in other LA                        -     -   -      -      -       -
rolls:import              own LA                                    -     -   -      -      -       -

jobs:result               area                                      -     -   -      -      -       -
jobs:result               job I asked for, own school               yes   yes yes    -      -       -
jobs:result               job another asked for, own school         -     yes yes    -      -       -
jobs:result               job, other school same LA                 -     -   -      -      -       -
jobs:result               job I asked for, own LA                   -     -   -      yes    yes     yes
jobs:result               job another asked for, own LA             -     -   -      -      -       -

encompass:record          area                                      -     -   -      -      -       -
encompass:record          Encompass notice sent by police           -     -   -      -      -       -
encompass:read            area                                      -     yes yes    -      -       -
encompass:read            Encompass notice delivered to own school  -     yes yes    -      -       -
encompass:read            Encompass notice delivered, other school  -     -   -      -      -       -
encompass:read            Encompass notice delivered, other LA      -     -   -      -      -       -
encompass:read            Encompass notice held by own LA           -     -   -      -      -       -
encompass:route           area                                      -     -   -      -      -       -
encompass:route           Encompass notice held by own LA           -     -   -      -      -       -
encompass:route           Encompass notice held by other LA         -     -   -      -      -       -
encompass:register        area                                      -     -   -      -      yes     -
encompass:register        own LA                                    -     -   -      -      yes     -
encompass:register        other LA                                  -     -   -      -      -       -
"""


def _rows():
    header, *lines = [line for line in TABLE.strip().splitlines() if line.strip()]
    roles = [COLUMNS[name] for name in header.split()[2:]]
    rows = []
    for line in lines:
        action, *words = line.split()
        label, answers = " ".join(words[: -len(roles)]), words[-len(roles):]
        assert all(a in ("yes", "-") for a in answers), line
        rows.append((action, label, dict(zip(roles, (a == "yes" for a in answers)))))
    return roles, rows


ROLE_ORDER, ROWS = _rows()


def test_the_table_covers_every_role_and_every_action():
    # The roles of partner agencies, the CME officer and the Encompass key contact have tables of
    # their own (tests/policy/test_policy_new_roles.py).
    assert set(ROLE_ORDER) == set(ROLES)
    assert set(ROLES) | set(NEW_ROLES) == set(Role)
    assert {action for action, _, _ in ROWS} == set(policy.RULES)
    assert all(label in OBJECTS for _, label, _ in ROWS)
    assert len({(action, label) for action, label, _ in ROWS}) == len(ROWS)


def test_every_answer_is_as_the_table_says(app):
    world = build_world()
    wrong = []
    for action, label, expected in ROWS:
        for role, answer in expected.items():
            actor = world.actors[role]
            if policy.can(actor, action, OBJECTS[label](world, actor)) != answer:
                wrong.append(f"{role.value} {action} on {label}: expected {'yes' if answer else 'no'}")
    assert not wrong, "\n".join(wrong)


def test_an_inactive_user_or_an_action_without_a_rule_is_refused(app):
    world = build_world()
    dsl = world.actors[Role.DSL]
    assert policy.can(dsl, "pupil:view", world.pupils["own school"])
    assert not policy.can(dsl, "pupil:fly", world.pupils["own school"])
    assert not policy.can(None, "home:view")
    dsl.active = False
    assert not policy.can(dsl, "home:view")
    assert not policy.can(dsl, "pupil:view", world.pupils["own school"])


@pytest.mark.parametrize("action", ["pupils:manage", "pupils:pick", "concern:log", "referrals:start"])
def test_a_record_transferred_out_reads_its_own_column_not_a_transfer(app, action):
    """The policy asks the record (no transfer exists in this world): the column alone decides."""
    world = build_world()
    dsl, pupil = world.actors[Role.DSL], world.pupils["own school"]
    assert policy.can(dsl, action, pupil)
    pupil.transferred_out_at = world.pupils["transferred out"].transferred_out_at
    assert not policy.can(dsl, action, pupil)
