"""The whole journey, tried as new users would: Oakfield's DSL records a leaver to Riverside and
sends the file; Riverside's DSL confirms receipt and sees the history read-only; Oakfield sees the
receipt; Hillcrest (another LA) sees nothing of it."""

from __future__ import annotations

from datetime import timedelta

from portal.audit.models import AuditEvent
from portal.db import db
from portal.pupils.models import Pupil
from portal.transfers.school_days import today_uk
from sqlalchemy import select
from tests.transfers.helpers import accept, accept_and_match, leave_and_send, record_leaver, send, transfer_of


def _last_school_day(world):
    day = today_uk() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def test_leaver_is_sent_received_and_receipted(world):
    oak, river, hill = world.client(world.oak_dsl), world.client(world.river_dsl), world.client(world.hill_dsl)

    # Oakfield: record the leaver, finding Riverside by its URN.
    response = record_leaver(oak, world.pupil, leaving=_last_school_day(world), school="938002")
    transfer = transfer_of(world.pupil)
    assert response.headers["Location"].endswith(f"/transfers/{transfer.id}/send")
    db.session.refresh(world.pupil)
    assert world.pupil.on_roll is False
    assert [e.end_date for e in world.pupil.enrolments] == [transfer.leaving_date]
    assert transfer.status == "to_send" and transfer.to_school_id == world.riverside.id

    # Review what will go: the whole chronology with its attachments.
    page = oak.get(f"/transfers/{transfer.id}/send").get_data(as_text=True)
    assert "Said she had not eaten since Friday lunchtime." in page
    assert "Family agreed to early help." in page
    assert "Decision: early help" in page
    assert "notes.txt" in page and "photo.png" in page

    assert send(oak, transfer, "Call me first: mum is engaging.").status_code == 302
    transfer = transfer_of(world.pupil)
    assert transfer.status == "pending" and transfer.sent_by_id == world.oak_dsl.id

    # Riverside: told on the home page, sees only who sent it until receipt is confirmed.
    home = river.get("/home").get_data(as_text=True)
    assert "1 child protection file is waiting for you to confirm receipt" in home
    waiting = river.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "Oakfield Primary School" in waiting and "Priya Shah" in waiting
    for secret in ("Zara", "Okonkwo", "B801200005001", "Call me first", "eaten"):
        assert secret not in waiting
    assert transfer_of(world.pupil).status == "viewed"

    # Oakfield sees "viewed", with who and when.
    sender_view = oak.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "Viewed" in sender_view and "Grace Okafor (Riverside Academy)" in sender_view

    # Riverside confirms receipt, matches (no record yet: a new one) and reads the history.
    transfer = accept_and_match(river, transfer)
    assert transfer.status == "accepted" and transfer.accepted_by_id == world.river_dsl.id
    new_pupil = db.session.get(Pupil, transfer.receiving_pupil_id)
    assert new_pupil.school_id == world.riverside.id and new_pupil.upn == "B801200005001"
    chronology = river.get(f"/pupils/{new_pupil.id}/chronology").get_data(as_text=True)
    assert "transferred from Oakfield Primary School" in chronology
    assert "Said she had not eaten since Friday lunchtime." in chronology
    assert "Child protection file received from Oakfield Primary School" in chronology
    history = river.get(f"/transfers/{transfer.id}/history").get_data(as_text=True)
    assert "Call me first: mum is engaging." in history and "notes.txt" in history

    # Oakfield: the receipt, who and when, kept on the transfer and its own record read-only.
    sender_view = oak.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "Receipt confirmed" in sender_view and "Grace Okafor (Riverside Academy)" in sender_view
    assert oak.get(f"/transfers/{transfer.id}/receipt.pdf").status_code == 200
    assert river.get(f"/transfers/{transfer.id}/receipt.pdf").status_code == 200
    oak_chronology = oak.get(f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)
    assert "Child protection file sent to Riverside Academy" in oak_chronology

    # Hillcrest, in another LA, sees nothing of it.
    for url in (f"/transfers/{transfer.id}", f"/transfers/{transfer.id}/history", f"/transfers/{transfer.id}/receipt.pdf",
                f"/pupils/{new_pupil.id}/chronology", f"/pupils/{world.pupil.id}/chronology"):
        assert hill.get(url).status_code == 404, url
    listing = hill.get("/transfers").get_data(as_text=True)
    assert "Oakfield" not in listing and "Zara" not in listing

    actions = set(db.session.execute(select(AuditEvent.action).where(AuditEvent.object_id == str(transfer.id))).scalars())
    assert {"transfer.leaver_record", "transfer.send", "transfer.view_waiting", "transfer.accept", "transfer.match",
            "transfer.history_view", "transfer.receipt_export"} <= actions


def test_receiving_school_sees_nothing_of_the_child_before_confirming(world):
    oak, river = world.client(world.oak_dsl), world.client(world.river_dsl)
    transfer = leave_and_send(oak, world.pupil, to_urn="938002", leaving=_last_school_day(world))
    for url in (f"/transfers/{transfer.id}/history", f"/transfers/{transfer.id}/match",
                f"/transfers/{transfer.id}/receipt.pdf", f"/pupils/{world.pupil.id}/chronology",
                f"/pupils/{world.pupil.id}", f"/concerns/{world.concern.id}"):
        assert river.get(url).status_code == 404, url
    attachment = transfer.attachments[0]
    assert river.get(f"/transfers/{transfer.id}/attachments/{attachment.id}").status_code == 404
    listing = river.get("/transfers").get_data(as_text=True)
    assert "Oakfield Primary School" in listing
    assert "Zara" not in listing and "Okonkwo" not in listing
    # The email says something is waiting, never who it is about.
    from portal.notify import outbox_path

    mails = [p.read_text() for p in outbox_path().glob("*.eml")]
    waiting = [m for m in mails if "waiting for you" in m]
    assert waiting and all("Zara" not in m and "Okonkwo" not in m and "Oakfield" not in m for m in waiting)


def test_a_deputy_at_the_receiving_school_may_confirm_receipt(world):
    transfer = leave_and_send(world.client(world.oak_dsl), world.pupil, to_urn="938002", leaving=_last_school_day(world))
    assert accept(world.client(world.river_deputy), transfer).status_code == 302
    assert transfer_of(world.pupil).accepted_by_id == world.river_deputy.id


def test_school_staff_and_other_schools_cannot_record_or_send(world):
    staff, hill = world.client(world.oak_staff), world.client(world.hill_dsl)
    assert staff.get("/transfers").status_code == 403
    assert record_leaver(staff, world.pupil, leaving=_last_school_day(world), school="938002").status_code == 403
    assert record_leaver(hill, world.pupil, leaving=_last_school_day(world), school="938002").status_code == 404
    assert transfer_of(world.pupil) is None
    transfer = leave_and_send(world.client(world.oak_dsl), world.pupil, to_urn="938002", leaving=_last_school_day(world))
    assert hill.post(f"/transfers/{transfer.id}/accept").status_code == 404
    assert staff.post(f"/transfers/{transfer.id}/accept").status_code == 403


def test_destination_found_by_name_across_las_with_a_choice_when_several_match(world):
    from tests.factories import make_school

    make_school(world.southmoor, name="Hillcrest Infant School", urn="939002")
    oak = world.client(world.oak_dsl)
    page = record_leaver(oak, world.pupil, leaving=_last_school_day(world), school="hillcrest").get_data(as_text=True)
    assert "Hillcrest High School" in page and "Hillcrest Infant School" in page and "Select the pupil’s new school" in page
    assert transfer_of(world.pupil) is None
    response = oak.post(f"/transfers/leavers/{world.pupil.id}", data={
        "destination_kind": "school", "school": "hillcrest", "school_id": str(world.hillcrest.id),
        "leaving_date": [str(_last_school_day(world).day), str(_last_school_day(world).month), str(_last_school_day(world).year)],
    })
    assert response.status_code == 302
    assert transfer_of(world.pupil).to_school_id == world.hillcrest.id


def test_bad_leaver_answers_are_shown_with_what_was_typed(world):
    oak = world.client(world.oak_dsl)
    page = record_leaver(oak, world.pupil, leaving=today_uk() + timedelta(days=3), school="no such school").get_data(as_text=True)
    assert "No school in the portal matches that URN or name" in page
    assert 'value="no such school"' in page
    page = record_leaver(oak, world.pupil, leaving=today_uk() + timedelta(days=3), school="938002").get_data(as_text=True)
    assert "The leaving date must be today or in the past" in page
    assert transfer_of(world.pupil) is None


def test_unknown_destination_can_be_set_later_and_elective_home_education_needs_no_send(world, app):
    from tests.factories import make_pupil

    oak = world.client(world.oak_dsl)
    record_leaver(oak, world.pupil, leaving=_last_school_day(world), kind="unknown")
    transfer = transfer_of(world.pupil)
    assert transfer.status == "destination_unknown"
    response = oak.post(f"/transfers/{transfer.id}/destination", data={"destination_kind": "school", "school": "939001"})
    assert response.status_code == 302
    assert transfer_of(world.pupil).status == "to_send"

    other = make_pupil(world.oakfield, on_roll=True)
    record_leaver(oak, other, leaving=_last_school_day(world), kind="elective_home_education")
    assert transfer_of(other).status == "no_transfer"
    assert oak.post(f"/transfers/{transfer_of(other).id}/send", data={}).status_code == 302
    assert transfer_of(other).status == "no_transfer"
