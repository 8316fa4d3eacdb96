"""Every transfer page renders for the school it belongs to, and answers 404 to another school."""

from __future__ import annotations

from datetime import timedelta

from portal.db import db
from portal.notify.outbox import send_due
from portal.transfers.school_days import today_uk
from portal.transfers.models import TransferRequestTarget
from tests.factories import make_pupil
from tests.transfers.conftest import UPN
from tests.transfers.helpers import leave_and_send, record_leaver, transfer_of


def test_sending_pages_render_and_are_refused_to_other_schools(world):
    oak, hill = world.client(world.oak_dsl), world.client(world.hill_dsl)
    leavers = oak.post("/transfers/leavers", data={"name": "zara"}).get_data(as_text=True)
    assert "Zara" in leavers
    assert oak.get(f"/transfers/leavers/{world.pupil.id}").status_code == 200
    assert hill.get(f"/transfers/leavers/{world.pupil.id}").status_code == 404
    record_leaver(oak, world.pupil, leaving=today_uk() - timedelta(days=1), school="938002")
    transfer = transfer_of(world.pupil)
    for url in (f"/transfers/{transfer.id}", f"/transfers/{transfer.id}/destination", f"/transfers/{transfer.id}/send"):
        assert oak.get(url).status_code == 200, url
        assert hill.get(url).status_code == 404, url
    # Not sent yet: Riverside knows nothing of it.
    river = world.client(world.river_dsl)
    assert river.get(f"/transfers/{transfer.id}").status_code == 404
    oak.post(f"/transfers/{transfer.id}/send", data={"covering_note": ""})
    page = oak.get(f"/transfers/{transfer.id}/sent").get_data(as_text=True)
    assert "Child protection file sent" in page and "Riverside Academy" in page
    assert oak.get(f"/transfers/{transfer.id}/history").status_code == 200  # what was sent, read-only
    assert oak.get(f"/transfers/{transfer.id}/destination").status_code == 302  # sent: no more changes


def test_request_pages_render_for_the_holder_only(world):
    river, oak, hill = world.client(world.river_dsl), world.client(world.oak_dsl), world.client(world.hill_dsl)
    joined = make_pupil(world.riverside, upn=UPN)
    form = river.get(f"/transfers/requests/new?pupil={joined.id}").get_data(as_text=True)
    assert UPN in form
    assert hill.get(f"/transfers/requests/new?pupil={joined.id}").status_code == 404
    river.post("/transfers/requests/new", data={"upn": UPN, "nhs_number": ""})
    send_due()  # the mail worker matches the request to the schools holding the UPN
    target = db.session.query(TransferRequestTarget).one()
    for url in (f"/transfers/requests/{target.id}/send", f"/transfers/requests/{target.id}/no-file"):
        assert oak.get(url).status_code == 200, url
        assert river.get(url).status_code == 404, url
        assert hill.get(url).status_code == 404, url


def test_home_page_link_and_panel_only_for_leads(world):
    transfer = leave_and_send(world.client(world.oak_dsl), world.pupil, to_urn="938002", leaving=today_uk() - timedelta(days=1))
    assert transfer.status == "pending"
    assert "Transfers of child protection files" in world.client(world.river_dsl).get("/home").get_data(as_text=True)
    staff_home = world.client(world.oak_staff).get("/home").get_data(as_text=True)
    assert "Transfers of child protection files" not in staff_home and "transfers-panel" not in staff_home
