"""Who may see a pupil's chronology, its printable view and its PDF: this school's DSLs only."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.chronology.service import ChronologyRefused, chronology_for
from portal.db import db
from tests.factories import make_concern
from tests.signing_in import sign_in

SUFFIXES = ["/chronology", "/chronology/print", "/chronology/court-bundle"]


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    "who, refusal",
    [
        ("staff", 403),  # school staff see only the concerns they logged, never a chronology
        ("other_dsl", 404),  # another school's DSL cannot even learn the pupil exists
        ("triage", 403),  # LA users see referrals routed to them, not a school's chronology
        ("la_admin", 403),
    ],
)
def test_others_are_refused(client, world, suffix, who, refusal):
    make_concern(world.school, world.pupil, world.staff, account="Private account")
    sign_in(client, getattr(world, who))

    response = client.get(f"/pupils/{world.pupil.id}{suffix}")

    assert response.status_code == refusal
    assert b"Private account" not in response.data
    assert b"Hartley-Nkemelu" not in response.data
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action.like("chronology.%"))).first() is None


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_an_unknown_pupil_is_not_found(client, world, suffix):
    sign_in(client, world.dsl)
    assert client.get(f"/pupils/{uuid.uuid4()}{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_signed_out_visitors_are_sent_to_sign_in(client, world, suffix):
    response = client.get(f"/pupils/{world.pupil.id}{suffix}")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_the_pupils_own_school_dsl_is_allowed(client, world, suffix):
    sign_in(client, world.dsl)
    assert client.get(f"/pupils/{world.pupil.id}{suffix}").status_code == 200


def test_the_service_itself_refuses_anyone_but_the_schools_dsls(app, world):
    make_concern(world.school, world.pupil, world.staff)
    assert len(chronology_for(world.pupil, world.dsl)) == 1
    for who in ("staff", "other_dsl", "triage", "la_admin"):
        with pytest.raises(ChronologyRefused):
            chronology_for(world.pupil, getattr(world, who))
