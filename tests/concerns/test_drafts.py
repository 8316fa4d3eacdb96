"""Nothing typed is lost: drafts saved at every step and as the user types, kept through an
expired session or an expired CSRF token, and autosave never keeps an idle session alive."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import g
from sqlalchemy import select

from portal.auth import wall_clock as auth_clock
from portal.concerns import drafts
from portal.concerns.models import ConcernDraft
from portal.db import db
from tests.factories import make_concern_as_logged, school_with_people
from tests.concerns.flowing import log_simple_concern, when_fields
from tests.signing_in import sign_in

LONG_ACCOUNT = "At lunch he said: “Dad hit me with the belt again and I’m not allowed to tell.” " * 20


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch, app):
    fake = Clock()
    monkeypatch.setattr(auth_clock, "now", fake)
    return fake


def autosave(client, step, fields, url="/concerns/new/autosave"):
    return client.post(url, json={"step": step, "fields": fields},
                       headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"})


def the_draft(user) -> ConcernDraft:
    db.session.expire_all()
    return db.session.execute(select(ConcernDraft).where(ConcernDraft.user_id == user.id)).scalar_one()


def test_every_step_is_saved_even_when_it_has_errors(client):
    s = school_with_people()
    sign_in(client, s.staff)
    client.post("/concerns/new/what-happened", data={"account": LONG_ACCOUNT})  # no action taken: an error
    assert drafts.fields(the_draft(s.staff))["account"] == LONG_ACCOUNT
    page = client.get("/concerns/new/what-happened")
    assert "Dad hit me with the belt again" in page.text


def test_autosave_keeps_what_is_typed_encrypted(client):
    s = school_with_people()
    sign_in(client, s.staff)
    response = autosave(client, "what", {"account": [LONG_ACCOUNT], "action_taken": ["Listened"]})
    assert response.status_code == 200 and response.json == {"saved": True}
    assert drafts.fields(the_draft(s.staff))["account"] == LONG_ACCOUNT
    raw = db.session.execute(select(ConcernDraft.__table__.c.data)).scalar_one()
    assert "belt" not in raw and raw.startswith("v1:")
    # Only the step's own fields are kept.
    autosave(client, "what", {"pupil_id": ["anything"], "account": ["Updated"]})
    assert "pupil_id" not in drafts.fields(the_draft(s.staff))


def test_autosave_needs_the_csrf_token(client):
    s = school_with_people()
    sign_in(client, s.staff)
    response = client.post("/concerns/new/autosave", json={"step": "what", "fields": {"account": ["x"]}})
    assert response.status_code == 400
    assert db.session.execute(select(ConcernDraft)).first() is None


def test_autosave_refuses_nonsense(client):
    s = school_with_people()
    sign_in(client, s.staff)
    assert autosave(client, "nonsense", {"account": ["x"]}).status_code == 400
    assert autosave(client, "correct", {"account": ["x"]}).status_code == 400


def test_autosave_is_not_activity_for_the_idle_timeout(client, clock):
    s = school_with_people()
    sign_in(client, s.staff)
    clock.advance(minutes=20)
    assert autosave(client, "what", {"account": ["typing"]}).status_code == 200
    clock.advance(minutes=11)  # 31 minutes after the last page the user asked for
    response = client.get("/concerns/new/what-happened")
    assert response.status_code == 302 and "/timed-out" in response.headers["Location"]


def test_a_page_the_user_asks_for_is_activity(client, clock):
    s = school_with_people()
    sign_in(client, s.staff)
    clock.advance(minutes=20)
    client.get("/concerns/new/what-happened")
    clock.advance(minutes=11)
    assert client.get("/concerns/new/what-happened").status_code == 200


def test_a_step_posted_after_the_session_expired_is_kept_for_after_sign_in(client, clock):
    s = school_with_people()
    sign_in(client, s.staff)
    client.post("/concerns/new/pupil", data={"action": "continue", "pupil_id": str(s.pupil.id)})
    clock.advance(minutes=45)
    response = client.post("/concerns/new/what-happened", data={"account": LONG_ACCOUNT, "action_taken": "Told nobody yet"})
    assert response.status_code == 302
    assert "/timed-out" in response.headers["Location"] and "next=/concerns/new/what-happened" in response.headers["Location"]
    # The next page points the user to sign in, then back to the page they were on.
    timed_out = client.get(response.headers["Location"])
    assert "next=/concerns/new/what-happened" in timed_out.text
    sign_in(client, s.staff)
    page = client.get("/concerns/new/what-happened")
    assert "Dad hit me with the belt again" in page.text and "Told nobody yet" in page.text
    assert "we kept what you had typed" in page.text
    # The notice shows once.
    assert "we kept what you had typed" not in client.get("/concerns/new/what-happened").text


def test_autosave_after_the_session_expired_is_kept_too(client, clock):
    s = school_with_people()
    sign_in(client, s.staff)
    clock.advance(minutes=45)
    response = autosave(client, "what", {"account": ["Words typed just before the timeout"]})
    assert response.status_code == 401 and response.json == {"signed_in": False, "kept": True}
    sign_in(client, s.staff)
    assert "Words typed just before the timeout" in client.get("/concerns/new/what-happened").text


def test_a_post_on_a_signed_out_session_is_not_kept(client):
    s = school_with_people()
    sign_in(client, s.staff)
    client.post("/sign-out")
    response = client.post("/concerns/new/what-happened", data={"account": "Forged words", "action_taken": "x"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert db.session.execute(select(ConcernDraft)).first() is None


def test_a_forged_post_on_an_expired_session_is_not_kept(client, clock):
    s = school_with_people()
    sign_in(client, s.staff)
    clock.advance(minutes=45)
    client.get("/concerns")  # (each request starts afresh, as in a browser)
    response = client.post("/concerns/new/what-happened", data={"account": "Forged words", "action_taken": "x"}, csrf=False)
    assert response.status_code in (302, 400)
    assert db.session.execute(select(ConcernDraft)).first() is None


def test_an_expired_csrf_token_reshows_what_was_typed(client):
    s = school_with_people()
    sign_in(client, s.staff)
    page = client.post("/concerns/new/what-happened",
                       data={"account": LONG_ACCOUNT, "action_taken": "Listened", "csrf_token": "expired-token"}, csrf=False)
    assert page.status_code == 200
    assert "This page had expired" in page.text
    assert "Dad hit me with the belt again" in page.text and "Listened" in page.text
    # Sending it again with the page's fresh token carries on.
    again = client.post("/concerns/new/what-happened", data={"account": LONG_ACCOUNT, "action_taken": "Listened"})
    assert again.status_code == 302


def test_an_expired_csrf_token_on_submit_loses_nothing(client):
    s = school_with_people()
    sign_in(client, s.staff)
    log_simple_concern(client, s.pupil)
    # The test client shares one `g` between requests: forget that earlier posts had good tokens.
    g.pop("csrf_valid", None)
    response = client.post("/concerns/new/submit", data={"token": "t"}, csrf=False)
    assert response.status_code == 302 and response.headers["Location"].endswith("/concerns/new/check")
    page = client.get("/concerns/new/check")
    assert "She said she had not eaten" in page.text


def test_a_correction_survives_session_expiry(client, clock):
    s = school_with_people()
    concern = make_concern_as_logged(s.school, s.pupil, s.staff)
    sign_in(client, s.staff)
    assert client.get(f"/concerns/{concern.id}/correct").status_code == 200
    clock.advance(minutes=45)
    response = client.post(f"/concerns/{concern.id}/correct", data={
        **when_fields(), "categories": ["neglect"], "account": "Corrected words typed slowly",
        "action_taken": "Listened", "change_reason": "I wrote the wrong category",
    })
    assert "/timed-out" in response.headers["Location"]
    sign_in(client, s.staff)
    page = client.get(f"/concerns/{concern.id}/correct")
    assert "Corrected words typed slowly" in page.text and "I wrote the wrong category" in page.text


def test_correction_autosave(client):
    s = school_with_people()
    concern = make_concern_as_logged(s.school, s.pupil, s.staff)
    sign_in(client, s.staff)
    response = autosave(client, "correct", {"change_reason": ["Half a reason"]}, url=f"/concerns/{concern.id}/correct/autosave")
    assert response.status_code == 200
    page = client.get(f"/concerns/{concern.id}/correct")
    assert "Half a reason" in page.text
    # The rest of the form starts from what the concern says now.
    assert "Zephyrine said her uncle shouted" in page.text


def test_a_draft_keeps_exactly_the_fields_of_each_page():
    # portal.concerns.drafts names the fields it keeps (it sits below the forms); they must be the
    # forms' own fields, or a page's answers would be lost (or foreign fields kept).
    from portal.concerns import forms

    expected = {name: forms.field_names(cls) - {"csrf_token"} for name, cls in forms.STEP_FORMS.items()}
    expected.pop("attachments")  # files are kept as stored files, not as fields
    expected[drafts.CORRECTION_STEP] = (
        forms.field_names(forms.CorrectionForm) | forms.field_names(forms.BodyMapForm)
    ) - {"csrf_token"}
    assert {name: set(names) for name, names in drafts.STEP_FIELDS.items()} == expected
