"""A council with no CME officer: a notice sent there is not lost. Its LA admins are emailed (a
link to invite one, nothing about the child) and their home page says a notice waits and nobody
holds the role; once an officer is there, neither happens."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth.roles import Role
from portal.cme.service import NO_OFFICER_SUBJECT
from portal.db import db
from portal.notify.models import MailMessage
from tests.cme.helpers import CME_PUPIL, send_notice
from tests.factories import make_user


def _mail():
    db.session.expire_all()
    return list(db.session.execute(select(MailMessage)).scalars())


def test_with_no_officer_the_la_admins_are_told_a_notice_waits(world):
    world.officer.active = False
    south_admin = make_user(Role.LA_ADMIN, world.southmoor, email="admin@southmoor.test", password_hash="x")
    admin_email = world.admin.email
    db.session.commit()
    admin = world.client(world.admin)
    home = admin.get("/home").get_data(as_text=True)
    assert 'id="cme-no-officer"' in home and 'data-cme-waiting="0"' in home

    send_notice(world.client(world.oak_dsl), world.pupil)

    told = [m for m in _mail() if m.subject == NO_OFFICER_SUBJECT]
    assert [m.recipient for m in told] == [admin_email]
    [mail] = told
    assert "/admin/users/invite" in mail.body or "/users/invite" in mail.body
    for word in (CME_PUPIL["forename"], CME_PUPIL["surname"], CME_PUPIL["upn"], "Oakfield", "Leeds", "9(1)"):
        assert word not in mail.body and word not in mail.subject
    assert not [m for m in _mail() if m.recipient == "cme@northshire.test"]
    assert not [m for m in _mail() if m.recipient == south_admin.email]

    home = admin.get("/home").get_data(as_text=True)
    assert 'data-cme-waiting="1"' in home and "1 off-roll notice is waiting for someone to open it" in home
    assert "nobody at your local authority holds the children missing education (cme) officer role" in home.lower()
    assert CME_PUPIL["surname"] not in home
    # The LA admin still cannot read the notice itself.
    assert admin.get("/cme/queue").status_code == 403


def test_with_an_officer_the_la_admins_are_not_emailed_and_their_home_says_nothing(world):
    admin = world.client(world.admin)
    assert 'id="cme-no-officer"' not in admin.get("/home").get_data(as_text=True)
    send_notice(world.client(world.oak_dsl), world.pupil)
    assert not [m for m in _mail() if m.subject == NO_OFFICER_SUBJECT]
    assert [m.recipient for m in _mail() if m.subject == "An off-roll notice has arrived"] == ["cme@northshire.test"]
    assert 'id="cme-no-officer"' not in admin.get("/home").get_data(as_text=True)
    # Other roles' homes never show it.
    for user in (world.oak_dsl, world.worker, world.officer):
        assert 'id="cme-no-officer"' not in world.client(user).get("/home").get_data(as_text=True)
