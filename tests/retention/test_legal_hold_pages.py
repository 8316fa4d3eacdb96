"""The legal-hold pages: a school's DSL (or the council's LA admin) places a hold on a child's
records with a reason and releases it with another; the hold stops `retention run`; everyone
else is refused (another school's or council's as not found)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.retention import service
from portal.retention.models import LegalHold
from tests.factories import council, make_la, make_pupil, make_school, make_user
from tests.signing_in import sign_in


@pytest.fixture
def setup(app):
    found = council()
    pupil = make_pupil(found.school, forename="Quintessa", surname="Marlowby", born=date(2001, 12, 4))
    return found, pupil


def test_a_dsl_places_a_hold_with_a_reason_and_it_stops_destruction(client, setup):
    found, pupil = setup
    sign_in(client, found.dsl)
    page = client.get(f"/pupils/{pupil.id}/legal-hold")
    assert page.status_code == 200 and "There is no legal hold" in page.get_data(as_text=True)

    refused = client.post(f"/pupils/{pupil.id}/legal-hold", data={"reason": "  "})
    assert refused.status_code == 200 and "Enter why the records must be kept" in refused.get_data(as_text=True)
    assert db.session.scalar(select(LegalHold)) is None

    placed = client.post(f"/pupils/{pupil.id}/legal-hold", data={"reason": "Care proceedings: the court asked"})
    assert placed.status_code == 302
    hold = db.session.scalar(select(LegalHold))
    assert hold.pupil_id == pupil.id and hold.placed_by_id == found.dsl.id
    assert "Care proceedings" in client.get(f"/pupils/{pupil.id}/legal-hold").get_data(as_text=True)

    report = service.run(apply=True, today=date(2026, 12, 5))
    assert report.held == 1
    assert "retention.holds_view" in set(db.session.scalars(select(AuditEvent.action)))


def test_the_hold_is_released_with_a_reason(client, setup):
    found, pupil = setup
    hold = service.place_hold(found.dsl, pupil.id, "Serious case review")
    sign_in(client, found.dsl)
    missing = client.post(f"/legal-holds/{hold.id}/release", data={"reason": ""})
    assert missing.status_code == 200 and "Enter why the hold is no longer needed" in missing.get_data(as_text=True)
    released = client.post(f"/legal-holds/{hold.id}/release", data={"reason": "Review concluded"})
    assert released.status_code == 302
    db.session.expire_all()
    assert db.session.get(LegalHold, hold.id).released_at is not None
    assert client.post(f"/legal-holds/{hold.id}/release", data={"reason": "again"}).status_code == 404


def test_the_councils_la_admin_may_place_one(client, setup):
    found, pupil = setup
    sign_in(client, found.admin)
    assert client.post(f"/pupils/{pupil.id}/legal-hold", data={"reason": "Police investigation"}).status_code == 302


@pytest.mark.parametrize("who", ["staff", "triage", "other_school_dsl", "other_la_admin"])
def test_everyone_else_is_refused(client, setup, who):
    found, pupil = setup
    hold = service.place_hold(found.dsl, pupil.id, "Serious case review")
    other_la = make_la()
    user = {
        "staff": lambda: found.staff,
        "triage": lambda: make_user(Role.TRIAGE_WORKER, found.la),
        "other_school_dsl": lambda: make_user(Role.DSL, make_school(found.la)),
        "other_la_admin": lambda: make_user(Role.LA_ADMIN, other_la),
    }[who]()
    sign_in(client, user)
    expected = 403 if who in ("staff", "triage") else 404
    assert client.get(f"/pupils/{pupil.id}/legal-hold").status_code == expected
    assert client.post(f"/pupils/{pupil.id}/legal-hold", data={"reason": "x"}).status_code == expected
    assert client.post(f"/legal-holds/{hold.id}/release", data={"reason": "x"}).status_code == expected
    db.session.expire_all()
    assert db.session.get(LegalHold, hold.id).released_at is None
    assert len(db.session.scalars(select(LegalHold)).all()) == 1


def test_the_pupil_page_offers_the_legal_hold_to_the_schools_dsl_only(client, setup):
    found, pupil = setup
    sign_in(client, found.dsl)
    assert f"/pupils/{pupil.id}/legal-hold" in client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    roll = client.get("/pupils").get_data(as_text=True)
    assert "/pupils/import-ctf" in roll
