"""Working a referral: open (audited), assign, RAG, notes, decide with a preview, route, tell the school."""

import threading

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.db import db
from portal.referrals.models import Referral
from portal.triage import service
from portal.triage.models import TriageDecision, TriageItem, TriageNote
from portal.updates.models import SharedUpdate
from tests.signing_in import sign_in
from tests.factories import DECISION_FEEDBACK, INTERNAL_NOTE, DECISION_REASONS, council, submitted_referral

DECISION = {"outcome": "early_help", "rag": "amber", "reasons": DECISION_REASONS, "feedback": DECISION_FEEDBACK}


@pytest.fixture
def north(app):
    return council()


def _audited(action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_opening_a_referral_is_audited_and_moves_it_into_triage(client, north):
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    page = client.get(f"/triage/referrals/{referral.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Arrives hungry most days" in html and "Earlier referrals to this council" in html
    assert [e.object_id for e in _audited("triage.referral_view")] == [str(referral.id)]
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "in_triage"
    item = db.session.execute(select(TriageItem)).scalar_one()
    assert item.state == "in_triage" and item.first_opened_at is not None


def test_a_worker_decides_with_a_preview_and_the_school_is_told(client, north):
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    preview = client.post(f"/triage/referrals/{referral.id}/decision", data={**DECISION, "stage": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "What the school will see" in html
    school_part = html.split("What the school will see")[1].split("For the council only")[0]
    assert DECISION_FEEDBACK in school_part and "Early help" in school_part
    assert DECISION_REASONS not in school_part and "Amber" not in school_part
    assert db.session.execute(select(func.count()).select_from(TriageDecision)).scalar_one() == 0

    done = client.post(f"/triage/referrals/{referral.id}/decision", data={**DECISION, "stage": "confirm"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/decision/done")
    assert "Decision sent" in client.get(done.headers["Location"]).get_data(as_text=True)
    decision = db.session.execute(select(TriageDecision)).scalar_one()
    assert decision.outcome == "early_help" and decision.rag == "amber" and decision.within_deadline
    assert decision.reasons == DECISION_REASONS and decision.feedback == DECISION_FEEDBACK
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "decided"
    update = db.session.get(SharedUpdate, decision.shared_update_id)
    assert update.kind == "decision"
    assert update.content["body"] == DECISION_FEEDBACK
    assert "amber" not in repr(update.content).lower() and DECISION_REASONS not in repr(update.content)


def test_a_decision_on_a_decided_referral_is_refused_with_a_clear_message(client, north):
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    client.post(f"/triage/referrals/{referral.id}/decision", data={**DECISION, "stage": "confirm"})
    sign_in(client, north.manager)
    again = client.post(f"/triage/referrals/{referral.id}/decision",
                        data={**DECISION, "outcome": "no_further_action", "stage": "confirm"})
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert "already decided" in text and "early help" in text and "Your decision was not recorded" in text
    assert client.get(f"/triage/referrals/{referral.id}/decision").status_code == 409
    assert db.session.execute(select(func.count()).select_from(TriageDecision)).scalar_one() == 1
    assert db.session.execute(select(func.count()).select_from(SharedUpdate).where(SharedUpdate.kind == "decision")).scalar_one() == 1
    refused = [e for e in _audited("triage.decide") if e.outcome == "refused"]
    assert len(refused) == 1 and refused[0].detail == "already_decided"


def test_a_decision_needs_reasons_feedback_and_rag(client, north):
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    response = client.post(f"/triage/referrals/{referral.id}/decision", data={"outcome": "early_help", "stage": "confirm"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Enter the reasons for the decision", "Enter the feedback for the school", "Select a RAG rating"):
        assert message in html
    assert db.session.execute(select(func.count()).select_from(TriageDecision)).scalar_one() == 0


def test_concurrent_decisions_by_two_workers_produce_one_decision(app, north):
    from portal.auth.models import User
    from tests.factories import make_user
    from portal.auth.roles import Role

    referral = submitted_referral(north)
    second = make_user(Role.TRIAGE_WORKER, north.la, password_hash="x")
    referral_id, user_ids = referral.id, [north.worker.id, second.id]
    barrier = threading.Barrier(2)
    results = []

    def decide(user_id, outcome):
        with app.app_context():
            user = db.session.get(User, user_id)
            item = service.item_for(user, referral_id)
            draft = service.DecisionDraft(outcome=outcome, reasons="r", feedback="f", rag="red")
            barrier.wait()
            try:
                service.decide(user, item, draft)
                results.append("decided")
            except service.AlreadyDecided as refusal:
                results.append(str(refusal))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(uid, outcome))
               for uid, outcome in zip(user_ids, ["early_help", "no_further_action"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.expire_all()
    assert sorted(r == "decided" for r in results) == [False, True]
    assert db.session.execute(select(func.count()).select_from(TriageDecision)).scalar_one() == 1
    assert db.session.execute(select(func.count()).select_from(SharedUpdate).where(SharedUpdate.kind == "decision")).scalar_one() == 1


def test_referred_to_another_la_moves_it_to_that_queue_with_a_note_and_tells_the_school(client, north):
    south = council(code="939", name="Southmoor")
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    data = {**DECISION, "outcome": "referred_to_another_la", "routed_to": str(south.la.id),
            "routing_note": "Family moved to Southmoor last month", "stage": "confirm"}
    assert client.post(f"/triage/referrals/{referral.id}/decision", data=data).status_code == 302
    db.session.expire_all()
    moved = db.session.get(Referral, referral.id)
    assert moved.local_authority_id == south.la.id and moved.status == "acknowledged"
    items = db.session.execute(select(TriageItem).order_by(TriageItem.round)).scalars().all()
    assert [(i.local_authority_id, i.state, i.current) for i in items] == [
        (north.la.id, "routed", False), (south.la.id, "new", True)]
    kinds = db.session.execute(select(SharedUpdate.kind, SharedUpdate.local_authority_id).order_by(SharedUpdate.created_at)).all()
    assert ("decision", north.la.id) in kinds and ("acknowledgement", south.la.id) in kinds
    # Southmoor sees it, with the note; Northshire keeps a read-only record.
    sign_in(client, south.worker)
    assert referral.reference in client.get("/triage").get_data(as_text=True)
    page = client.get(f"/triage/referrals/{referral.id}").get_data(as_text=True)
    assert "Family moved to Southmoor last month" in page
    sign_in(client, north.worker)
    assert referral.reference not in client.get("/triage").get_data(as_text=True)
    assert client.get(f"/triage/referrals/{referral.id}").status_code == 200
    assert client.post(f"/triage/referrals/{referral.id}/decision", data={**DECISION, "stage": "confirm"}).status_code == 409


def test_routing_needs_a_destination(client, north):
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    response = client.post(f"/triage/referrals/{referral.id}/decision",
                           data={**DECISION, "outcome": "referred_to_another_la", "stage": "confirm"})
    assert response.status_code == 400
    assert "Select the local authority to send the referral to" in response.get_data(as_text=True)


def test_notes_rag_and_assignment(client, north):
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    assert client.post(f"/triage/referrals/{referral.id}/notes", data={"text": INTERNAL_NOTE}).status_code == 302
    assert client.post(f"/triage/referrals/{referral.id}/notes", data={"text": " "}).status_code == 400
    assert client.post(f"/triage/referrals/{referral.id}/rag", data={"rag": "red"}).status_code == 302
    assert client.post(f"/triage/referrals/{referral.id}/rag", data={"rag": "purple"}).status_code == 400
    page = client.get(f"/triage/referrals/{referral.id}").get_data(as_text=True)
    assert INTERNAL_NOTE in page and "RAG: Red" in page
    note = db.session.execute(select(TriageNote)).scalar_one()
    assert note.text == INTERNAL_NOTE and note.local_authority_id == north.la.id

    sign_in(client, north.manager)
    assert client.post(f"/triage/referrals/{referral.id}/assign", data={"assignee": str(north.worker.id)}).status_code == 302
    item = db.session.execute(select(TriageItem)).scalar_one()
    db.session.refresh(item)
    assert item.assigned_to_id == north.worker.id
    south = council(code="939", name="Southmoor")
    refused = client.post(f"/triage/referrals/{referral.id}/assign", data={"assignee": str(south.worker.id)})
    assert refused.status_code == 400 and "Choose a triage worker from your council" in refused.get_data(as_text=True)
    assert {e.detail for e in _audited("triage.assign")} == {"assigned"}
    assert [e.detail for e in _audited("triage.rag")] == ["red"]


def test_further_updates_to_the_school_with_a_preview(client, north):
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    url = f"/triage/referrals/{referral.id}/updates/new"
    preview = client.post(url, data={"title": "Strategy meeting", "body": "We will invite you", "stage": "preview"})
    assert "What the school will see" in preview.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(SharedUpdate).where(SharedUpdate.kind == "note")).scalar_one() == 0
    assert client.post(url, data={"title": "Strategy meeting", "body": "We will invite you", "stage": "confirm"}).status_code == 302
    note = db.session.execute(select(SharedUpdate).where(SharedUpdate.kind == "note")).scalar_one()
    assert note.content["title"] == "Strategy meeting" and note.school_id == north.school.id
