"""Steps of a transfer through the pages, as the DSLs would take them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.db import db
from portal.transfers.models import Transfer


def date_fields(name: str, day: date) -> dict:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def record_leaver(client, pupil, *, leaving: date, school: str | None = None, kind: str = "school", follow=False):
    data = {"destination_kind": kind, "school": school or "", **date_fields("leaving_date", leaving)}
    return client.post(f"/transfers/leavers/{pupil.id}", data=data, follow_redirects=follow)


def transfer_of(pupil) -> Transfer:
    db.session.expire_all()
    return db.session.execute(
        select(Transfer).where(Transfer.pupil_id == pupil.id).order_by(Transfer.recorded_at.desc())
    ).scalars().first()


def send(client, transfer, note: str = "Please call me about Zara."):
    return client.post(f"/transfers/{transfer.id}/send", data={"covering_note": note})


def leave_and_send(client, pupil, *, to_urn: str, leaving: date, note: str = "Please call me about Zara.") -> Transfer:
    response = record_leaver(client, pupil, leaving=leaving, school=to_urn)
    assert response.status_code == 302, response.get_data(as_text=True)
    transfer = transfer_of(pupil)
    response = send(client, transfer, note)
    assert response.status_code == 302, response.get_data(as_text=True)
    return transfer_of(pupil)


def accept(client, transfer):
    return client.post(f"/transfers/{transfer.id}/accept")


def accept_and_match(client, transfer, choice: str = "new"):
    response = accept(client, transfer)
    assert response.status_code == 302
    response = client.post(f"/transfers/{transfer.id}/match", data={"pupil": choice})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.get(Transfer, transfer.id)
