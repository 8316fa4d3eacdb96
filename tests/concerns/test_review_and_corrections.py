"""DSL review (queue order, outcomes, the referral link), notifications without child details,
the home page count, and corrections that keep history."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import select

from portal.concerns.models import Concern, ConcernReview, ConcernVersion
from portal.db import utcnow
from portal.db import db
from portal.notify import outbox_path
from tests.factories import CONCERN_PUPIL, make_concern_as_logged, make_pupil, school_with_people
from tests.concerns.flowing import log_simple_concern, submit_token, when_fields
from tests.signing_in import sign_in


def emails():
    folder = outbox_path()
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def clear_outbox():
    for path in outbox_path().glob("*.eml") if outbox_path().exists() else []:
        path.unlink()


def test_review_queue_lists_urgent_first_then_oldest_first(client):
    s = school_with_people()
    now = utcnow()
    older = make_concern_as_logged(s.school, s.pupil, s.staff, logged_at=now - timedelta(days=2))
    newest = make_concern_as_logged(s.school, s.pupil, s.staff, logged_at=now - timedelta(hours=1))
    urgent = make_concern_as_logged(s.school, s.pupil, s.staff, logged_at=now - timedelta(minutes=5), urgent=True)
    reviewed = make_concern_as_logged(s.school, s.pupil, s.staff, logged_at=now - timedelta(days=3))
    reviewed.status = "reviewed"
    db.session.commit()
    sign_in(client, s.dsl)
    page = client.get("/concerns/review").text
    positions = [page.index(f'data-concern="{c.id}"') for c in (urgent, older, newest)]
    assert positions == sorted(positions)
    assert f'data-concern="{reviewed.id}"' not in page
    assert "Urgent" in page


def test_dsl_reviews_a_concern_and_can_start_a_referral(client):
    s = school_with_people()
    concern = make_concern_as_logged(s.school, s.pupil, s.staff)
    sign_in(client, s.dsl)
    page = client.post(f"/concerns/{concern.id}/review", data={"outcome": "refer_to_la", "reasons": "Second disclosure this month"})
    assert page.status_code == 302
    db.session.expire_all()
    review = db.session.execute(select(ConcernReview)).scalar_one()
    assert review.outcome == "refer_to_la" and review.reasons == "Second disclosure this month"
    assert db.session.get(Concern, concern.id).status == "reviewed"
    shown = client.get(f"/concerns/{concern.id}").text
    assert "Refer to the local authority" in shown and "Second disclosure this month" in shown
    assert f"/referrals/new?pupil={s.pupil.id}&amp;concern={concern.id}" in shown
    assert client.get("/concerns/review").text.count("data-concern=") == 0


def test_review_needs_an_outcome_and_reasons(client):
    s = school_with_people()
    concern = make_concern_as_logged(s.school, s.pupil, s.staff)
    sign_in(client, s.dsl)
    page = client.post(f"/concerns/{concern.id}/review", data={})
    assert "Select the outcome of your review" in page.text and "Enter the reasons for your decision" in page.text
    page = client.post(f"/concerns/{concern.id}/review", data={"outcome": "shrug", "reasons": "r" * 5001})
    assert "Select the outcome of your review" in page.text and "Reasons must be 5000 characters or fewer" in page.text
    assert db.session.execute(select(ConcernReview)).first() is None


def test_leads_are_emailed_without_child_details_and_see_a_count(client):
    s = school_with_people()
    clear_outbox()
    sign_in(client, s.staff)
    page = log_simple_concern(client, s.pupil, account="She said her stepdad locks her in", urgent="yes")
    client.post("/concerns/new/submit", data={"token": submit_token(page.text)})
    sent = emails()
    assert sorted(m["To"] for m in sent) == sorted([s.dsl.email, s.deputy.email])
    for message in sent:
        text = message["Subject"] + message.get_content()
        for detail in ("Zephyrine", "Quillfeather", "stepdad", "locks", "2015", "Playground", "neglect", "Neglect"):
            assert detail not in text
        assert "/concerns/review" in text and s.school.name in text and "urgent" in text.lower()
    sign_in(client, s.dsl)
    home = client.get("/home").text
    assert 'data-concerns-awaiting="1"' in home and "1 concern awaiting review" in home
    sign_in(client, s.staff)
    assert "awaiting review" not in client.get("/home").text


def test_correction_makes_a_new_version_and_keeps_the_old(client):
    s = school_with_people()
    concern = make_concern_as_logged(s.school, s.pupil, s.staff, account="First words")
    sign_in(client, s.staff)
    response = client.post(f"/concerns/{concern.id}/correct", data={
        **when_fields(), "categories": ["neglect", "other"], "other_category": "Hunger",
        "account": "Corrected words", "action_taken": "Listened", "change_reason": "Remembered more at home",
    })
    assert response.status_code == 302
    db.session.expire_all()
    versions = db.session.execute(select(ConcernVersion).where(ConcernVersion.concern_id == concern.id)
                                  .order_by(ConcernVersion.version)).scalars().all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].content["account"] == "First words" and versions[0].change_reason is None
    assert versions[1].content["account"] == "Corrected words" and versions[1].change_reason == "Remembered more at home"
    page = client.get(f"/concerns/{concern.id}").text
    assert "Corrected words" in page and "First words" in page and "Remembered more at home" in page
    assert "Version 2: corrected by Sam Teacher" in page and "Version 1: logged by Sam Teacher" in page


def test_correction_needs_a_reason_and_valid_answers(client):
    s = school_with_people()
    concern = make_concern_as_logged(s.school, s.pupil, s.staff)
    sign_in(client, s.dsl)
    page = client.post(f"/concerns/{concern.id}/correct", data={**when_fields(), "location": "", "categories": ["neglect"],
                                                                "account": "", "action_taken": "x"})
    for message in ("Enter why you are making this correction", "Enter where it happened", "Enter what you saw or heard"):
        assert message in page.text
    assert db.session.get(Concern, concern.id).current_version == 1


def test_a_linked_pupil_shows_with_their_own_role(client):
    s = school_with_people()
    other = make_pupil(s.school, **(CONCERN_PUPIL | {"forename": "Kit", "surname": "Marlowe"}))
    concern = make_concern_as_logged(s.school, s.pupil, s.staff, others=[(other, "alleged_perpetrator")])
    sign_in(client, s.dsl)
    page = client.get(f"/concerns/{concern.id}").text
    assert "Kit Marlowe" in page and "Alleged perpetrator" in page and "Subject of the concern" in page


def test_list_is_newest_first_by_when_it_happened(client):
    s = school_with_people()
    now = utcnow()
    backdated = make_pupil(s.school, **(CONCERN_PUPIL | {"forename": "Backdated", "surname": "Pupil"}))
    recent = make_pupil(s.school, **(CONCERN_PUPIL | {"forename": "Recent", "surname": "Pupil"}))
    make_concern_as_logged(s.school, backdated, s.staff, occurred_at=now - timedelta(days=30), logged_at=now)
    make_concern_as_logged(s.school, recent, s.staff, occurred_at=now - timedelta(days=1), logged_at=now - timedelta(days=1))
    sign_in(client, s.dsl)
    page = client.get("/concerns").text
    assert page.index("Recent Pupil") < page.index("Backdated Pupil")
