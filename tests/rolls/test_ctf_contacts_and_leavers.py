"""CTF contacts, leavers and joiners (issue #17): contacts come with each pupil, encrypted, shown in
the preview when they change and on the pupil page; a pupil missing from a full roll or with a
leaving date leaves the roll, and a child with a safeguarding record has their file's transfer
started, pre-addressed to the destination school in the portal with the 5-school-day clock from
the leaving date; a joining pupil's CTF at the receiving school offers the file already waiting;
uploads never confirmed are swept after 24 hours."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from demo.ctf import InventedContact, InventedPupil, build_ctf, invented_pupils, make_upn
from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db, utcnow
from portal.files.models import StoredFile
from portal.pupils.models import Pupil, PupilContact
from portal.rolls.models import CtfUpload
from portal.transfers.models import Transfer, TransferStatus
from tests.factories import make_concern, make_la, make_school, make_user
from tests.signing_in import sign_in

FRIDAY = date(2026, 11, 20)  # a Friday: 5 school days later is the next Friday, 27 November


@pytest.fixture
def schools(app):
    la = make_la(code="938", name="Northshire")
    oakfield = make_school(la, establishment_number="2001", name="Oakfield Primary School")
    riverside = make_school(la, establishment_number="2002", name="Riverside Academy")
    return oakfield, riverside, make_user(Role.DSL, oakfield), make_user(Role.DSL, riverside)


def _upload(client, content: bytes):
    response = client.post("/pupils/import-ctf", data={"ctf": (io.BytesIO(content), "roll.xml")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return response.headers["Location"]


def _confirm(client, url: str, data: dict | None = None) -> str:
    response = client.post(url, data=data or {})
    assert response.status_code == 302
    assert "Importing" in client.get(response.headers["Location"]).get_data(as_text=True)
    run = client.get(url + "/run")
    assert run.status_code == 302
    return client.get(run.headers["Location"]).get_data(as_text=True)


def _import(client, content: bytes) -> str:
    return _confirm(client, _upload(client, content))


def _pupils(n: int = 3) -> list[InventedPupil]:
    pupils = invented_pupils(n)
    pupils[0].contacts = [
        InventedContact("Odette", pupils[0].surname, "PAM", True, [("H", "01632 960111"), ("M", "07700 900111")]),
        InventedContact("Bram", "Ockendon", "CAR", False, [("W", "01632 960222")]),
    ]
    return pupils


def _pupil_of(upn: str) -> Pupil:
    db.session.expire_all()
    return next(p for p in db.session.scalars(select(Pupil)) if p.upn == upn)


def test_contacts_are_taken_encrypted_and_shown_to_the_dsl_on_the_pupil_page(client, schools):
    oakfield, _riverside, dsl, _ = schools
    sign_in(client, dsl)
    pupils = _pupils()
    url = _upload(client, build_ctf(pupils))
    preview = client.get(url).get_data(as_text=True)
    assert "3 new pupils to add" in preview and "<th scope=\"col\" class=\"govuk-table__header\">Contacts</th>" in preview
    _confirm(client, url)
    pupil = _pupil_of(pupils[0].upn)
    assert [(c.name, c.relationship_to_pupil, c.parental_responsibility, c.phones) for c in pupil.contacts] == [
        (f"Odette {pupils[0].surname}", "Mother", True, ["Home: 01632 960111", "Mobile: 07700 900111"]),
        ("Bram Ockendon", "Carer", False, ["Work: 01632 960222"]),
    ]
    # At rest every personal column is ciphertext.
    raw = db.session.execute(text("SELECT name, relationship_to_pupil, parental_responsibility, phones "
                                  "FROM pupil_contact")).all()
    flat = " ".join(str(v) for row in raw for v in row)
    for plain in ("Odette", "Ockendon", "Mother", "Carer", "01632", "07700", "true"):
        assert plain not in flat
    page = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "Odette" in page and "Home: 01632 960111; Mobile: 07700 900111" in page and "Carer" in page
    viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pupil.contacts_view")).all()
    assert [str(e.object_id) for e in viewed] == [str(pupil.id)]


def test_another_role_or_school_does_not_see_the_contacts(client, schools):
    oakfield, riverside, dsl, other_dsl = schools
    sign_in(client, dsl)
    pupils = _pupils(1)
    _import(client, build_ctf(pupils))
    pupil = _pupil_of(pupils[0].upn)
    sign_in(client, make_user(Role.SCHOOL_STAFF, oakfield))
    assert client.get(f"/pupils/{pupil.id}").status_code == 403
    sign_in(client, other_dsl)
    assert client.get(f"/pupils/{pupil.id}").status_code == 404


def test_reimporting_changes_nothing_and_changed_contacts_are_shown_then_replaced(client, schools):
    sign_in(client, schools[2])
    pupils = _pupils()
    content = build_ctf(pupils)
    _import(client, content)
    before = {c.id for c in db.session.scalars(select(PupilContact))}
    url = _upload(client, content)
    preview = client.get(url).get_data(as_text=True)
    assert "0 pupils whose details change" in preview and "0 pupils no longer on the roll" in preview
    assert "nothing to import" in preview
    _confirm(client, url)
    db.session.expire_all()
    assert {c.id for c in db.session.scalars(select(PupilContact))} == before
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "pupil.contacts_replace")) == 3

    pupils[1].contacts = [InventedContact("Wilf", pupils[1].surname, "PAF", True, [("M", "07700 900555")])]
    url = _upload(client, build_ctf(pupils))
    preview = client.get(url).get_data(as_text=True)
    assert "1 pupils whose details change" in preview
    assert f"Wilf {pupils[1].surname} (Father, parental responsibility)" in preview
    _confirm(client, url)
    assert [c.name for c in _pupil_of(pupils[1].upn).contacts] == [f"Wilf {pupils[1].surname}"]


def test_a_leaver_with_a_record_is_pre_addressed_to_the_school_named_with_the_clock_from_the_leaving_date(client, schools):
    oakfield, riverside, dsl, riverside_dsl = schools
    sign_in(client, dsl)
    pupils = _pupils()
    _import(client, build_ctf(pupils))
    leaver = _pupil_of(pupils[0].upn)
    make_concern(oakfield, leaver, dsl)
    pupils[0].leaving_date = FRIDAY
    pupils[1].paon, pupils[1].street = "40", "Mallow Road"
    url = _upload(client, build_ctf(pupils, dest=("938", "2002")))  # DestSchool: Riverside
    preview = client.get(url).get_data(as_text=True)
    assert "1 pupils no longer on the roll" in preview and "1 pupils whose details change" in preview
    assert "Leaving date in the file" in preview and "Send it to Riverside Academy" in preview
    assert "40 Mallow Road" in preview
    done = _confirm(client, url)
    assert "1 of the leavers have a safeguarding record" in done and "1 of their files are already addressed" in done
    db.session.expire_all()
    transfer = db.session.scalars(select(Transfer)).one()
    assert (transfer.pupil_id, transfer.to_school_id, transfer.status) == (leaver.id, riverside.id, TransferStatus.TO_SEND)
    assert transfer.leaving_date == FRIDAY and transfer.due_date == date(2026, 11, 27)  # over the weekend
    assert _pupil_of(pupils[0].upn).on_roll is False
    assert _pupil_of(pupils[1].upn).address == "40 Mallow Road, Northtown"
    leavers = client.get("/transfers/leavers").get_data(as_text=True)
    assert leaver.legal_forename in leavers and "Send the file to Riverside Academy" in leavers
    # The DSL sends it through the transfer's own pages; Riverside sees it waiting.
    assert client.post(f"/transfers/{transfer.id}/send", data={"covering_note": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Transfer, transfer.id).status == TransferStatus.PENDING
    sign_in(client, riverside_dsl)
    assert "Oakfield Primary School" in client.get("/transfers").get_data(as_text=True)


def test_a_pupil_missing_from_a_full_roll_without_a_record_leaves_with_no_file_to_send(client, schools):
    sign_in(client, schools[2])
    pupils = _pupils()
    _import(client, build_ctf(pupils))
    url = _upload(client, build_ctf(pupils[1:], written="2026-11-30T16:05:12"))
    preview = client.get(url).get_data(as_text=True)
    assert "1 pupils no longer on the roll" in preview and "No safeguarding record here" in preview
    _confirm(client, url)
    gone = _pupil_of(pupils[0].upn)
    assert gone.on_roll is False and db.session.scalar(select(func.count()).select_from(Transfer)) == 0
    assert [e.end_date for e in gone.enrolments] == [date(2026, 11, 30)]
    assert "No safeguarding record: no file to send" in client.get("/transfers/leavers").get_data(as_text=True)
    sign_in(client, schools[3])  # another school's DSL: their own leavers only
    other = client.get("/transfers/leavers").get_data(as_text=True)
    assert gone.legal_surname not in other and "No pupils have left in that time" in other


@pytest.mark.parametrize("qualifier, dest", [("partial", ("938", "2001")), ("full", ("938", "2002"))])
def test_a_file_that_is_not_the_full_roll_takes_nobody_off_it(client, schools, qualifier, dest):
    sign_in(client, schools[2])
    pupils = _pupils()
    _import(client, build_ctf(pupils))
    url = _upload(client, build_ctf(pupils[:1], qualifier=qualifier, dest=dest))
    preview = client.get(url).get_data(as_text=True)
    assert "0 pupils no longer on the roll" in preview and "not your school’s full roll" in preview
    _confirm(client, url)
    assert db.session.scalar(select(func.count()).where(Pupil.on_roll.is_(True))) == 3


def test_a_joining_pupils_ctf_offers_the_file_already_waiting_for_them(client, schools):
    oakfield, riverside, dsl, riverside_dsl = schools
    sign_in(client, dsl)
    pupils = _pupils(1)
    _import(client, build_ctf(pupils))
    pupil = _pupil_of(pupils[0].upn)
    make_concern(oakfield, pupil, dsl)
    pupils[0].leaving_date = FRIDAY
    _import(client, build_ctf(pupils, dest=("938", "2002")))
    transfer = db.session.scalars(select(Transfer)).one()
    assert client.post(f"/transfers/{transfer.id}/send", data={"covering_note": ""}).status_code == 302

    sign_in(client, riverside_dsl)
    joining = build_ctf(pupils, source=("938", "2001"), dest=("938", "2002"))
    url = _upload(client, joining)
    preview = client.get(url).get_data(as_text=True)
    assert "1 child protection files waiting for pupils in this file" in preview
    assert f"/transfers/{transfer.id}" in preview and "the file sent by Oakfield Primary School" in preview
    done = _confirm(client, url)
    assert f"/transfers/{transfer.id}" in done and "Open the file sent by Oakfield Primary School" in done
    # The transfer's own page, with its own checks, accepts it.
    page = client.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "Confirm receipt" in page or "confirm receipt" in page
    assert client.post(f"/transfers/{transfer.id}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(Transfer, transfer.id).status == TransferStatus.ACCEPTED


def test_the_waiting_file_is_not_offered_to_a_school_it_was_not_sent_to(client, schools):
    oakfield, riverside, dsl, _ = schools
    sign_in(client, dsl)
    pupils = _pupils(1)
    _import(client, build_ctf(pupils))
    make_concern(oakfield, _pupil_of(pupils[0].upn), dsl)
    pupils[0].leaving_date = FRIDAY
    _import(client, build_ctf(pupils, dest=("938", "2002")))
    transfer = db.session.scalars(select(Transfer)).one()
    client.post(f"/transfers/{transfer.id}/send", data={"covering_note": ""})
    third = make_school(oakfield.local_authority, establishment_number="2003", name="Third School")
    sign_in(client, make_user(Role.DSL, third))
    preview = client.get(_upload(client, build_ctf(pupils, dest=("938", "2003")))).get_data(as_text=True)
    assert "child protection files waiting" not in preview and str(transfer.id) not in preview


def test_uploads_never_confirmed_are_swept_after_24_hours(app, client, schools):
    sign_in(client, schools[2])
    old = _upload(client, build_ctf(_pupils(1)))
    fresh = _upload(client, build_ctf(_pupils(2)))
    upload = db.session.scalars(select(CtfUpload).order_by(CtfUpload.pupil_count)).first()
    upload.uploaded_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rolls", "sweep"])
    assert result.exit_code == 0 and "1 " in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CtfUpload)) == 1
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 1
    assert client.get(old).status_code == 404 and client.get(fresh).status_code == 200


@pytest.mark.parametrize("path", ["/transfers/leavers"])
def test_the_leavers_list_refuses_other_roles(client, schools, path):
    oakfield = schools[0]
    for role, org in ((Role.SCHOOL_STAFF, oakfield), (Role.TRIAGE_WORKER, oakfield.local_authority)):
        sign_in(client, make_user(role, org))
        assert client.get(path).status_code == 403


def test_a_pupil_who_joined_after_the_full_roll_was_written_is_not_a_leaver(client, schools):
    from tests.factories import make_pupil_through_service

    oakfield = schools[0]
    sign_in(client, schools[2])
    pupils = _pupils(2)
    _import(client, build_ctf(pupils, written="2026-11-30T16:05:12"))
    make_pupil_through_service(oakfield, forename="Perrin", surname="Stallybrass", born=date(2018, 1, 5),
                               start_date=date(2026, 12, 1))
    url = _upload(client, build_ctf(pupils, written="2026-11-30T16:05:12"))
    preview = client.get(url).get_data(as_text=True)
    assert "0 pupils no longer on the roll" in preview and "joined your roll after it was written" in preview
