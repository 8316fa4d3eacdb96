"""Who may reach each off-roll notice page: the school's DSLs and deputies write and follow their
school's notices; the council's CME officer works its LA's; another school, another council and
every other role are refused (404 for a record they may not see, 403 for an area they have none
in). Also the CME officer's table of the actions of other areas (none of them) and their home."""

from __future__ import annotations

import pytest

from portal import policy
from portal.auth.roles import Role
from tests.cme.helpers import notice_of, send_notice, write_notice
from tests.factories import make_user


def _routes(world, notice, question_id):
    """(method, url, data) of every off-roll page, for one sent notice."""
    n, p = notice.id, world.pupil.id
    return {
        "school": [
            ("get", f"/cme/pupils/{p}/off-roll-notice", None),
            ("get", "/cme/notices", None),
            ("get", f"/cme/notices/{n}", None),
            ("get", f"/cme/notices/{n}/sent", None),
            ("post", f"/cme/notices/{n}/questions/{question_id}", {f"q{question_id.hex}-answer": "x"}),
        ],
        "officer": [
            ("get", "/cme/queue", None),
            ("get", f"/cme/queue/{n}", None),
            ("post", f"/cme/queue/{n}/status", {"status": "found"}),
            ("post", f"/cme/queue/{n}/question", {"question": "x"}),
            ("get", f"/cme/queue/{n}/close", None),
            ("post", f"/cme/queue/{n}/close", {"outcome": "died"}),
        ],
    }


def _call(client, method, url, data):
    return client.get(url) if method == "get" else client.post(url, data=data or {})


AREA_URLS = ("/cme/notices", "/cme/queue")


@pytest.fixture
def sent(world):
    notice = send_notice(world.client(world.oak_dsl), world.pupil)
    officer = world.client(world.officer)
    assert officer.post(f"/cme/queue/{notice.id}/question", data={"question": "Where?"}).status_code == 302
    notice = notice_of(world.pupil)
    return notice, notice.questions[0].id


def test_the_school_pages_answer_oakfields_leads_only(world, sent):
    notice, question_id = sent
    school = _routes(world, notice, question_id)["school"]
    for user in (world.oak_dsl, world.oak_deputy):
        for method, url, data in school[:4]:
            assert _call(world.client(user), method, url, data).status_code == 200, (user.role, url)
    for user, expected in ((world.river_dsl, 404), (world.hill_dsl, 404)):
        for method, url, data in school:
            if url == "/cme/notices":
                continue  # their own (empty) list
            assert _call(world.client(user), method, url, data).status_code == expected, (user.role, url)
    for user in (world.oak_staff, world.officer, world.south_officer, world.worker, world.manager, world.admin):
        for method, url, data in school:
            assert _call(world.client(user), method, url, data).status_code == 403, (user.role, url)
    assert notice_of(world.pupil).questions[0].answered_at is None


def test_the_officer_pages_answer_northshires_cme_officer_only(world, sent):
    notice, question_id = sent
    officer_routes = _routes(world, notice, question_id)["officer"]
    south = world.client(world.south_officer)
    for method, url, data in officer_routes:
        if url == "/cme/queue":
            assert "Ashdown" not in south.get(url).get_data(as_text=True)
            continue
        assert _call(south, method, url, data).status_code == 404, url
    for user in (world.oak_dsl, world.oak_deputy, world.oak_staff, world.river_dsl, world.worker, world.manager,
                 world.admin):
        for method, url, data in officer_routes:
            assert _call(world.client(user), method, url, data).status_code == 403, (user.role, url)
    other_la_roles = [make_user(Role.ENCOMPASS_KEY_CONTACT, world.northshire, password_hash="x")]
    for user in other_la_roles:
        for url in AREA_URLS:
            assert world.client(user).get(url).status_code == 403
    fresh = notice_of(world.pupil)
    assert fresh.status == "received" and len(fresh.questions) == 1


def test_a_draft_is_the_schools_alone(world):
    notice = write_notice(world.client(world.oak_dsl), world.pupil)
    for step in ("grounds", "last-day", "destination", "enquiries", "check"):
        url = f"/cme/notices/{notice.id}/{step}"
        assert world.client(world.oak_deputy).get(url).status_code == 200
        assert world.client(world.river_dsl).get(url).status_code == 404
        assert world.client(world.oak_staff).get(url).status_code == 403
        assert world.client(world.officer).get(url).status_code == 403
    assert world.client(world.officer).get(f"/cme/queue/{notice.id}").status_code == 404
    assert world.client(world.oak_dsl).get(f"/cme/notices/{notice.id}").status_code == 404
    assert world.client(world.oak_dsl).get(f"/cme/notices/{notice.id}/nowhere").status_code == 404


def test_a_pupil_of_another_school_or_transferred_out_cannot_be_noticed(world):
    from portal.db import db, utcnow

    river_pupil_url = f"/cme/pupils/{world.pupil.id}/off-roll-notice"
    assert world.client(world.river_dsl).get(river_pupil_url).status_code == 404
    assert world.client(world.river_dsl).post(river_pupil_url, data={}).status_code == 404
    world.pupil.transferred_out_at = utcnow()
    db.session.commit()
    assert world.client(world.oak_dsl).get(river_pupil_url).status_code == 404
    assert world.client(world.oak_dsl).get("/cme/pupils/not-a-uuid/off-roll-notice").status_code == 404


# The CME officer's column, for the actions of the other areas' notices (the policy table has the
# six earlier roles): only their own LA's sent notices.
def test_the_cme_officer_policy(world, sent):
    notice, _ = sent
    officer, south = world.officer, world.south_officer
    assert policy.can(officer, "cme:view_queue") and policy.can(officer, "cme:work", notice)
    assert policy.can(officer, "cme:view_queue", world.northshire)
    assert not policy.can(officer, "cme:view_queue", world.southmoor)
    assert not policy.can(south, "cme:work", notice) and not policy.can(south, "cme:view_queue", notice)
    for action in ("cme:send", "cme:answer", "cme:triage_view"):
        assert not policy.can(officer, action) and not policy.can(officer, action, notice)
    assert not policy.can(officer, "cme:send", world.pupil)
    for role in (Role.ENCOMPASS_KEY_CONTACT,):
        other = make_user(role, world.northshire)
        assert not any(policy.can(other, a, notice) for a in ("cme:view_queue", "cme:work", "cme:triage_view"))


def test_the_la_admin_may_invite_a_cme_officer_and_the_officer_gets_a_home_with_their_queue(world):
    admin = world.client(world.admin)
    page = admin.get("/admin/users/invite").get_data(as_text=True)
    assert "Children missing education officer" in page
    home = world.client(world.officer).get("/home").get_data(as_text=True)
    assert 'id="cme-panel"' in home and "Off-roll notices (children missing education)" in home
    assert "Referrals queue" not in home
    # A DSL's home links to the school's notices.
    assert "/cme/notices" in world.client(world.oak_dsl).get("/home").get_data(as_text=True)


def test_partner_agencies_and_the_encompass_key_contact_reach_no_off_roll_page(world, sent):
    from portal.orgs.models import AgencyKind
    from tests.factories import agency_user, make_agency

    notice, question_id = sent
    police = make_agency(world.northshire, kind=AgencyKind.POLICE_FORCE)
    people = [agency_user(police, role, password_hash="x")
              for role in (Role.AGENCY_PROFESSIONAL, Role.AGENCY_LEAD, Role.ENCOMPASS_NOTIFIER)]
    people.append(make_user(Role.ENCOMPASS_KEY_CONTACT, world.northshire, password_hash="x"))
    routes = _routes(world, notice, question_id)
    for user in people:
        client = world.client(user)
        for method, url, data in routes["school"] + routes["officer"]:
            assert _call(client, method, url, data).status_code == 403, (user.role, url)
    assert notice_of(world.pupil).status == "received"
