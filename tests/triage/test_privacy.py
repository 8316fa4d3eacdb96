"""What stays inside the council: internal notes, RAG and reasons never reach a school's pages,
emails or exports; the Southmoor worker sees nothing of Northshire's referral."""

import pytest
from flask import current_app
from sqlalchemy import select

from portal.db import db
from portal.notify import outbox_path
from portal.updates.models import SharedUpdate
from tests.jobs.running import court_bundle
from tests.signing_in import sign_in
from tests.factories import DECISION_FEEDBACK, TRIAGE_FORENAME, INTERNAL_NOTE, DECISION_REASONS, council, submitted_referral

SECRETS = (INTERNAL_NOTE, DECISION_REASONS, "RAG", "Amber", "amber")


@pytest.fixture
def decided(app, client):
    north = council(school_name="Oakfield Primary School")
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    client.post(f"/triage/referrals/{referral.id}/notes", data={"text": INTERNAL_NOTE})
    client.post(f"/triage/referrals/{referral.id}/rag", data={"rag": "amber"})
    response = client.post(f"/triage/referrals/{referral.id}/decision",
                           data={"outcome": "early_help", "rag": "amber", "reasons": DECISION_REASONS, "feedback": DECISION_FEEDBACK,
                                 "stage": "confirm"})
    assert response.status_code == 302
    return north, referral


def _school_pages(north, referral) -> list[str]:
    pages = [f"/pupils/{referral.pupil_id}/chronology", f"/pupils/{referral.pupil_id}/chronology/print"]
    views = current_app.view_functions
    if "updates.inbox" in views:
        pages.append("/updates")
        pages += [f"/updates/{u.id}" for u in db.session.execute(
            select(SharedUpdate).where(SharedUpdate.school_id == north.school.id)).scalars()]
    if "referrals.show" in views:
        pages.append(f"/referrals/{referral.id}")
    return pages


def test_the_school_sees_the_feedback_but_never_notes_rag_or_reasons(client, decided):
    north, referral = decided
    sign_in(client, north.dsl)
    pages = _school_pages(north, referral)
    seen_feedback = False
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in html, (url, secret)
        seen_feedback = seen_feedback or DECISION_FEEDBACK.split(";")[0] in html
    assert seen_feedback, "the feedback reaches the school's chronology"


def test_the_schools_chronology_export_never_contains_internal_details(client, decided):
    north, referral = decided
    sign_in(client, north.dsl)
    response = court_bundle(client, referral.pupil_id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    body = response.get_data()
    for secret in (INTERNAL_NOTE, DECISION_REASONS):
        assert secret.encode() not in body


def test_no_email_carries_internal_details_or_the_childs_name(decided):
    folder = outbox_path()
    emails = [p.read_text() for p in folder.glob("*.eml")]
    assert emails
    for email in emails:
        for secret in (*SECRETS, TRIAGE_FORENAME, DECISION_FEEDBACK):
            assert secret not in email


def test_what_the_school_is_sent_is_stored_without_internal_details(decided):
    north, referral = decided
    for update in db.session.execute(select(SharedUpdate)).scalars():
        stored = repr(update.content)
        for secret in SECRETS:
            assert secret not in stored


def test_the_reports_export_carries_no_internal_details(client, decided):
    north, referral = decided
    sign_in(client, north.manager)
    csv = client.get("/triage/reports.csv").get_data(as_text=True)
    for secret in (*SECRETS, TRIAGE_FORENAME, DECISION_FEEDBACK):
        assert secret not in csv


def test_another_council_sees_none_of_it(client, decided):
    north, referral = decided
    south = council(code="939", name="Southmoor")
    sign_in(client, south.worker)
    for status in ("open", "all", "decided"):
        html = client.get(f"/triage?status={status}").get_data(as_text=True)
        assert referral.reference not in html and TRIAGE_FORENAME not in html
    assert client.get(f"/triage/referrals/{referral.id}").status_code == 404
