"""The sharing policy (audited, applied from then on) and the managers' reports (table, CSV, chart)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.db import utcnow
from portal.db import db
from portal.triage.models import SharingPolicyChange
from portal.triage.sharing import filter_case_summary, permitted_summary_fields
from tests.signing_in import sign_in
from tests.factories import council, submitted_referral


@pytest.fixture
def north(app):
    return council()


def test_no_policy_shares_nothing(north):
    assert permitted_summary_fields(north.la.id) == set()
    assert filter_case_summary(north.la.id, {"status": "child_in_need", "note_for_school": "x"}) == {}


def test_a_manager_changes_the_policy_which_is_audited_and_applied_from_then_on(client, north):
    sign_in(client, north.manager)
    page = client.get("/triage/sharing-policy").get_data(as_text=True)
    assert "schools see nothing from case summaries" in page
    response = client.post("/triage/sharing-policy", data={"fields": ["status", "next_review_date"]})
    assert response.status_code == 302
    assert permitted_summary_fields(north.la.id) == {"status", "next_review_date"}
    summary = {"status": "child_protection_plan", "cp_category": "neglect", "next_review_date": "2026-12-01",
               "case_notes": "never shared"}
    assert filter_case_summary(north.la.id, summary) == {"status": "child_protection_plan", "next_review_date": "2026-12-01"}

    client.post("/triage/sharing-policy", data={"fields": ["status"]})
    assert permitted_summary_fields(north.la.id) == {"status"}
    changes = db.session.execute(select(SharingPolicyChange).order_by(SharingPolicyChange.changed_at)).scalars().all()
    assert [(c.fields_before, c.fields_after) for c in changes] == [
        ([], ["status", "next_review_date"]), (["status", "next_review_date"], ["status"])]
    assert all(c.changed_by_id == north.manager.id for c in changes)
    audited = db.session.execute(select(AuditEvent).where(AuditEvent.action == "triage.sharing_policy_change")).scalars().all()
    assert [a.detail for a in audited] == ["fields_0_to_2", "fields_2_to_1"]
    # Saving the same choice again records nothing.
    client.post("/triage/sharing-policy", data={"fields": ["status"]})
    assert len(db.session.execute(select(SharingPolicyChange)).scalars().all()) == 2
    # Another council's policy is its own.
    south = council(code="939", name="Southmoor")
    assert permitted_summary_fields(south.la.id) == set()


def test_unknown_fields_are_refused(client, north):
    sign_in(client, north.manager)
    response = client.post("/triage/sharing-policy", data={"fields": ["case_notes"]})
    assert response.status_code == 400
    assert permitted_summary_fields(north.la.id) == set()


def test_reports_count_by_school_outcome_urgency_and_share_on_time(client, north):
    from portal.triage import service

    late = submitted_referral(north, submitted_at=utcnow() - timedelta(days=9))
    submitted_referral(north, urgent=True)
    quick = submitted_referral(north)
    for referral, outcome in ((late, "no_further_action"), (quick, "early_help")):
        item = service.item_for(north.worker, referral.id)
        service.decide(north.worker, item, service.DecisionDraft(outcome=outcome, reasons="r", feedback="f", rag="green"))
    sign_in(client, north.manager)
    html = client.get("/triage/reports").get_data(as_text=True)
    assert 'data-total="3"' in html
    assert "<svg" in html and "Referrals received per week" in html
    assert html.count("<rect") >= 2
    assert "50%" in html  # one of the two decided was on time
    csv = client.get("/triage/reports.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert "Total,All referrals,3,2,1,50%" in text
    assert "Outcome,Early help,1,1,1,100%" in text and "Outcome,No further action,1,1,0,0%" in text
    assert "Urgency,Urgent,1,0,0" in text and "Outcome,Awaiting a decision,1,0,0" in text
    assert f"School,{north.school.name},3,2,1,50%" in text
    exports = db.session.execute(select(AuditEvent).where(AuditEvent.action == "triage.report_export")).scalars().all()
    assert len(exports) == 1


def test_a_report_period_is_chosen_and_checked(client, north):
    submitted_referral(north, submitted_at=utcnow() - timedelta(days=60))
    sign_in(client, north.manager)
    recent = client.get("/triage/reports").get_data(as_text=True)
    assert 'data-total="0"' in recent
    today = utcnow().date()
    start = today - timedelta(days=90)
    args = {"start": [start.day, start.month, start.year], "end": [today.day, today.month, today.year]}
    wide = client.get("/triage/reports", query_string=args).get_data(as_text=True)
    assert 'data-total="1"' in wide
    bad = client.get("/triage/reports", query_string={"start": [today.day, today.month, today.year],
                                                     "end": [start.day, start.month, start.year]})
    assert bad.status_code == 400
    assert "The end of the period must be the same as or after the start" in bad.get_data(as_text=True)
