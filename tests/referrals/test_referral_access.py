"""Only the school's own DSLs and deputies reach its referrals: others get 404 (another school) or
403 (staff, LA users), for every page and every form."""

from __future__ import annotations

import pytest

from portal.auth.roles import Role
from portal.db import db
from portal.referrals import service as referrals
from tests.factories import make_referral, make_reviewed_concern, make_user, referring_school
from tests.signing_in import sign_in

PAGES = ["", "/task-list", "/immediate-risk", "/immediate-risk/call-now", "/child", "/household", "/household/add",
         "/household/{m}/change", "/household/{m}/remove", "/referrer", "/reasons", "/consent", "/childs-voice",
         "/agencies", "/level-of-need", "/check-answers", "/confirmation"]
FORMS = ["/immediate-risk", "/child", "/household", "/household/add", "/household/{m}/change",
         "/household/{m}/remove", "/referrer", "/reasons", "/consent", "/childs-voice", "/agencies",
         "/level-of-need", "/check-answers"]


@pytest.fixture
def world(app):
    ours = referring_school()
    theirs = referring_school(ours.la)
    concern = make_reviewed_concern(ours.pupil, ours.staff)
    referral = make_referral(ours, complete=True, concerns=[concern])
    member = referrals.household_members(referral)[0]["id"]
    return ours, theirs, concern, referral, member


def _urls(referral, member, paths):
    return [f"/referrals/{referral.id}{p.format(m=member)}" for p in paths]


def test_the_schools_deputy_reaches_every_page(client, world):
    ours, _, concern, referral, member = world
    sign_in(client, ours.deputy)
    for url in _urls(referral, member, PAGES) + [f"/referrals/new?pupil={ours.pupil.id}&concern={concern.id}", "/referrals"]:
        assert client.get(url).status_code in (200, 302), url


def test_another_schools_dsl_gets_not_found_for_every_referral_url(client, world):
    ours, theirs, concern, referral, member = world
    before = referral.form
    sign_in(client, theirs.dsl)
    for url in _urls(referral, member, PAGES):
        assert client.get(url).status_code == 404, url
    for url in _urls(referral, member, FORMS):
        assert client.post(url, data={"immediate_risk": "yes", "complete": "yes"}).status_code == 404, url
    assert client.get(f"/referrals/new?pupil={ours.pupil.id}").status_code == 404
    assert client.post(f"/referrals/new?pupil={ours.pupil.id}", data={}).status_code == 404
    # Their own pupil with our concern: still not found.
    assert client.get(f"/referrals/new?pupil={theirs.pupil.id}&concern={concern.id}").status_code == 404
    # Their list does not show our referral.
    assert str(referral.id) not in client.get("/referrals").get_data(as_text=True)
    db.session.expire_all()
    assert referral.form == before and referral.status == "draft"


def test_another_schools_dsl_cannot_link_our_concern_to_their_referral(client, world):
    ours, theirs, concern, _, _ = world
    their_referral = make_referral(theirs)
    sign_in(client, theirs.dsl)
    response = client.post(f"/referrals/{their_referral.id}/reasons",
                           data={"summary": "x", "categories": ["neglect"], "concerns": [str(concern.id)]})
    assert response.status_code == 200  # not one of the choices: re-shown, nothing linked
    db.session.expire_all()
    assert their_referral.concerns == []


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER, Role.LA_ADMIN])
def test_staff_and_la_users_are_refused(client, world, role):
    ours, _, _, referral, member = world
    user = make_user(role, ours.school if role == Role.SCHOOL_STAFF else ours.la)
    sign_in(client, user)
    assert client.get("/referrals").status_code == 403
    assert client.get(f"/referrals/new?pupil={ours.pupil.id}").status_code == 403
    for url in _urls(referral, member, PAGES):
        assert client.get(url).status_code == 403, url
    for url in _urls(referral, member, FORMS):
        assert client.post(url, data={"immediate_risk": "yes"}).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    _, _, _, referral, _ = world
    response = client.get(f"/referrals/{referral.id}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_malformed_ids_are_not_found(client, world):
    ours, *_ = world
    sign_in(client, ours.dsl)
    assert client.get("/referrals/new?pupil=not-a-uuid").status_code == 404
    assert client.get("/referrals/new").status_code == 404
    assert client.get(f"/referrals/new?pupil={ours.pupil.id}&concern=zzz").status_code == 404
