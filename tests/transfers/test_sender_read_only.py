"""After the receiving school accepts the file, the sending school's record is read-only."""

from __future__ import annotations

from datetime import timedelta

from portal.concerns.models import ConcernVersion
from portal.db import db
from portal.transfers.school_days import today_uk
from tests.transfers.helpers import accept_and_match, leave_and_send


def test_the_sending_schools_record_is_read_only_once_the_transfer_is_accepted(world):
    oak = world.client(world.oak_dsl)
    pupil, concern = world.pupil, world.concern
    transfer = leave_and_send(oak, pupil, to_urn="938002", leaving=today_uk() - timedelta(days=1))
    # Sent but not yet accepted: the sender can still correct a mistake in its record.
    assert oak.get(f"/pupils/{pupil.id}/edit").status_code == 200
    accept_and_match(world.client(world.river_dsl), transfer)

    # Reading goes on: the record and its chronology stay with the sender, with the receipt.
    assert oak.get(f"/pupils/{pupil.id}").status_code == 200
    assert oak.get(f"/pupils/{pupil.id}/chronology").status_code == 200
    assert oak.get(f"/concerns/{concern.id}").status_code == 200
    # Writing is refused: the pupil's details, corrections, and new concerns about them.
    assert oak.get(f"/pupils/{pupil.id}/edit").status_code == 404
    assert oak.post(f"/pupils/{pupil.id}/edit", data={"legal_forename": "Changed"}).status_code == 404
    assert oak.get(f"/pupils/{pupil.id}/previous-schools/new").status_code == 404
    assert oak.get(f"/concerns/{concern.id}/correct").status_code == 404
    # Nor a new referral from the sending school: the receiving school refers from now on.
    assert oak.get(f"/referrals/new?pupil={pupil.id}").status_code == 404
    assert oak.post(f"/concerns/{concern.id}/correct", data={"reason": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.query(ConcernVersion).filter_by(concern_id=concern.id).count() == 1

    from portal.policy import can

    assert not can(world.oak_staff, "concern:log", pupil)
    assert not can(world.oak_dsl, "pupils:manage", pupil)
    assert can(world.oak_dsl, "pupil:view", pupil)


def test_the_sending_schools_pupil_page_says_it_is_read_only_and_offers_no_changes(world):
    oak = world.client(world.oak_dsl)
    pupil = world.pupil
    transfer = leave_and_send(oak, pupil, to_urn="938002", leaving=today_uk() - timedelta(days=1))
    page = oak.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "This record is read-only" not in page and f"/pupils/{pupil.id}/edit" in page  # sent, not yet accepted
    accept_and_match(world.client(world.river_dsl), transfer)

    page = oak.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "This record is read-only" in page and "sent to Riverside Academy, which confirmed receipt" in page
    assert f"/transfers/{transfer.id}" in page and f"/pupils/{pupil.id}/chronology" in page
    # No link to a page that would refuse: the details, previous schools, a new concern, leaving again.
    for refused in (f"/pupils/{pupil.id}/edit", f"/pupils/{pupil.id}/previous-schools/new", "/concerns/new",
                    f"/referrals/new?pupil={pupil.id}",
                    f"/transfers/leavers/{pupil.id}", f"/transfers/requests/new?pupil={pupil.id}"):
        assert refused not in page, refused
