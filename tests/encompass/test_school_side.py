"""At the school: the notice on the pupil's chronology (its own kind, domestic abuse), linked to a
concern the DSL logged, matched by the DSL when the council routed it by hand, and carried in the
child protection file when the pupil moves."""

from __future__ import annotations

from sqlalchemy import select

from portal.chronology.service import chronology_for
from portal.db import db
from portal.encompass.models import Routing
from portal.notify.outbox import send_due
from portal.transfers.snapshot import gather
from tests.encompass.conftest import DISCLOSURE, KNOWN, as_user, child_form, children_of, record_notice
from tests.factories import make_concern, make_pupil


def _delivered(client, world, **extra):
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"], **extra)])
    send_due()
    [child] = children_of(notice_id)
    assert child.routing == Routing.DELIVERED
    return child


def test_the_notice_is_on_the_chronology_and_in_a_transferred_file(client, world):
    child = _delivered(client, world, disclosure=DISCLOSURE)
    dsl = world.people["oakfield dsl"]
    as_user(client, dsl)
    page = client.get(f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)
    assert "Operation Encompass notice from Northshire Police" in page and DISCLOSURE in page
    entries = [e for e in chronology_for(world.pupil, dsl) if e.kind == "encompass_notice"]
    assert len(entries) == 1 and entries[0].categories == frozenset({"domestic_abuse"})
    assert entries[0].kind_label == "Operation Encompass notice"
    preview = gather(world.pupil, dsl)
    [carried] = [e for e in preview.entries if e["kind"] == "encompass_notice"]
    assert ["What the child said", DISCLOSURE] in carried["details"]
    # Another school's DSL cannot open the chronology at all.
    assert client.get(f"/encompass/school/{child.id}").status_code == 200
    as_user(client, world.people["riverside dsl"])
    assert client.get(f"/pupils/{world.pupil.id}/chronology").status_code == 404
    assert child.id


def test_linking_a_concern_the_dsl_logged(client, world):
    child = _delivered(client, world)
    dsl = world.people["oakfield dsl"]
    concern = make_concern(world.oakfield, world.pupil, dsl, categories=["domestic_abuse"])
    other_pupil = make_pupil(world.oakfield)
    elsewhere = make_concern(world.oakfield, other_pupil, dsl)
    as_user(client, dsl)
    page = client.get(f"/encompass/school/{child.id}").get_data(as_text=True)
    assert "Link a concern you logged about this incident" in page
    # A concern about another pupil is refused with the form's message, and nothing changes.
    response = client.post(f"/encompass/school/{child.id}/concern", data={"concern_id": str(elsewhere.id)})
    assert response.status_code == 400 and "Select the concern to link" in response.get_data(as_text=True)
    response = client.post(f"/encompass/school/{child.id}/concern", data={"concern_id": "not-a-uuid"})
    assert response.status_code == 400
    response = client.post(f"/encompass/school/{child.id}/concern", data={"concern_id": str(concern.id)})
    assert response.status_code == 302
    assert children_of(str(child.notice_id))[0].concern_id == concern.id
    page = client.get(f"/encompass/school/{child.id}").get_data(as_text=True)
    assert f"/concerns/{concern.id}" in page


def test_a_notice_routed_by_hand_is_matched_to_a_pupil_by_the_dsl(client, world):
    # Two pupils with this name and birthday in the council: the portal holds it.
    twin = make_pupil(world.riverside, **KNOWN)
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"])])
    send_due()
    [child] = children_of(notice_id)
    assert child.routing == Routing.HELD
    # The key contact routes it to Oakfield; only one pupil there matches, so the portal links it.
    as_user(client, world.people["key contact"])
    assert client.post(f"/encompass/council/{child.id}/route", data={"school_id": str(world.oakfield.id)}).status_code == 302
    [child] = children_of(notice_id)
    assert child.pupil_id == world.pupil.id and child.routed_by_id == world.people["key contact"].id
    assert twin.id


def test_the_dsl_picks_the_pupil_when_the_school_has_two(client, world):
    second = make_pupil(world.oakfield, **KNOWN)  # a duplicate record at Oakfield
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"])])
    send_due()
    [child] = children_of(notice_id)
    assert child.routing == Routing.HELD
    as_user(client, world.people["key contact"])
    client.post(f"/encompass/council/{child.id}/route", data={"school_id": str(world.oakfield.id)})
    [child] = children_of(notice_id)
    assert child.routing == Routing.DELIVERED and child.pupil_id is None
    as_user(client, world.people["oakfield dsl"])
    page = client.get(f"/encompass/school/{child.id}").get_data(as_text=True)
    assert "Which pupil is this?" in page
    assert client.post(f"/encompass/school/{child.id}/pupil", data={"pupil_id": ""}).status_code == 400
    assert client.post(f"/encompass/school/{child.id}/pupil", data={"pupil_id": str(second.id)}).status_code == 302
    assert children_of(notice_id)[0].pupil_id == second.id


def test_the_key_contact_records_a_notice_handled_outside_the_portal(client, world):
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form("Pax", "Ellingham", KNOWN["born"])])
    send_due()
    [child] = children_of(notice_id)
    as_user(client, world.people["key contact"])
    response = client.post(f"/encompass/council/{child.id}/outside", data={"note": "  "})
    assert response.status_code == 400 and "Say how the notice was passed on" in response.get_data(as_text=True)
    response = client.post(f"/encompass/council/{child.id}/route", data={"school_id": str(world.hillcrest.id)})
    assert response.status_code == 400 and "Select the child’s school" in response.get_data(as_text=True)
    response = client.post(f"/encompass/council/{child.id}/outside",
                           data={"note": "Attends a school in Westshire: phoned its DSL at 08:05"})
    assert response.status_code == 302
    [child] = children_of(notice_id)
    assert child.routing == Routing.HANDLED_OUTSIDE
    # A second routing is refused.
    assert client.post(f"/encompass/council/{child.id}/route", data={"school_id": str(world.oakfield.id)}).status_code == 409
    as_user(client, world.people["notifier"])
    from tests.encompass.conftest import statuses

    assert statuses(client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)) == ["Held by the council"]


def test_the_register_counts_by_school_and_time_to_first_read(client, world):
    child = _delivered(client, world)
    as_user(client, world.people["oakfield deputy"])
    client.get(f"/encompass/school/{child.id}")
    as_user(client, world.people["key contact"])
    page = client.get("/encompass/council").get_data(as_text=True)
    assert "Oakfield Primary School" in page and "minutes" in page
    assert "Amelia" not in page  # the register names no child


def test_the_retention_job_destroys_a_notice_with_the_pupil_record_it_was_matched_to(client, world):
    from datetime import date

    from portal.encompass.models import EncompassChild, EncompassNotice
    from portal.retention import service as retention

    child = _delivered(client, world)
    notice_id, child_id = child.notice_id, child.id
    # The pupil reaches 25 (the notice's child row names the record).
    today = date(2014 + 25, 3, 10)
    report = retention.run(apply=True, today=today, now=utcnow_for(today))
    assert report
    db.session.expire_all()
    assert db.session.get(EncompassChild, child_id) is None
    assert db.session.get(EncompassNotice, notice_id) is not None  # the police's record of the incident stays


def utcnow_for(day):
    from datetime import datetime, time, timezone

    return datetime.combine(day, time(12), tzinfo=timezone.utc)
