"""Requesting a file by UPN or NHS number; the receipt PDF; the demo data."""

from __future__ import annotations

from datetime import timedelta

from pypdf import PdfReader
import io

from portal.db import db
from portal.notify.outbox import send_due as mail_worker_pass
from portal.transfers.school_days import today_uk
from portal.transfers.models import Transfer, TransferRequest, TransferRequestTarget
from tests.factories import make_pupil
from tests.transfers.conftest import UPN
from tests.transfers.helpers import accept_and_match, date_fields, leave_and_send, transfer_of


def test_request_by_upn_puts_the_pupil_on_the_previous_schools_list_and_is_answered_by_sending(world):
    river, oak = world.client(world.river_dsl), world.client(world.oak_dsl)
    joined = make_pupil(world.riverside, forename="Zara", surname="Okonkwo-Pemberton", upn=UPN)
    page = river.post(f"/transfers/requests/new?pupil={joined.id}", data={"upn": UPN.lower(), "nhs_number": ""})
    assert "Request sent" in page.get_data(as_text=True)
    assert "Oakfield" not in page.get_data(as_text=True)  # the holder is not named before it sends
    mail_worker_pass()
    target = db.session.query(TransferRequestTarget).one()
    assert target.holder_school_id == world.oakfield.id and target.status == "open"

    listing = oak.get("/transfers").get_data(as_text=True)
    assert "Zara Okonkwo-Pemberton" in listing and "Send the file" in listing
    assert 'data-transfers-waiting' in oak.get("/home").get_data(as_text=True)
    # Answered by sending: the pupil is still on Oakfield's roll, so a leaving date is asked for.
    response = oak.post(f"/transfers/requests/{target.id}/send", data=date_fields("leaving_date", today_uk() - timedelta(days=1)))
    assert response.status_code == 302
    transfer = transfer_of(world.pupil)
    assert transfer.to_school_id == world.riverside.id and transfer.status == "to_send"
    assert oak.post(f"/transfers/{transfer.id}/send", data={"covering_note": ""}).status_code == 302
    db.session.expire_all()
    target = db.session.get(TransferRequestTarget, target.id)
    assert target.status == "sent" and target.answered_by_id == world.oak_dsl.id and target.transfer_id == transfer.id
    # Accepting needs no matching: the request was made from Riverside's own record.
    assert river.post(f"/transfers/{transfer.id}/accept").status_code == 302
    assert transfer_of(world.pupil).receiving_pupil_id == joined.id
    assert "file sent" in river.get("/transfers").get_data(as_text=True).lower()


def test_request_by_nhs_number_answered_by_we_hold_no_file(world):
    river, oak, hill = world.client(world.river_dsl), world.client(world.oak_dsl), world.client(world.hill_dsl)
    river.post("/transfers/requests/new", data={"upn": "", "nhs_number": "943 476 5919"})
    mail_worker_pass()
    target = db.session.query(TransferRequestTarget).one()
    assert hill.post(f"/transfers/requests/{target.id}/no-file").status_code == 404
    assert oak.get(f"/transfers/requests/{target.id}/no-file").status_code == 200
    assert oak.post(f"/transfers/requests/{target.id}/no-file").status_code == 302
    db.session.expire_all()
    target = db.session.get(TransferRequestTarget, target.id)
    assert target.status == "no_file" and target.answered_by_id == world.oak_dsl.id and target.answered_at
    assert "Answered: no file held" in river.get("/transfers").get_data(as_text=True)
    assert "Answered: no file held" in oak.get("/transfers").get_data(as_text=True)


def test_request_must_name_one_valid_identifier_and_finds_nothing_at_the_own_school(world):
    river = world.client(world.river_dsl)
    page = river.post("/transfers/requests/new", data={"upn": "", "nhs_number": ""}).get_data(as_text=True)
    assert "Enter the pupil’s UPN or their NHS number" in page
    page = river.post("/transfers/requests/new", data={"upn": "", "nhs_number": "1234567890"}).get_data(as_text=True)
    assert "NHS number" in page and db.session.query(TransferRequest).count() == 0
    make_pupil(world.riverside, nhs_number="4010232137")
    page = river.post("/transfers/requests/new", data={"upn": "", "nhs_number": "4010232137"}).get_data(as_text=True)
    assert "Request sent" in page
    mail_worker_pass()
    assert db.session.query(TransferRequest).count() == 1
    assert db.session.query(TransferRequestTarget).count() == 0


def test_receipt_pdf_says_who_received_what_and_when(world):
    oak, river = world.client(world.oak_dsl), world.client(world.river_dsl)
    transfer = accept_and_match(river, leave_and_send(oak, world.pupil, to_urn="938002", leaving=today_uk() - timedelta(days=1)))
    response = oak.get(f"/transfers/{transfer.id}/receipt.pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    assert str(transfer.id) in response.headers["Content-Disposition"] and "Zara" not in response.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
    assert "Grace Okafor" in text and "Riverside Academy" in text and "Receipt confirmed" in text
    assert transfer.snapshot_sha256[:16] in text.replace("\n", "")
    assert world.client(world.hill_dsl).get(f"/transfers/{transfer.id}/receipt.pdf").status_code == 404


def test_demo_transfer_waits_at_riverside_and_seeding_twice_changes_nothing(app):
    from demo.cli import seed
    from demo.transfers import seed_demo_transfers
    from portal.auth.signin import find_user

    seed()
    seed_demo_transfers()
    db.session.commit()
    seed_demo_transfers()
    db.session.commit()
    transfers = db.session.query(Transfer).all()
    assert len(transfers) == 1
    transfer = transfers[0]
    assert transfer.status == "pending" and transfer.snapshot["entries"]
    from portal.concerns.models import Concern, ConcernAttachment

    attached = db.session.query(ConcernAttachment).join(Concern).filter(Concern.pupil_id == transfer.pupil_id).count()
    assert len(transfer.attachments) == attached
    from portal.orgs.service import get_school_by_urn

    assert transfer.from_school_id == get_school_by_urn("938001").id
    assert transfer.to_school_id == get_school_by_urn("938002").id
    from tests.signing_in import sign_in

    client = app.test_client()
    sign_in(client, find_user("dsl@riverside.demo"))
    assert "waiting for you to confirm receipt" in client.get("/home").get_data(as_text=True)


def test_a_request_answers_the_same_for_a_child_held_elsewhere_and_for_one_held_nowhere(world):
    """Issue 15, finding 8: the answer said whether a school anywhere in the country held the
    identifier. Now the page only records the request (the same statements either way) and the
    mail worker looks for holders; the list says "Waiting for an answer" until one answers."""
    from sqlalchemy import event

    river = world.client(world.river_dsl)
    river.post("/transfers/requests/new", data={"upn": "", "nhs_number": "4010232137"})  # warm-up
    statements: dict[str, list[str]] = {}

    def post(name, data):
        seen = statements.setdefault(name, [])

        def record(conn, cursor, statement, parameters, context, executemany):
            if "crypto_data_key" not in statement:  # the keyring's cache refreshing is not the look-up
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            return river.post("/transfers/requests/new", data=data).get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    held = post("held", {"upn": "", "nhs_number": "943 476 5919"})  # Oakfield holds this NHS number
    nowhere = post("nowhere", {"upn": "", "nhs_number": "9434765870"})
    assert _without_varying(held) == _without_varying(nowhere)
    assert statements["held"] == statements["nowhere"]
    assert db.session.query(TransferRequestTarget).count() == 0  # nobody told yet
    listing = _without_varying(river.get("/transfers").get_data(as_text=True))
    assert listing.count("Waiting for an answer") == 3
    mail_worker_pass()
    assert db.session.query(TransferRequestTarget).count() == 1
    assert _without_varying(river.get("/transfers").get_data(as_text=True)).count("Waiting for an answer") == 3
    assert world.client(world.oak_dsl).get("/transfers").get_data(as_text=True).count("Send the file") == 1


def _without_varying(page: str) -> str:
    from tests.auth.test_enumeration import VARYING

    for pattern in VARYING:
        page = pattern.sub("", page)
    return page
