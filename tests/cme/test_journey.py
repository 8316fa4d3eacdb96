"""The journey of issue #17's "done when": an off-roll notice from Oakfield reaches the Northshire
CME officer, who asks a question, moves it on and closes it; Oakfield sees the question, answers
it and sees the outcome."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cme.models import NoticeStatus
from portal.db import db
from portal.notify.models import MailMessage
from tests.cme.helpers import CME_PUPIL, ENQUIRIES, notice_of, send_notice, write_notice


def _mail_to(address):
    db.session.expire_all()
    return [m for m in db.session.execute(select(MailMessage)).scalars() if m.recipient == address]


def test_a_notice_from_oakfield_reaches_the_officer_and_is_closed_and_oakfield_sees_the_outcome(world):
    dsl = world.client(world.oak_dsl)
    officer = world.client(world.officer)

    # The DSL starts from the pupil: the start page, four questions, check answers.
    page = dsl.get(f"/cme/pupils/{world.pupil.id}/off-roll-notice")
    assert page.status_code == 200 and "Send an off-roll notice" in page.get_data(as_text=True)
    notice = write_notice(dsl, world.pupil)
    check = dsl.get(f"/cme/notices/{notice.id}/check").get_data(as_text=True)
    assert "Check your answers before sending the notice" in check
    assert "regulation 9(1)(g)" in check and "Leeds" in check
    # Nothing reaches the council before it is sent.
    assert officer.get(f"/cme/queue/{notice.id}").status_code == 404
    assert CME_PUPIL["surname"] not in officer.get("/cme/queue").get_data(as_text=True)

    # Sent once, whatever the clicks.
    first = dsl.post(f"/cme/notices/{notice.id}/check", data={})
    second = dsl.post(f"/cme/notices/{notice.id}/check", data={})
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert "Off-roll notice sent" in dsl.get(first.headers["Location"]).get_data(as_text=True)
    notice = notice_of(world.pupil)
    assert notice.status == NoticeStatus.RECEIVED
    assert len([e for e in notice.events if e.kind == "sent"]) == 1
    # The officer is told by email: a link, nothing about the child.
    [mail] = _mail_to("cme@northshire.test")
    assert f"/cme/queue/{notice.id}" in mail.body
    for word in (CME_PUPIL["forename"], CME_PUPIL["surname"], "Oakfield", "Leeds"):
        assert word not in mail.body and word not in mail.subject

    # The officer's home shows the queue; the queue lists the child as sent.
    home = officer.get("/home").get_data(as_text=True)
    assert 'id="cme-panel"' in home and "1 off-roll notice has arrived" in home
    queue = officer.get("/cme/queue").get_data(as_text=True)
    assert CME_PUPIL["surname"] in queue and "Oakfield Primary School" in queue
    shown = officer.get(f"/cme/queue/{notice.id}").get_data(as_text=True)
    assert CME_PUPIL["upn"] in shown and "Larchfield Close" in shown and "home visit 12 Nov" in shown

    # A question to the school: Oakfield's leads are emailed a link, and answer on the notice.
    assert officer.post(f"/cme/queue/{notice.id}/question", data={"question": "Which Leeds school?"}).status_code == 302
    [asked] = _mail_to("dsl@oakfield.test")
    assert f"/cme/notices/{notice.id}" in asked.body and "Leeds" not in asked.body
    school_list = dsl.get("/cme/notices").get_data(as_text=True)
    assert "1 to answer" in school_list
    home = dsl.get("/home").get_data(as_text=True)
    assert 'id="worklist-off-roll"' in home and "1 question waiting for your answer" in home
    question = notice_of(world.pupil).questions[0]
    answer = dsl.post(f"/cme/notices/{notice.id}/questions/{question.id}",
                      data={f"q{question.id.hex}-answer": "Mother mentioned Beeston Primary."})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert "Beeston Primary" in officer.get(f"/cme/queue/{notice.id}").get_data(as_text=True)
    assert 'id="worklist-off-roll"' not in dsl.get("/home").get_data(as_text=True)

    # Moved on, then closed with an outcome.
    assert officer.post(f"/cme/queue/{notice.id}/status", data={"status": "under_enquiry"}).status_code == 302
    assert officer.get(f"/cme/queue/{notice.id}/close").status_code == 200
    closed = officer.post(f"/cme/queue/{notice.id}/close",
                          data={"outcome": "found_in_school", "detail": "On roll at Beeston Primary, Leeds"})
    assert closed.status_code == 302
    assert notice_of(world.pupil).status == NoticeStatus.CLOSED
    # A second close is refused without changing anything.
    again = officer.post(f"/cme/queue/{notice.id}/close", data={"outcome": "died", "detail": ""})
    assert again.status_code == 302 and notice_of(world.pupil).outcome == "found_in_school"

    # Oakfield sees the outcome on its list and on the notice.
    school_list = dsl.get("/cme/notices").get_data(as_text=True)
    assert "Found in education at another school" in school_list and "Beeston Primary" in school_list
    assert "Closed" in school_list
    assert "Found in education at another school" in dsl.get(f"/cme/notices/{notice.id}").get_data(as_text=True)
    assert any(m.subject == "An off-roll notice has been closed" for m in _mail_to("dsl@oakfield.test"))

    # Every read of the child was audited.
    actions = [e.action for e in db.session.execute(select(AuditEvent)).scalars()]
    for action in ("cme.notice_send", "cme.queue_view", "cme.notice_view", "cme.question_ask",
                   "cme.question_answer", "cme.notice_status", "cme.notice_close", "cme.school_list_view"):
        assert action in actions, action


def test_the_enquiries_are_encrypted_at_rest(world):
    notice = send_notice(world.client(world.oak_dsl), world.pupil)
    from sqlalchemy import text

    raw = db.session.execute(text("SELECT answers, pupil_details FROM off_roll_notice WHERE id = :id"),
                             {"id": notice.id if db.engine.dialect.name == "postgresql" else notice.id.hex}).one()
    for value in raw:
        assert "home visit" not in value and CME_PUPIL["surname"] not in value and ENQUIRIES not in value
