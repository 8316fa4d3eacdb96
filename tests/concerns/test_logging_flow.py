"""Logging a concern: the question flow, its validation, check your answers and one concern per flow."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.concerns.models import Concern, ConcernDraft, ConcernPupil
from portal.db import db
from portal.templating import UK
from tests.factories import CONCERN_PUPIL, make_pupil, school_with_people
from tests.concerns.flowing import log_simple_concern, submit_token, when_fields
from tests.signing_in import sign_in


TYPED = {"query", "occurred_time", "location", "other_category", "account", "action_taken", "people_informed", "other_query"}


def concerns_count() -> int:
    return db.session.execute(select(func.count()).select_from(Concern)).scalar_one()


def test_staff_logs_a_simple_concern_quickly_and_sees_the_confirmation(client):
    s = school_with_people()
    sign_in(client, s.staff)
    started = time.perf_counter()
    page = log_simple_concern(client, s.pupil, account="She said “my tummy hurts, there was no tea”")
    assert page.status_code == 200
    assert "Check your answers before logging this concern" in page.text
    assert "my tummy hurts, there was no tea" in page.text
    assert "Zephyrine Quillfeather" in page.text
    done = client.post("/concerns/new/submit", data={"token": submit_token(page.text)})
    confirmation = client.get(done.headers["Location"])
    elapsed = time.perf_counter() - started
    assert "Concern logged" in confirmation.text and "govuk-panel" in confirmation.text
    concern = db.session.execute(select(Concern)).scalar_one()
    assert concern.logged_by_id == s.staff.id and concern.pupil_id == s.pupil.id
    assert concern.latest.content["account"] == "She said “my tummy hurts, there was no tea”"
    assert concern.latest.content["categories"] == ["neglect"]
    assert concern.status == "awaiting_review" and not concern.urgent
    assert [link.role for link in concern.pupils] == ["subject"]
    # The draft is gone once the concern is made.
    assert db.session.execute(select(ConcernDraft)).first() is None
    # Seven page loads for a simple concern; the server's part of it takes well under a second.
    assert elapsed < 5


def test_pupil_is_found_by_upn(client):
    s = school_with_people()
    pupil = make_pupil(s.school, **(CONCERN_PUPIL | {"forename": "Barnaby", "surname": "Oakes"}), upn="B801200005001")
    sign_in(client, s.staff)
    page = client.post("/concerns/new/pupil", data={"action": "search", "query": "b801200005001"})
    assert "Barnaby Oakes" in page.text
    assert "Zephyrine" not in page.text


def test_pupil_search_finds_only_this_schools_pupils(client):
    s = school_with_people()
    elsewhere = school_with_people()
    make_pupil(elsewhere.school, **(CONCERN_PUPIL | {"surname": "Elsewhere"}))
    sign_in(client, s.staff)
    page = client.post("/concerns/new/pupil", data={"action": "search", "query": "zeph"})
    assert "Quillfeather" in page.text and "Elsewhere" not in page.text
    # And another school's pupil cannot be chosen by posting its id.
    page = client.post("/concerns/new/pupil", data={"action": "continue", "pupil_id": str(elsewhere.pupil.id)})
    assert "Select the pupil the concern is about" in page.text


@pytest.mark.parametrize(
    "url, data, message",
    [
        ("/concerns/new/pupil", {"action": "continue"}, "Select the pupil the concern is about"),
        ("/concerns/new/pupil", {"action": "search", "query": ""}, "Enter the pupil’s name or UPN"),
        ("/concerns/new/pupil", {"action": "search", "query": "Nobodyhere"}, "No pupils at your school match that name or UPN"),
        ("/concerns/new/when-and-where", {**when_fields(), "occurred_date": ["", "", ""]}, "Enter the date it happened"),
        ("/concerns/new/when-and-where", {**when_fields(), "occurred_date": ["31", "2", "2025"]}, "Date it happened must be a real date"),
        ("/concerns/new/when-and-where", {**when_fields(), "occurred_date": ["3", "", "2025"]}, "Date it happened must include a month"),
        ("/concerns/new/when-and-where", {**when_fields(), "occurred_time": ""}, "Enter the time it happened"),
        ("/concerns/new/when-and-where", {**when_fields(), "occurred_time": "25:70"}, "Enter a real time, like 9:15am or 14:30"),
        ("/concerns/new/when-and-where", {**when_fields(), "location": ""}, "Enter where it happened"),
        ("/concerns/new/when-and-where", {**when_fields(), "location": "x" * 201}, "Where it happened must be 200 characters or fewer"),
        ("/concerns/new/when-and-where", when_fields(datetime.now(UK) + timedelta(days=1)), "Date and time it happened must be in the past"),
        ("/concerns/new/when-and-where", {**when_fields(), "occurred_date": ["1", "1", "1999"]}, "Date it happened must be after 1 January 2000"),
        ("/concerns/new/categories", {}, "Select what the concern is about"),
        ("/concerns/new/categories", {"categories": ["made_up"]}, "Select what the concern is about from the list"),
        ("/concerns/new/categories", {"categories": ["other"]}, "Enter what the other concern is about"),
        ("/concerns/new/categories", {"categories": ["other"], "other_category": "y" * 201}, "Other must be 200 characters or fewer"),
        ("/concerns/new/what-happened", {"action_taken": "Listened"}, "Enter what you saw or heard"),
        ("/concerns/new/what-happened", {"account": "z" * 20001, "action_taken": "Listened"}, "What you saw or heard must be 20000 characters or fewer"),
        ("/concerns/new/what-happened", {"account": "She cried"}, "Enter what you did"),
        ("/concerns/new/what-happened", {"account": "She cried", "action_taken": "a" * 20001}, "What you did must be 20000 characters or fewer"),
        ("/concerns/new/what-happened", {"account": "She cried", "action_taken": "Listened", "people_informed": "p" * 20001}, "Who you told must be 20000 characters or fewer"),
        ("/concerns/new/anything-else", {}, "Select yes if this concern is urgent"),
        ("/concerns/new/anything-else", {"urgent": "maybe"}, "Select yes if this concern is urgent"),
        ("/concerns/new/body-map", {}, "Select where you saw marks or injuries"),
        ("/concerns/new/body-map", {"body_regions": ["front_chest"]}, "Describe what you saw on the chest"),
        ("/concerns/new/body-map", {"body_regions": ["tail"]}, "Select where you saw marks or injuries from the list"),
        ("/concerns/new/body-map", {"body_regions": ["back_lower"], "note_back_lower": "n" * 1001}, "Description must be 1000 characters or fewer"),
        ("/concerns/new/other-pupils", {"action": "add", "other_role": "witness"}, "Select the other pupil"),
        ("/concerns/new/other-pupils", {"action": "search", "other_query": ""}, "Enter the other pupil’s name or UPN"),
        ("/concerns/new/attachments", {"action": "upload"}, "Select a file to upload"),
    ],
)
def test_every_bad_answer_is_explained_and_what_was_typed_is_kept(client, url, data, message):
    s = school_with_people()
    sign_in(client, s.staff)
    page = client.post(url, data=data)
    assert page.status_code == 200
    assert "govuk-error-summary" in page.text or "govuk-error-message" in page.text
    assert message in page.text
    for name, value in data.items():
        if (name in TYPED or name.startswith("note_")) and value and len(value) < 300:
            assert value in page.text


def test_other_pupil_needs_a_role(client):
    s = school_with_people()
    friend = make_pupil(s.school, **(CONCERN_PUPIL | {"forename": "Kit", "surname": "Marlowe"}))
    sign_in(client, s.staff)
    client.post("/concerns/new/pupil", data={"action": "continue", "pupil_id": str(s.pupil.id)})
    page = client.post("/concerns/new/other-pupils", data={"action": "add", "other_pupil_id": str(friend.id)})
    assert "Select the other pupil’s part in what happened" in page.text
    page = client.post("/concerns/new/other-pupils", data={"action": "add", "other_pupil_id": str(s.pupil.id), "other_role": "witness"})
    assert "This pupil is already part of this concern" in page.text


def test_a_concern_with_other_pupils_body_map_and_attachments(client):
    s = school_with_people()
    victim = make_pupil(s.school, **(CONCERN_PUPIL | {"forename": "Kit", "surname": "Marlowe"}))
    witness = make_pupil(s.school, **(CONCERN_PUPIL | {"forename": "Ada", "surname": "Byron"}))
    sign_in(client, s.staff)
    log_simple_concern(client, s.pupil, extras=["others", "body_map", "attachments"])
    page = client.get("/concerns/new/anything-else")
    nxt = client.post("/concerns/new/anything-else", data={"urgent": "yes", "extras": ["others", "body_map", "attachments"]})
    assert nxt.headers["Location"].endswith("/concerns/new/other-pupils")
    page = client.post("/concerns/new/other-pupils", data={"action": "search", "other_query": "marl"})
    assert "Kit Marlowe" in page.text
    client.post("/concerns/new/other-pupils", data={"action": "add", "other_pupil_id": str(victim.id), "other_role": "alleged_victim"})
    # Choosing a pupil and a role then pressing Continue adds them too.
    nxt = client.post("/concerns/new/other-pupils", data={"action": "continue", "other_pupil_id": str(witness.id), "other_role": "witness"})
    assert nxt.headers["Location"].endswith("/concerns/new/body-map")
    nxt = client.post("/concerns/new/body-map", data={"body_regions": ["front_left_arm", "back_upper"],
                                                      "note_front_left_arm": "Four small round bruises",
                                                      "note_back_upper": "Red mark about 5cm long"})
    assert nxt.headers["Location"].endswith("/concerns/new/attachments")
    from io import BytesIO

    nxt = client.post("/concerns/new/attachments", data={"action": "upload", "files": [
        (BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), "note.pdf"),
        (BytesIO(b"What she drew at break time\n"), "drawing-notes.txt"),
    ]}, content_type="multipart/form-data")
    assert nxt.status_code == 302
    nxt = client.post("/concerns/new/attachments", data={"action": "continue"})
    assert nxt.headers["Location"].endswith("/concerns/new/check")
    page = client.get("/concerns/new/check")
    assert "Kit Marlowe – Alleged victim" in page.text and "Ada Byron – Witness" in page.text
    assert "Four small round bruises" in page.text and "note.pdf" in page.text
    client.post("/concerns/new/submit", data={"token": submit_token(page.text)})
    concern = db.session.execute(select(Concern)).scalar_one()
    assert concern.urgent
    roles = {link.pupil_id: link.role for link in db.session.execute(select(ConcernPupil)).scalars()}
    assert roles == {s.pupil.id: "subject", victim.id: "alleged_victim", witness.id: "witness"}
    assert {m["region"] for m in concern.latest.content["body_map"]} == {"front_left_arm", "back_upper"}
    assert len(concern.attachments) == 2


def test_double_submission_makes_one_concern(client):
    s = school_with_people()
    sign_in(client, s.staff)
    page = log_simple_concern(client, s.pupil)
    token = submit_token(page.text)
    first = client.post("/concerns/new/submit", data={"token": token})
    again = client.post("/concerns/new/submit", data={"token": token})  # double click / retry
    assert first.headers["Location"] == again.headers["Location"]
    back = client.get("/concerns/new/check")  # the back button, then submit once more
    assert back.status_code in (200, 302)
    client.post("/concerns/new/submit", data={"token": token})
    assert concerns_count() == 1


def test_a_backdated_concern_keeps_when_it_happened(client):
    s = school_with_people()
    sign_in(client, s.staff)
    moment = datetime(2025, 11, 3, 9, 15, tzinfo=UK)
    page = log_simple_concern(client, s.pupil, moment=moment)
    assert "3 November 2025 at 9:15am" in page.text
    client.post("/concerns/new/submit", data={"token": submit_token(page.text)})
    concern = db.session.execute(select(Concern)).scalar_one()
    assert concern.occurred_at == moment.astimezone(concern.occurred_at.tzinfo)


def test_check_answers_sends_back_to_an_unanswered_page(client):
    s = school_with_people()
    sign_in(client, s.staff)
    client.post("/concerns/new/pupil", data={"action": "continue", "pupil_id": str(s.pupil.id)})
    client.post("/concerns/new/when-and-where", data=when_fields())
    response = client.get("/concerns/new/check")
    assert response.status_code == 302 and "/concerns/new/categories" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "Select what the concern is about" in page.text


def test_change_link_returns_to_check_answers(client):
    s = school_with_people()
    sign_in(client, s.staff)
    log_simple_concern(client, s.pupil)
    back = client.post("/concerns/new/what-happened?next=check", data={"account": "Changed words", "action_taken": "Told the DSL"})
    assert back.headers["Location"].endswith("/concerns/new/check")
    assert "Changed words" in client.get("/concerns/new/check").text


def test_start_again_discards_the_draft(client):
    s = school_with_people()
    sign_in(client, s.staff)
    log_simple_concern(client, s.pupil)
    client.post("/concerns/new/start-again")
    page = client.get("/concerns/new/what-happened")
    assert "She said she had not eaten" not in page.text


def test_two_submits_racing_make_one_concern(app, client):
    import threading

    from flask_login import login_user

    from portal.auth.models import User
    from portal.concerns import drafts, forms, service

    if db.engine.dialect.name != "postgresql":
        pytest.skip("two connections submitting at the same moment need PostgreSQL's locks")
    s = school_with_people()
    sign_in(client, s.staff)
    log_simple_concern(client, s.pupil)
    draft = db.session.execute(select(ConcernDraft)).scalar_one()
    token, user_id = drafts.token(draft), s.staff.id
    db.session.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            with app.test_request_context():
                user = db.session.get(User, user_id)
                login_user(user)
                mine = drafts.draft_for(user, create=False)
                answers = forms.answers(user, mine)
                barrier.wait(timeout=10)
                concern, created = service.submit(user, mine, token, answers)
                results.append((concern.id, created))
                db.session.remove()
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert len({concern_id for concern_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]
    db.session.expire_all()
    assert concerns_count() == 1
