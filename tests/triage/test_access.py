"""Who may reach triage: the LA's triage workers and managers only, and only their own LA's referrals."""

import uuid

import pytest

from tests.signing_in import sign_in
from tests.factories import council, submitted_referral

REFERRAL_GETS = [
    "/triage/referrals/{id}",
    "/triage/referrals/{id}/decision",
    "/triage/referrals/{id}/updates/new",
    "/triage/referrals/{id}/attachments/" + str(uuid.uuid4()),
]
REFERRAL_POSTS = [
    "/triage/referrals/{id}/notes",
    "/triage/referrals/{id}/rag",
    "/triage/referrals/{id}/assign",
    "/triage/referrals/{id}/decision",
    "/triage/referrals/{id}/updates/new",
]
AREA_GETS = ["/triage", "/triage/reports", "/triage/reports.csv", "/triage/sharing-policy"]


@pytest.fixture
def north(app):
    return council()


@pytest.mark.parametrize("who", ["dsl", "staff", "admin"])
def test_school_users_and_la_admins_are_refused_every_triage_page(client, north, who):
    referral = submitted_referral(north)
    sign_in(client, getattr(north, who))
    for url in AREA_GETS + [u.format(id=referral.id) for u in REFERRAL_GETS]:
        assert client.get(url).status_code == 403, url
    for url in [u.format(id=referral.id) for u in REFERRAL_POSTS] + ["/triage/sharing-policy"]:
        assert client.post(url, data={"text": "x", "rag": "red"}).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(client, north):
    response = client.get("/triage")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_another_councils_triage_worker_cannot_see_or_touch_the_referral(client, north):
    referral = submitted_referral(north)
    south = council(code="939", name="Southmoor")
    for user in (south.worker, south.manager):
        sign_in(client, user)
        for url in [u.format(id=referral.id) for u in REFERRAL_GETS]:
            assert client.get(url).status_code == 404, url
        for url in [u.format(id=referral.id) for u in REFERRAL_POSTS]:
            # A worker may not assign anything anywhere (403); otherwise the record is "not found".
            expected = 403 if user is south.worker and url.endswith("/assign") else 404
            assert client.post(url, data={"text": "x", "rag": "red", "outcome": "early_help"}).status_code == expected, url
        queue = client.get("/triage?status=all")
        assert queue.status_code == 200
        assert referral.reference not in queue.get_data(as_text=True)


def test_a_draft_referral_is_not_in_any_queue(client, north):
    referral = submitted_referral(north, receive=False)
    sign_in(client, north.worker)
    assert client.get(f"/triage/referrals/{referral.id}").status_code == 404


def test_workers_are_refused_manager_pages(client, north):
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    for url in ("/triage/reports", "/triage/reports.csv", "/triage/sharing-policy"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/triage/referrals/{referral.id}/assign", data={"assignee": str(north.worker.id)}).status_code == 403


def test_managers_reach_every_manager_page(client, north):
    sign_in(client, north.manager)
    for url in AREA_GETS:
        assert client.get(url).status_code == 200, url
