"""A rejected transfer returns to the sender; attachments arrive intact; what was sent is frozen."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from portal.concerns.models import ConcernVersion
from portal.db import db
from portal.transfers.school_days import today_uk
from tests.factories import correct_concern
from tests.transfers.helpers import accept_and_match, leave_and_send, transfer_of


def _yesterday():
    return today_uk() - timedelta(days=1)


def test_rejected_transfer_returns_to_the_sender_who_sends_it_to_the_right_school(world):
    oak, river, hill = world.client(world.oak_dsl), world.client(world.river_dsl), world.client(world.hill_dsl)
    transfer = leave_and_send(oak, world.pupil, to_urn="938002", leaving=_yesterday())
    assert river.get(f"/transfers/{transfer.id}/reject").status_code == 200
    page = river.post(f"/transfers/{transfer.id}/reject", data={"reason": ""}).get_data(as_text=True)
    assert "Enter why the file is being sent back" in page
    response = river.post(f"/transfers/{transfer.id}/reject", data={"reason": "No pupil of this name has joined us."})
    assert response.status_code == 302
    transfer = transfer_of(world.pupil)
    assert transfer.status == "rejected" and transfer.rejected_by_id == world.river_dsl.id

    # Gone from Riverside; back with Oakfield, with the reason, who and when.
    assert river.get(f"/transfers/{transfer.id}").status_code == 404
    assert river.post(f"/transfers/{transfer.id}/accept").status_code == 404
    sender_view = oak.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "No pupil of this name has joined us." in sender_view
    assert "Grace Okafor (Riverside Academy)" in sender_view
    assert "Rejected" in sender_view
    mails = [p.read_text() for p in __import__("portal.notify", fromlist=["outbox_path"]).outbox_path().glob("*.eml")]
    assert any("sent back" in m for m in mails)

    # The same school again is refused; Hillcrest (another LA) is the right one.
    page = oak.post(f"/transfers/{transfer.id}/destination", data={"destination_kind": "school", "school": "938002"})
    assert "That school sent the file back" in page.get_data(as_text=True)
    assert oak.post(f"/transfers/{transfer.id}/destination", data={"destination_kind": "school", "school": "939001"}).status_code == 302
    assert oak.post(f"/transfers/{transfer.id}/send", data={"covering_note": "Second try."}).status_code == 302
    transfer = transfer_of(world.pupil)
    assert transfer.status == "pending" and transfer.to_school_id == world.hillcrest.id
    assert len(transfer.attachments) == 2  # the first copies were discarded, fresh ones made
    assert accept_and_match(hill, transfer).status == "accepted"


def test_attachments_arrive_intact(world):
    oak, river = world.client(world.oak_dsl), world.client(world.river_dsl)
    transfer = accept_and_match(river, leave_and_send(oak, world.pupil, to_urn="938002", leaving=_yesterday()))
    history = river.get(f"/transfers/{transfer.id}/history").get_data(as_text=True)
    received = {}
    for item in transfer.attachments:
        response = river.get(f"/transfers/{transfer.id}/attachments/{item.id}")
        assert response.status_code == 200
        assert f"/transfers/{transfer.id}/attachments/{item.id}" in history
        name = response.headers["Content-Disposition"].split('filename="')[1].split('"')[0]
        received[name] = hashlib.sha256(response.get_data()).hexdigest()
        assert item.sha256 == received[name]
    assert received == world.attachments
    # The copies are files of their own, not the sender's.
    from portal.concerns.models import ConcernAttachment

    originals = {a.stored_file_id for a in db.session.query(ConcernAttachment)}
    assert not originals & {a.stored_file_id for a in transfer.attachments}


def test_what_was_sent_does_not_change_when_the_sender_edits_later(world):
    oak, river = world.client(world.oak_dsl), world.client(world.river_dsl)
    transfer = leave_and_send(oak, world.pupil, to_urn="938002", leaving=_yesterday())
    fingerprint = transfer.snapshot_sha256
    correct_concern(world.concern, world.oak_dsl, reason="Typo", account="Something else entirely.")
    assert db.session.query(ConcernVersion).filter_by(concern_id=world.concern.id).count() == 2
    transfer = accept_and_match(river, transfer)
    assert transfer.snapshot_sha256 == fingerprint
    history = river.get(f"/transfers/{transfer.id}/history").get_data(as_text=True)
    assert "Said she had not eaten since Friday lunchtime." in history
    assert "Something else entirely." not in history


def test_a_tampered_snapshot_is_not_shown(world):
    oak, river = world.client(world.oak_dsl), world.client(world.river_dsl)
    transfer = accept_and_match(river, leave_and_send(oak, world.pupil, to_urn="938002", leaving=_yesterday()))
    transfer.snapshot_sha256 = "0" * 64
    db.session.commit()
    assert river.get(f"/transfers/{transfer.id}/history").status_code == 500
    chronology = river.get(f"/pupils/{transfer.receiving_pupil_id}/chronology").get_data(as_text=True)
    assert "Transferred history could not be read" in chronology
