"""Every response that shows a child's details writes at least one view event (security review,
issue 15 finding 4): the roll and its three searches, the pupil's page, the edit and
previous-school forms (shown and re-shown with errors), the duplicates offered when adding, the
chronology (page, print, the court bundle's page) and the triage referral page (opened, and re-shown after a refused
note or RAG rating). Each route is asked as the role that may see the child."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.db import db
from tests.factories import council, make_pupil_through_service, submitted_referral
from tests.signing_in import sign_in

AMELIA = dict(forename="Amelia", surname="Hartley-Nkemelu", born=date(2014, 3, 9), upn="V938123456789",
              nhs_number="9434765919")


def _events() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _school_routes(pupil):
    p = f"/pupils/{pupil.id}"
    return [
        ("the roll", "GET", "/pupils", None),
        ("the roll, page 1 asked for", "GET", "/pupils?page=1", None),
        ("a name search", "POST", "/pupils", {"name-name": "melia", "name-submit": "Search"}),
        ("a UPN search", "POST", "/pupils", {"id-upn": "v938 1234 56789", "id-find": "Find pupil"}),
        ("an NHS number search", "POST", "/pupils", {"id-nhs_number": "943 476 5919", "id-find": "Find pupil"}),
        ("a surname and date of birth search", "POST", "/pupils",
         {"id-surname": "HARTLEY NKEMELU", "id-date_of_birth": ["09", "03", "2014"], "id-find": "Find pupil"}),
        ("the pupil's page", "GET", p, None),
        ("the edit form", "GET", f"{p}/edit", None),
        ("the edit form re-shown with errors", "POST", f"{p}/edit",
         {"legal_forename": "", "legal_surname": "Hartley-Nkemelu", "date_of_birth": ["9", "3", "2014"]}),
        ("the previous-school form", "GET", f"{p}/previous-schools/new", None),
        ("the previous-school form re-shown with errors", "POST", f"{p}/previous-schools/new",
         {"school_name": ""}),
        ("the possible duplicate offered when adding", "POST", "/pupils/new",
         {"legal_forename": "Amelia", "legal_surname": "Hartley-Nkemelu", "date_of_birth": ["9", "3", "2014"],
          "year_group": "Year 7"}),
        ("the chronology", "GET", f"{p}/chronology", None),
        ("the printable chronology", "GET", f"{p}/chronology/print", None),
        ("the court bundle's page", "GET", f"{p}/chronology/court-bundle", None),
    ]


def _triage_routes(referral):
    r = f"/triage/referrals/{referral.id}"
    return [
        ("the referral page", "GET", r, None),
        ("the referral page re-shown after an empty note", "POST", f"{r}/notes", {"text": ""}),
        ("the referral page re-shown after a RAG rating with no choice", "POST", f"{r}/rag", {}),
    ]


@pytest.fixture
def world(app):
    setup = council()
    pupil = make_pupil_through_service(setup.school, **AMELIA)
    referral = submitted_referral(setup, pupil)
    return setup, pupil, referral


def _ask(client, method, url, data):
    if method == "GET":
        return client.get(url)
    return client.post(url, data=data)


def test_every_response_that_shows_a_child_writes_a_view_event(client, world):
    setup, pupil, referral = world
    unaudited = []
    for user, routes in ((setup.dsl, _school_routes(pupil)), (setup.worker, _triage_routes(referral))):
        sign_in(client, user)
        for what, method, url, data in routes:
            before = _events()
            response = _ask(client, method, url, data)
            assert response.status_code in (200, 400, 409), (what, response.status_code)
            body = response.get_data()
            shows_child = b"Hartley-Nkemelu" in body or response.mimetype == "application/pdf"
            assert shows_child, what
            if "duplicate" in what:
                assert b"This pupil may already be on your records" in body
            if _events() - before < 1:
                unaudited.append(what)
    assert unaudited == []


def test_the_roll_and_searches_are_audited_on_the_school_and_never_hold_what_was_typed(client, world):
    setup, pupil, _ = world
    sign_in(client, setup.dsl)
    client.get("/pupils")
    client.post("/pupils", data={"name-name": "melia", "name-submit": "Search"})
    client.post("/pupils", data={"id-upn": "V938123456789", "id-find": "Find pupil"})
    client.post("/pupils", data={"id-upn": "B801200005001", "id-find": "Find pupil"})
    db.session.rollback()
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action.in_(
        ("pupil.roll_view", "pupil.name_search", "pupil.identifier_search"))).order_by(AuditEvent.seq)).scalars().all()
    assert [(e.action, e.object_type, e.object_id, e.detail) for e in events] == [
        ("pupil.roll_view", "school", str(setup.school.id), "page_1_shown_1"),
        ("pupil.name_search", "school", str(setup.school.id), "matched_1_shown_1"),
        ("pupil.identifier_search", "pupil", str(pupil.id), None),
        ("pupil.identifier_search", "school", str(setup.school.id), "matched_0"),
    ]
    assert all(e.actor_id == setup.dsl.id for e in events)
