"""Submitting: once only (double click, back button, retry, two requests racing), a reference per
LA, routed to the school's LA, and never changed afterwards."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.db import db
from portal.referrals import service as referrals
from portal.referrals.models import Referral, ReferralEvent
from tests.factories import REFERRAL_REASON, make_la, make_referral, referring_school
from tests.signing_in import sign_in


def _submitted_events(referral) -> int:
    return db.session.execute(
        select(func.count()).select_from(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id, ReferralEvent.status == "submitted")
    ).scalar_one()


def test_pressing_submit_twice_submits_once_and_shows_the_same_reference(client, app):
    s = referring_school()
    referral = make_referral(s, complete=True)
    sign_in(client, s.dsl)
    first = client.post(f"/referrals/{referral.id}/check-answers", data={})
    second = client.post(f"/referrals/{referral.id}/check-answers", data={})
    assert first.headers["Location"] == second.headers["Location"] == f"/referrals/{referral.id}/confirmation"
    db.session.expire_all()
    assert _submitted_events(referral) == 1
    assert referral.reference.endswith("-000001")
    # The back button to check your answers leads to the confirmation, not a second form.
    back = client.get(f"/referrals/{referral.id}/check-answers")
    assert back.headers["Location"].endswith("/confirmation")


def test_a_retry_with_a_stale_copy_of_the_draft_changes_nothing(app):
    s = referring_school()
    referral = make_referral(s, complete=True)
    first = referrals.submit_referral(referral, s.dsl)
    reference = first.reference
    # Another request still holding the draft as it was before the first submission.
    stale = db.session.get(Referral, referral.id)
    set_committed_value(stale, "status", "draft")
    again = referrals.submit_referral(stale, s.deputy)
    assert again.reference == reference and again.status != "draft"
    assert again.submitted_by_id == s.dsl.id
    assert _submitted_events(referral) == 1
    refused = db.session.execute(select(AuditEvent).where(AuditEvent.action == "referral.submit",
                                                          AuditEvent.outcome == "refused")).scalars().all()
    assert [e.detail for e in refused] == ["already_submitted"]


def test_two_submissions_racing_make_one(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("two connections submitting at the same moment need PostgreSQL's row locks")
    s = referring_school()
    referral = make_referral(s, complete=True)
    referral_id, user_ids = referral.id, [s.dsl.id, s.deputy.id]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit(user_id):
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                draft = db.session.get(Referral, referral_id)
                assert draft.status == "draft"
                barrier.wait(timeout=10)
                done = referrals.submit_referral(draft, user)
                results.append((done.reference, done.submitted_by_id))
        except Exception as error:  # reported below, with the test's own assertion
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len({reference for reference, _ in results}) == 1
    assert len({who for _, who in results}) == 1
    db.session.expire_all()
    assert _submitted_events(referral) == 1


def test_referrals_submitted_at_the_same_moment_get_different_numbers(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs concurrent connections")
    la = make_la(code="938")
    setups = [referring_school(la) for _ in range(4)]
    drafts = [(make_referral(s, complete=True).id, s.dsl.id) for s in setups]
    barrier = threading.Barrier(len(drafts))
    references, errors = [], []

    def submit(referral_id, user_id):
        try:
            with app.app_context():
                user, draft = db.session.get(User, user_id), db.session.get(Referral, referral_id)
                barrier.wait(timeout=10)
                references.append(referrals.submit_referral(draft, user).reference)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=submit, args=d) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert sorted(r[-6:] for r in references) == ["000001", "000002", "000003", "000004"]


def test_references_count_per_local_authority(app):
    north = referring_school(make_la(code="938"))
    north2 = referring_school(north.la)
    south = referring_school(make_la(code="939"))
    year = str(referrals.utcnow().astimezone(referrals.UK).year)
    refs = [referrals.submit_referral(make_referral(s, complete=True), s.dsl).reference for s in (north, south, north2)]
    assert refs == [f"938-{year}-000001", f"939-{year}-000001", f"938-{year}-000002"]


def test_an_unfinished_referral_cannot_be_submitted(client, app):
    s = referring_school()
    referral = make_referral(s)
    sign_in(client, s.dsl)
    response = client.post(f"/referrals/{referral.id}/check-answers", data={})
    assert response.headers["Location"].endswith("/task-list")
    assert "Complete every section" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert referral.status == "draft" and referral.reference is None
    assert client.get(f"/referrals/{referral.id}/check-answers").headers["Location"].endswith("/task-list")


def test_a_submitted_referral_cannot_be_changed(client, app):
    s = referring_school()
    referral = referrals.submit_referral(make_referral(s, complete=True), s.dsl)
    before = referral.form
    sign_in(client, s.dsl)
    for path, data in [("/child", {"legal_forename": "Changed"}), ("/reasons", {"summary": "Changed"}),
                       ("/immediate-risk", {"immediate_risk": "yes"}), ("/household/add", {"name": "X"}),
                       ("/household", {"complete": "no"}), ("/level-of-need", {"level": "universal", "why": "x"})]:
        shown = client.get(f"/referrals/{referral.id}{path}")
        assert shown.status_code == 302 and shown.headers["Location"] == f"/referrals/{referral.id}", path
        sent = client.post(f"/referrals/{referral.id}{path}", data=data)
        assert sent.status_code == 302 and sent.headers["Location"] == f"/referrals/{referral.id}", path
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "can no longer be changed" in page
    db.session.expire_all()
    assert referral.form == before and referral.urgent is False
    refused = db.session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "referral.edit", AuditEvent.outcome == "refused")).scalar_one()
    assert refused == 12
    # And through the service, even with a copy that still says "draft".
    stale = db.session.get(Referral, referral.id)
    set_committed_value(stale, "status", "draft")
    with pytest.raises(referrals.ReferralLocked):
        referrals.save_section(stale, s.dsl, "reasons", {"summary": "Changed"})
    db.session.rollback()
    assert db.session.get(Referral, referral.id).form["reasons"]["summary"] == REFERRAL_REASON


def test_the_school_sees_the_status_move(client, app):
    s = referring_school()
    referral = referrals.submit_referral(make_referral(s, complete=True), s.dsl)
    triage = User(email="t@la.test", display_name="Tia Triage", role="triage_worker", local_authority_id=s.la.id)
    db.session.add(triage)
    db.session.commit()
    referrals.record_status(referral, "acknowledged")  # if the LA's arrival has not already
    assert referrals.record_status(referral, "in_triage") is True
    assert referrals.record_status(referral, "in_triage") is False  # pulled twice: once
    assert referrals.record_status(referral, "decided", by_user=triage) is True
    assert referrals.record_status(referral, "acknowledged") is False  # never backwards
    db.session.commit()
    sign_in(client, s.dsl)
    listing = client.get("/referrals").get_data(as_text=True)
    assert referral.reference in listing and "Decided" in listing
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    history = page.split("History")[1]
    assert (history.index("Decided") < history.index("In triage") < history.index("Acknowledged")
            < history.index("Submitted") < history.index("Draft"))
    assert "by Tia Triage" in history and "by the local authority" in history
    with pytest.raises(referrals.StatusChangeRefused):
        referrals.record_status(referral, "draft")
