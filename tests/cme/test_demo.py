"""The demo as a new user tries it: Oakfield's DSL sends an off-roll notice about a demo pupil;
Northshire's CME officer (cme@northshire.demo, signed in through the real pages) finds it in the
queue and closes it; Oakfield sees the outcome."""

from __future__ import annotations

from sqlalchemy import select

from demo.auth import DEMO_PASSWORD, DEMO_TOTP_SECRET
from demo.cli import seed
from portal.auth.models import User
from portal.auth import totp
from portal.db import db
from portal.pupils.models import Pupil
from tests.cme.helpers import notice_of, send_notice
from tests.signing_in import sign_in


def _user(email):
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def test_the_demo_cme_officer_works_an_oakfield_notice(app):
    seed()
    db.session.commit()
    dsl = _user("dsl@oakfield.demo")
    pupil = next(p for p in db.session.execute(select(Pupil).where(Pupil.school_id == dsl.school_id)).scalars()
                 if p.on_roll and p.transferred_out_at is None)
    school = app.test_client()
    sign_in(school, dsl)
    notice = send_notice(school, pupil)

    officer = app.test_client()
    officer.post("/sign-in", data={"email": "cme@northshire.demo", "password": DEMO_PASSWORD})
    assert officer.post("/sign-in/code", data={"code": totp.current_code(DEMO_TOTP_SECRET)}).status_code == 302
    home = officer.get("/home").get_data(as_text=True)
    assert "Children missing education officer" in home and 'id="cme-panel"' in home
    assert pupil.legal_surname in officer.get("/cme/queue").get_data(as_text=True)
    assert officer.post(f"/cme/queue/{notice.id}/close",
                        data={"outcome": "home_education", "detail": ""}).status_code == 302
    assert notice_of(pupil).status == "closed"
    listing = school.get("/cme/notices").get_data(as_text=True)
    assert "Elective home education registered with the local authority" in listing
