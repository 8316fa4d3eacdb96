"""People, a pupil and the steps of an off-roll notice through the pages, as a DSL and the
council's CME officer take them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from portal.auth.roles import Role
from portal.cme.models import OffRollNotice
from portal.db import db
from tests.factories import make_la, make_pupil, make_school, make_user
from tests.signing_in import sign_in

# Invented and distinctive, so that a leak can be searched for in emails and logs.
CME_PUPIL = {"forename": "Quenby", "surname": "Ashdown-Varga", "born": date(2013, 7, 21), "upn": "B801200005001",
             "address": "4 Larchfield Close\nNorthtown", "postcode": "NT2 9QA"}
ENQUIRIES = "Phoned mother 3 times; home visit 12 Nov found the house empty; neighbour says Quenby moved to Leeds."


@dataclass
class World:
    app: object
    northshire: object
    southmoor: object
    oakfield: object
    riverside: object
    hillcrest: object
    oak_dsl: object
    oak_deputy: object
    oak_staff: object
    river_dsl: object
    hill_dsl: object
    officer: object
    south_officer: object
    worker: object
    manager: object
    admin: object
    pupil: object
    clients: dict = field(default_factory=dict)

    def client(self, user):
        if user.id not in self.clients:
            client = self.app.test_client()
            sign_in(client, user)
            self.clients[user.id] = client
        return self.clients[user.id]


def build_world(app) -> World:
    northshire, southmoor = make_la("938", "Northshire"), make_la("939", "Southmoor")
    oakfield = make_school(northshire, name="Oakfield Primary School", urn="938001")
    riverside = make_school(northshire, name="Riverside Academy", urn="938002")
    hillcrest = make_school(southmoor, name="Hillcrest High School", urn="939001")
    return World(
        app=app, northshire=northshire, southmoor=southmoor, oakfield=oakfield, riverside=riverside,
        hillcrest=hillcrest,
        oak_dsl=make_user(Role.DSL, oakfield, display_name="Olive DSL", email="dsl@oakfield.test", password_hash="x"),
        oak_deputy=make_user(Role.DEPUTY_DSL, oakfield, display_name="Otto Deputy", password_hash="x"),
        oak_staff=make_user(Role.SCHOOL_STAFF, oakfield, display_name="Ola Teacher", password_hash="x"),
        river_dsl=make_user(Role.DSL, riverside, display_name="Rhys DSL", password_hash="x"),
        hill_dsl=make_user(Role.DSL, hillcrest, display_name="Hana DSL", password_hash="x"),
        officer=make_user(Role.CME_OFFICER, northshire, display_name="Cara CME", email="cme@northshire.test",
                          password_hash="x"),
        south_officer=make_user(Role.CME_OFFICER, southmoor, display_name="Sol CME", password_hash="x"),
        worker=make_user(Role.TRIAGE_WORKER, northshire, display_name="Tia Worker", password_hash="x"),
        manager=make_user(Role.TRIAGE_MANAGER, northshire, display_name="Max Manager", password_hash="x"),
        admin=make_user(Role.LA_ADMIN, northshire, display_name="Ada Admin", password_hash="x"),
        pupil=make_pupil(oakfield, **CME_PUPIL),
    )


def date_fields(name: str, day: date) -> dict:
    return {f"{name}": [str(day.day), str(day.month), str(day.year)]}


def notice_of(pupil) -> OffRollNotice | None:
    db.session.expire_all()
    return db.session.execute(
        select(OffRollNotice).where(OffRollNotice.pupil_id == pupil.id).order_by(OffRollNotice.created_at.desc())
    ).scalars().first()


def write_notice(client, pupil, *, grounds="9_1_g", last_day: date | None = None, kind="local_authority",
                 detail="Leeds", enquiries=ENQUIRIES) -> OffRollNotice:
    """Start and answer every question (not sent)."""
    response = client.post(f"/cme/pupils/{pupil.id}/off-roll-notice", data={})
    assert response.status_code == 302, response.get_data(as_text=True)
    notice = notice_of(pupil)
    base = f"/cme/notices/{notice.id}"
    assert response.headers["Location"].endswith(f"{base}/grounds")
    for step, data in (
        ("grounds", {"grounds": grounds}),
        ("last-day", date_fields("last_attendance", last_day or date.today() - timedelta(days=30))),
        ("destination", {"destination_kind": kind, "destination_detail": detail}),
        ("enquiries", {"enquiries": enquiries}),
    ):
        response = client.post(f"{base}/{step}", data=data)
        assert response.status_code == 302, (step, response.get_data(as_text=True))
    assert response.headers["Location"].endswith(f"{base}/check")
    return notice


def send_notice(client, pupil, **answers) -> OffRollNotice:
    notice = write_notice(client, pupil, **answers)
    response = client.post(f"/cme/notices/{notice.id}/check", data={})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/cme/notices/{notice.id}/sent")
    return notice_of(pupil)
