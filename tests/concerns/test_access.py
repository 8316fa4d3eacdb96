"""Who may see what: staff see their own concerns, DSLs their school's, nobody else anything."""

from __future__ import annotations

from io import BytesIO

import pytest

from portal.auth.roles import Role
from portal.concerns.models import ConcernAttachment
from portal.db import db
from portal.files import store_upload
from tests.factories import make_concern_as_logged, make_user, school_with_people
from tests.signing_in import sign_in


def with_attachment(concern, user):
    stored = store_upload(BytesIO(b"Notes typed up after break\n"), filename="notes.txt", uploaded_by=user)
    db.session.flush()
    attachment = ConcernAttachment(concern_id=concern.id, stored_file_id=stored.id, added_by_id=user.id)
    db.session.add(attachment)
    db.session.commit()
    return attachment


def concern_urls(concern, attachment):
    return [
        ("get", f"/concerns/{concern.id}"),
        ("get", f"/concerns/{concern.id}/logged"),
        ("get", f"/concerns/{concern.id}/attachments/{attachment.id}"),
        ("get", f"/concerns/{concern.id}/correct"),
        ("post", f"/concerns/{concern.id}/correct"),
        ("post", f"/concerns/{concern.id}/correct/autosave"),
        ("get", f"/concerns/{concern.id}/review"),
        ("post", f"/concerns/{concern.id}/review"),
    ]


def request(client, method, url):
    if method == "get":
        return client.get(url)
    if url.endswith("autosave"):
        return client.post(url, json={"step": "correct", "fields": {"account": "x"}}, headers={"X-CSRFToken": client.csrf_token()})
    return client.post(url, data={"outcome": "monitor", "reasons": "x", "change_reason": "x"})


@pytest.fixture
def setup(app):
    s = school_with_people()
    concern = make_concern_as_logged(s.school, s.pupil, s.staff)
    attachment = with_attachment(concern, s.staff)
    return s, concern, attachment


def test_another_schools_dsl_gets_404_for_every_concern_and_attachment_url(client, setup):
    s, concern, attachment = setup
    other = school_with_people(la=s.school.local_authority)
    for user in (other.dsl, other.deputy):
        sign_in(client, user)
        for method, url in concern_urls(concern, attachment):
            response = request(client, method, url)
            assert response.status_code == 404, (user.role, method, url, response.status_code)
    # Their staff may not review at all (403); every concern URL they may reach answers 404.
    sign_in(client, other.staff)
    for method, url in concern_urls(concern, attachment):
        response = request(client, method, url)
        assert response.status_code == (403 if url.endswith("/review") else 404), (method, url)


def test_staff_cannot_see_concerns_logged_by_others(client, setup):
    s, concern, attachment = setup
    sign_in(client, s.other_staff)
    for method, url in concern_urls(concern, attachment):
        response = request(client, method, url)
        assert response.status_code == (403 if url.endswith("/review") else 404), (method, url)
    listing = client.get("/concerns")
    assert "Quillfeather" not in listing.text and "You have not logged any concerns" in listing.text


def test_staff_see_their_own_concern_but_not_its_review(client, setup):
    s, concern, attachment = setup
    sign_in(client, s.staff)
    assert client.get(f"/concerns/{concern.id}").status_code == 200
    assert client.get(f"/concerns/{concern.id}/attachments/{attachment.id}").status_code == 200
    assert client.get(f"/concerns/{concern.id}/review").status_code == 403
    assert client.get("/concerns/review").status_code == 403
    assert "Zephyrine Quillfeather" in client.get("/concerns").text


def test_dsl_and_deputy_see_every_concern_of_their_school(client, setup):
    s, concern, attachment = setup
    for user in (s.dsl, s.deputy):
        sign_in(client, user)
        assert client.get(f"/concerns/{concern.id}").status_code == 200
        assert client.get(f"/concerns/{concern.id}/review").status_code == 200
        assert "Zephyrine Quillfeather" in client.get("/concerns").text


@pytest.mark.parametrize("role", [Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER, Role.LA_ADMIN])
def test_la_users_are_refused_every_concern_page(client, setup, role):
    s, concern, attachment = setup
    sign_in(client, make_user(role, s.school.local_authority))
    for method, url in concern_urls(concern, attachment) + [
        ("get", "/concerns"), ("get", "/concerns/new"), ("get", "/concerns/new/pupil"), ("get", "/concerns/new/check"),
        ("get", "/concerns/review"), ("post", "/concerns/new/submit"),
    ]:
        response = request(client, method, url)
        assert response.status_code in (403, 404), (method, url, response.status_code)


def test_signed_out_users_are_sent_to_sign_in(client, setup):
    s, concern, attachment = setup
    for url in (f"/concerns/{concern.id}", "/concerns/new/pupil", "/concerns/review", "/concerns"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.post("/concerns/new/autosave", json={"step": "what", "fields": {}},
                       headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"}).status_code == 401
