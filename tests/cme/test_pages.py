"""The question pages as GOV.UK asks: a wrong answer is shown in an error summary with what was
typed kept; nothing typed reaches a 500; the start button pressed twice makes one draft."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from flask_login import login_user

from portal.cme import service
from portal.cme.models import OffRollNotice
from portal.db import db
from tests.cme.helpers import date_fields, notice_of, send_notice, write_notice
from tests.factories import make_pupil


def _count():
    return db.session.execute(select(func.count(OffRollNotice.id))).scalar_one()


def test_starting_twice_makes_one_draft_and_answers_are_kept(world):
    dsl = world.client(world.oak_dsl)
    url = f"/cme/pupils/{world.pupil.id}/off-roll-notice"
    assert dsl.post(url, data={}).status_code == 302
    assert dsl.post(url, data={}).status_code == 302
    assert _count() == 1
    notice = notice_of(world.pupil)
    assert dsl.post(f"/cme/notices/{notice.id}/grounds", data={"grounds": "9_1_f"}).status_code == 302
    assert 'value="9_1_f" checked' in dsl.get(f"/cme/notices/{notice.id}/grounds").get_data(as_text=True)
    # Coming back to the start page continues the same draft.
    again = dsl.post(url, data={})
    assert again.headers["Location"].endswith(f"/cme/notices/{notice.id}/last-day") and _count() == 1


def test_wrong_answers_show_an_error_summary_and_keep_what_was_typed(world):
    dsl = world.client(world.oak_dsl)
    notice = write_notice(dsl, world.pupil)
    base = f"/cme/notices/{notice.id}"
    cases = [
        ("grounds", {"grounds": "not-a-ground"}, "Select one of the options shown"),
        ("grounds", {}, "Select the grounds for taking the pupil off roll"),
        ("last-day", date_fields("last_attendance", date.today() + timedelta(days=3)), "must be today or in the past"),
        ("last-day", {"last_attendance": ["31", "2", "2026"]}, "must be a real date"),
        ("last-day", {}, "Enter the pupil’s last day of attendance"),
        ("destination", {"destination_kind": "school", "destination_detail": ""}, "Enter what you know of where the pupil has gone"),
        ("destination", {"destination_kind": "abroad", "destination_detail": "x" * 501}, "500 characters or fewer"),
        ("enquiries", {"enquiries": "   "}, "Enter the enquiries the school has made"),
        ("enquiries", {"enquiries": "Visited\x00 home " + "y" * 5000}, "5000 characters or fewer"),
    ]
    for step, data, message in cases:
        response = dsl.post(f"{base}/{step}", data=data)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, (step, data)
        assert "govuk-error-summary" in text and message in text, (step, message)
        assert text.startswith("<!DOCTYPE html>") and "<title>Error:" in text
    kept = dsl.post(f"{base}/destination", data={"destination_kind": "abroad", "destination_detail": "z" * 501})
    assert "z" * 501 in kept.get_data(as_text=True)
    # Nothing wrong was kept.
    assert notice_of(world.pupil).answers["grounds"] == "9_1_g"


def test_check_answers_links_to_each_question_and_a_sent_notice_cannot_change(world):
    dsl = world.client(world.oak_dsl)
    notice = send_notice(dsl, world.pupil, kind="unknown", detail="ignored")
    assert notice.answers["destination_detail"] == ""
    for step in ("grounds", "enquiries", "check"):
        response = dsl.get(f"/cme/notices/{notice.id}/{step}")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/cme/notices/{notice.id}/sent")
    changed = dsl.post(f"/cme/notices/{notice.id}/grounds", data={"grounds": "9_1_k"})
    assert changed.status_code == 302 and notice_of(world.pupil).answers["grounds"] == "9_1_g"


def test_an_unfinished_notice_cannot_be_sent(world):
    dsl = world.client(world.oak_dsl)
    dsl.post(f"/cme/pupils/{world.pupil.id}/off-roll-notice", data={})
    notice = notice_of(world.pupil)
    dsl.post(f"/cme/notices/{notice.id}/grounds", data={"grounds": "9_1_i"})
    page = dsl.get(f"/cme/notices/{notice.id}/check").get_data(as_text=True)
    assert "Not answered" in page and "Send the notice" not in page
    refused = dsl.post(f"/cme/notices/{notice.id}/check", data={})
    assert refused.status_code == 400 and "Answer every question before sending the notice" in refused.get_data(as_text=True)
    assert notice_of(world.pupil).status == "draft"


def test_the_officers_forms_refuse_bad_input_with_a_message(world):
    notice = send_notice(world.client(world.oak_dsl), world.pupil)
    officer = world.client(world.officer)
    base = f"/cme/queue/{notice.id}"
    for url, data, message in (
        (f"{base}/status", {"status": "received"}, "Select a status other than the one it has"),
        (f"{base}/status", {"status": "closed"}, "Select one of the options shown"),
        (f"{base}/question", {"question": ""}, "Enter your question for the school"),
        (f"{base}/close", {"outcome": "found_in_school", "detail": ""}, "Enter where the child is"),
        (f"{base}/close", {"outcome": "nonsense"}, "Select one of the options shown"),
    ):
        response = officer.post(url, data=data)
        assert response.status_code == 400, url
        assert message in response.get_data(as_text=True), (url, message)
    assert notice_of(world.pupil).status == "received"
    assert officer.get("/cme/queue?status=nonsense").status_code == 200
    assert officer.get("/cme/queue?status=closed").status_code == 200
    # Answering a question twice changes nothing.
    officer.post(f"{base}/question", data={"question": "Which school?"})
    question = notice_of(world.pupil).questions[0]
    dsl = world.client(world.oak_dsl)
    field = f"q{question.id.hex}-answer"
    empty = dsl.post(f"/cme/notices/{notice.id}/questions/{question.id}", data={field: ""})
    assert empty.status_code == 400 and "Enter your answer" in empty.get_data(as_text=True)
    assert dsl.post(f"/cme/notices/{notice.id}/questions/{question.id}", data={field: "One"}).status_code == 302
    assert dsl.post(f"/cme/notices/{notice.id}/questions/{question.id}", data={field: "Two"}).status_code == 302
    assert notice_of(world.pupil).questions[0].answer == "One"


def test_the_queue_is_paged(world):
    dsl = world.client(world.oak_dsl)
    for pupil in [make_pupil(world.oakfield) for _ in range(3)]:
        send_notice(dsl, pupil)
    with world.app.test_request_context():
        login_user(world.officer)
        first = service.queue(world.officer, None, 1, page_size=2)
        second = service.queue(world.officer, None, "2", page_size=2)
        beyond = service.queue(world.officer, "received", "99", page_size=2)
    assert (first.total, first.pages, len(first.lines), len(second.lines)) == (3, 2, 2, 1)
    assert (first.first, first.last, second.first, second.last) == (1, 2, 3, 3)
    assert beyond.page == 2
    officer = world.client(world.officer)
    assert officer.get("/cme/queue?page=nonsense").status_code == 200
    assert officer.get("/cme/queue?status=received&page=-3").status_code == 200
