"""Transferred records are read-only for the receiver; a second move carries both schools' history."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from werkzeug.routing import UUIDConverter

from portal.concerns.models import Concern, ConcernAttachment, ConcernVersion
from portal.db import db
from portal.pupils.models import Pupil
from portal.referrals.models import Referral
from portal.transfers.school_days import today_uk
from portal.transfers.models import Transfer
from portal.updates.models import SharedUpdate
from tests.factories import make_concern
from tests.transfers.helpers import accept_and_match, leave_and_send, transfer_of

REFUSED = {400, 403, 404, 405, 409}


def _yesterday():
    return today_uk() - timedelta(days=1)


def _state(transfer_id):
    db.session.expire_all()
    transfer = db.session.get(Transfer, transfer_id)
    return (
        transfer.status, transfer.snapshot_sha256, transfer.receiving_pupil_id, transfer.to_school_id,
        tuple(sorted((a.id, a.sha256) for a in transfer.attachments)), len(transfer.events),
        db.session.query(ConcernVersion).count(), db.session.query(Concern).count(),
        db.session.query(Referral).count(), db.session.query(SharedUpdate).count(),
        db.session.query(Pupil).filter(Pupil.school_id == transfer.from_school_id).count(),
    )


def test_every_write_url_is_refused_to_the_receiver_for_transferred_records(world, app):
    oak, river = world.client(world.oak_dsl), world.client(world.river_dsl)
    transfer = accept_and_match(river, leave_and_send(oak, world.pupil, to_urn="938002", leaving=_yesterday()))
    referral = db.session.query(Referral).one()
    update = db.session.query(SharedUpdate).one()
    attachment = db.session.query(ConcernAttachment).first()
    ids = {
        "pupil_id": world.pupil.id, "concern_id": world.concern.id, "referral_id": referral.id,
        "update_id": update.id, "transfer_id": transfer.id, "attachment_id": transfer.attachments[0].id,
        "target_id": uuid.uuid4(), "closure_id": uuid.uuid4(), "member_id": uuid.uuid4(), "user_id": world.oak_dsl.id,
        "file_id": attachment.stored_file_id, "school_id": world.oakfield.id,
    }
    before = _state(transfer.id)
    tried = []
    for rule in app.url_map.iter_rules():
        if not rule.methods or not ({"POST", "PUT", "PATCH", "DELETE"} & rule.methods):
            continue
        converters = rule._converters
        if not converters or not all(isinstance(c, UUIDConverter) for c in converters.values()):
            continue  # a write about no particular record (a new concern, sign-in...): not transferred data
        # The sending school's record for every id the URL takes (a random id for anything else).
        url = rule.build({name: ids.get(name, uuid.uuid4()) for name in converters})[1]
        for method in {"POST", "PUT", "PATCH", "DELETE"} & rule.methods:
            response = river.open(url, method=method, data={"csrf_token": river.csrf_token(), "reason": "x",
                                                            "pupil": "new", "covering_note": "x"})
            tried.append(rule.endpoint)
            if rule.endpoint == "transfers.accept":
                # Confirming receipt again changes nothing: it leads to the history.
                assert response.status_code == 302, url
            else:
                assert response.status_code in REFUSED, (rule.endpoint, response.status_code)
    assert {"transfers.send" if "transfers.send" in tried else "transfers.review", "transfers.reject",
            "transfers.match", "transfers.destination", "concerns.correct", "pupils.edit"} <= set(tried)
    assert _state(transfer.id) == before
    # Nor can the live records at the sender be read: only the frozen copy.
    assert river.get(f"/concerns/{world.concern.id}").status_code == 404
    assert river.get(f"/referrals/{referral.id}").status_code == 404


def test_a_second_move_carries_both_schools_history(world):
    oak, river, hill = world.client(world.oak_dsl), world.client(world.river_dsl), world.client(world.hill_dsl)
    first = accept_and_match(river, leave_and_send(oak, world.pupil, to_urn="938002", leaving=today_uk() - timedelta(days=30)))
    at_riverside = db.session.get(Pupil, first.receiving_pupil_id)
    # New concerns at Riverside continue the same chronology.
    make_concern(world.riverside, at_riverside, world.river_dsl, occurred_at=first.accepted_at + timedelta(minutes=5),
                 account="Arrived at Riverside without a coat in the snow.")
    chronology = river.get(f"/pupils/{at_riverside.id}/chronology").get_data(as_text=True)
    assert "Arrived at Riverside without a coat" in chronology and "Said she had not eaten since Friday" in chronology

    second = leave_and_send(river, at_riverside, to_urn="939001", leaving=today_uk(), note="Moved to Southmoor.")
    assert second.from_school_id == world.riverside.id
    second = accept_and_match(hill, second)
    history = hill.get(f"/transfers/{second.id}/history").get_data(as_text=True)
    assert "Arrived at Riverside without a coat in the snow." in history
    assert "Said she had not eaten since Friday lunchtime." in history
    assert "From Oakfield Primary School" in history and "From Riverside Academy" in history
    at_hillcrest = db.session.get(Pupil, second.receiving_pupil_id)
    chronology = hill.get(f"/pupils/{at_hillcrest.id}/chronology").get_data(as_text=True)
    assert "transferred from Oakfield Primary School" in chronology
    assert "transferred from Riverside Academy" in chronology
    # Oakfield's attachments made the second journey intact too.
    received = {}
    for item in second.attachments:
        response = hill.get(f"/transfers/{second.id}/attachments/{item.id}")
        name = response.headers["Content-Disposition"].split('filename="')[1].split('"')[0]
        received[name] = hashlib.sha256(response.get_data()).hexdigest()
    assert received == world.attachments
    # Riverside keeps its record and the receipt; Oakfield sees nothing of the second move.
    assert "Receipt confirmed" in river.get(f"/transfers/{second.id}").get_data(as_text=True)
    assert oak.get(f"/transfers/{second.id}").status_code == 404


def test_receiver_matches_an_existing_pupil_found_by_upn(world):
    from tests.factories import make_pupil
    from tests.transfers.conftest import UPN

    existing = make_pupil(world.riverside, forename="Zara", surname="Pemberton", upn=UPN)
    make_pupil(world.riverside, forename="Someone", surname="Else")
    oak, river = world.client(world.oak_dsl), world.client(world.river_dsl)
    transfer = leave_and_send(oak, world.pupil, to_urn="938002", leaving=_yesterday())
    river.post(f"/transfers/{transfer.id}/accept")
    page = river.get(f"/transfers/{transfer.id}/match").get_data(as_text=True)
    assert "Zara Pemberton" in page and "Someone Else" not in page
    assert river.post(f"/transfers/{transfer.id}/match", data={"pupil": str(uuid.uuid4())}).status_code == 200
    assert river.post(f"/transfers/{transfer.id}/match", data={"pupil": str(existing.id)}).status_code == 302
    assert transfer_of(world.pupil).receiving_pupil_id == existing.id
    assert db.session.query(Pupil).filter(Pupil.school_id == world.riverside.id).count() == 2


def test_a_new_record_leaves_out_an_identifier_this_portal_refuses(world):
    world.pupil.upn = "A123456789012"  # not a valid UPN: typed in long ago at the sending school
    db.session.commit()
    oak, river = world.client(world.oak_dsl), world.client(world.river_dsl)
    transfer = accept_and_match(river, leave_and_send(oak, world.pupil, to_urn="938002", leaving=_yesterday()))
    created = db.session.get(Pupil, transfer.receiving_pupil_id)
    assert created.upn is None and created.nhs_number == world.pupil.nhs_number
    assert "A123456789012" in river.get(f"/transfers/{transfer.id}/history").get_data(as_text=True)
