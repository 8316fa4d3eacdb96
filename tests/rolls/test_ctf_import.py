"""Pupils -> Import a CTF: a DSL uploads a Common Transfer File from the school's MIS, sees what it
would change, and confirms. Hostile or wrong files are refused with a clear message and nothing
saved; matching is UPN, then former UPN, then (only as a probable match the DSL decides) surname
and date of birth; importing the same file twice changes nothing."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from demo.ctf import InventedPupil, build_ctf, invented_pupils, make_upn
from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.files.models import StoredFile
from portal.pupils.models import Pupil
from tests.factories import make_la, make_pupil_through_service, make_school, make_user
from tests.signing_in import sign_in

FILES = Path(__file__).parent / "files"


@pytest.fixture
def oakfield(app):
    la = make_la(code="938", name="Northshire")
    school = make_school(la, establishment_number="2001", name="Oakfield Primary School")
    return school, make_user(Role.DSL, school)


def _upload(client, content: bytes, name: str = "roll.xml"):
    return client.post("/pupils/import-ctf", data={"ctf": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _nothing_saved():
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def _preview_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def _confirm(client, url: str, data: dict | None = None):
    """Confirm the import as the DSL does: the confirmation, the 'Importing…' page, the import
    the page asks for (a refresh), then the confirmation page. Returns the last response."""
    response = client.post(url, data=data or {})
    assert response.status_code == 302 and response.headers["Location"].endswith("/importing"), response.status_code
    importing = client.get(response.headers["Location"])
    page = importing.get_data(as_text=True)
    assert "Importing" in page and 'http-equiv="refresh"' in page
    run = client.get(url + "/run")
    assert run.status_code == 302
    return client.get(run.headers["Location"])


def _pupil(**fields) -> InventedPupil:
    values = dict(upn=make_upn("938", "2001", 2020, 1), forename="Marisol", surname="Quarrington",
                  dob=date(2017, 5, 14), sex="F", nc_year="4", ethnicity="MWBA", sen="K", paon="7",
                  street="Heron Rise", town="Northtown", postcode="nn3 2ab", nhs_number="943 476 5919",
                  preferred_forename="Mari", entry_date=date(2021, 9, 1))
    values.update(fields)
    return InventedPupil(**values)


@pytest.mark.parametrize("name, message", [
    ("malformed.xml", "it is not well-formed XML"),
    ("external-entity.xml", "declares a document type or entities"),
    ("billion-laughs.xml", "declares a document type or entities"),
])
def test_hostile_and_broken_files_are_refused_and_nothing_is_saved(client, oakfield, name, message):
    sign_in(client, oakfield[1])
    response = _upload(client, (FILES / name).read_bytes())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and "There is a problem" in page
    assert "root:" not in page and "lol" not in page
    _nothing_saved()
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rolls.ctf_upload")).all()
    assert [e.outcome for e in refused] == ["refused"]


def test_a_file_of_50mb_is_refused_with_a_clear_message(client, oakfield):
    sign_in(client, oakfield[1])
    response = _upload(client, b"<CTfile>" + b" " * (50 * 1024 * 1024) + b"</CTfile>")
    assert response.status_code == 413 and "The file is too large" in response.get_data(as_text=True)
    _nothing_saved()


def test_a_file_over_the_ctf_limit_is_refused_by_the_service_too(oakfield):
    from portal.rolls.ctf import MAX_CTF_BYTES, CtfRefused, parse
    with pytest.raises(CtfRefused, match="smaller than 20MB"):
        parse(b" " * (MAX_CTF_BYTES + 1), laestab="9382001")


def test_a_file_from_and_to_other_schools_is_refused(client, oakfield):
    sign_in(client, oakfield[1])
    content = build_ctf([_pupil()], source=("938", "4001"), dest=("939", "4002"))
    page = _upload(client, content).get_data(as_text=True)
    assert "neither from your school nor addressed to it" in page
    _nothing_saved()


@pytest.mark.parametrize("content, message", [
    (build_ctf([_pupil()], version="12.0"), "the portal reads CTF versions 16 to 26"),
    (b"<?xml version='1.0'?><Roll><Pupil/></Roll>", "it does not start with CTfile"),
    (b"<CTfile><CTFpupilData/></CTfile>", "it has no Header"),
    (b"", "Select a Common Transfer File"),
    ("<CTfile/>".encode("utf-16"), "not a Common Transfer File"),
])
def test_files_that_are_not_a_supported_ctf_are_refused_with_a_reason(client, oakfield, content, message):
    sign_in(client, oakfield[1])
    response = _upload(client, content) if content else client.post(
        "/pupils/import-ctf", data={}, content_type="multipart/form-data")
    assert message in response.get_data(as_text=True)
    _nothing_saved()


def test_every_field_taken_arrives_and_the_rest_is_named_as_ignored(client, oakfield):
    school, dsl = oakfield
    sign_in(client, dsl)
    url = _preview_url(_upload(client, build_ctf([_pupil()])))
    preview = client.get(url).get_data(as_text=True)
    assert "1 new pupils to add" in preview and "Marisol Quarrington" in preview
    assert "BasicDetails/Languages" in preview  # ignored, and said so
    ignored = preview.split("Not imported")[1]
    assert "<li>Contacts</li>" not in ignored  # taken now
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 0  # nothing until confirmed
    done = _confirm(client, url)
    assert "Common Transfer File imported" in done.get_data(as_text=True)
    pupil = db.session.scalars(select(Pupil)).one()
    assert (pupil.upn, pupil.legal_forename, pupil.legal_surname, pupil.preferred_name) == (
        make_upn("938", "2001", 2020, 1), "Marisol", "Quarrington", "Mari")
    assert (pupil.date_of_birth, pupil.sex, pupil.nhs_number) == (date(2017, 5, 14), "Female", "9434765919")
    assert (pupil.address, pupil.postcode) == ("7 Heron Rise, Northtown", "NN3 2AB")
    assert (pupil.ethnicity, pupil.sen_status, pupil.year_group) == (
        "White and Black African", "SEN support", "Year 4")
    assert pupil.enrolments[0].start_date == date(2021, 9, 1) and pupil.school_id == school.id
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0  # the file is deleted
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"rolls.ctf_upload", "rolls.ctf_preview", "rolls.ctf_import", "pupil.add"} <= actions


def test_importing_the_same_file_again_changes_nothing(client, oakfield):
    sign_in(client, oakfield[1])
    content = build_ctf(invented_pupils(30))
    _confirm(client, _preview_url(_upload(client, content)), {})
    before = {p.id: (p.updated_at, p.address) for p in db.session.scalars(select(Pupil))}
    assert len(before) == 30
    url = _preview_url(_upload(client, content))
    preview = client.get(url).get_data(as_text=True)
    assert "0 new pupils to add" in preview and "30 pupils already up to date" in preview
    assert "nothing to import" in preview
    _confirm(client, url)
    db.session.expire_all()
    assert {p.id: (p.updated_at, p.address) for p in db.session.scalars(select(Pupil))} == before


def test_a_changed_address_and_a_new_upn_are_shown_then_applied(client, oakfield):
    school, dsl = oakfield
    sign_in(client, dsl)
    first, second = _pupil(), _pupil(upn=make_upn("938", "2001", 2020, 2), forename="Tobiah", surname="Rainsford",
                                     dob=date(2016, 2, 2), nhs_number=None)
    _confirm(client, _preview_url(_upload(client, build_ctf([first, second]))), {})
    new_upn = make_upn("938", "2001", 2021, 77)
    moved = _pupil(paon="40", street="Mallow Road", postcode="NN6 1XY")
    renumbered = _pupil(upn=new_upn, former_upn=second.upn, forename="Tobiah", surname="Rainsford",
                        dob=date(2016, 2, 2), nhs_number=None)
    url = _preview_url(_upload(client, build_ctf([moved, renumbered])))
    preview = client.get(url).get_data(as_text=True)
    assert "2 pupils whose details change" in preview
    assert "40 Mallow Road, Northtown" in preview and "7 Heron Rise, Northtown" in preview
    assert "matched by former UPN" in preview
    _confirm(client, url)
    db.session.expire_all()
    by_name = {p.legal_forename: p for p in db.session.scalars(select(Pupil))}
    assert len(by_name) == 2
    assert by_name["Marisol"].postcode == "NN6 1XY" and by_name["Tobiah"].upn == new_upn


def test_a_full_roll_takes_pupils_no_longer_in_it_off_roll_as_leavers_and_keeps_them(client, oakfield):
    sign_in(client, oakfield[1])
    pupils = invented_pupils(3)
    _confirm(client, _preview_url(_upload(client, build_ctf(pupils))), {})
    url = _preview_url(_upload(client, build_ctf(pupils[:2])))
    preview = client.get(url).get_data(as_text=True)
    assert "1 pupils no longer on the roll" in preview
    assert f"{pupils[2].forename} {pupils[2].surname}" in preview and "Not in this full roll" in preview
    assert "No safeguarding record here: no file to send" in preview
    done = _confirm(client, url).get_data(as_text=True)
    assert "1 pupils no longer on the roll, kept as leavers" in done
    assert db.session.scalar(select(func.count()).where(Pupil.on_roll.is_(True))) == 2
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 3  # never deleted


def test_surname_and_date_of_birth_is_a_probable_match_the_dsl_decides(client, oakfield):
    school, dsl = oakfield
    existing = make_pupil_through_service(school, forename="Marisol", surname="Quarrington", born=date(2017, 5, 14))
    sign_in(client, dsl)
    content = build_ctf([_pupil()])
    url = _preview_url(_upload(client, content))
    preview = client.get(url).get_data(as_text=True)
    assert "1 probable matches for you to decide" in preview and "0 new pupils to add" in preview
    _confirm(client, url)  # left as it was by default: never merged silently
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 1
    assert db.session.get(Pupil, existing.id).upn is None

    url = _preview_url(_upload(client, content))
    _confirm(client, url, {"match-1": str(existing.id)})
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 1
    assert db.session.get(Pupil, existing.id).upn == make_upn("938", "2001", 2020, 1)


def test_a_probable_match_can_be_added_as_a_different_child(client, oakfield):
    school, dsl = oakfield
    make_pupil_through_service(school, forename="Marisol", surname="Quarrington", born=date(2017, 5, 14))
    sign_in(client, dsl)
    _confirm(client, _preview_url(_upload(client, build_ctf([_pupil()]))), {"match-1": "new"})
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 2


def test_a_pupil_with_bad_details_is_listed_and_the_others_are_imported(client, oakfield):
    sign_in(client, oakfield[1])
    bad = _pupil(upn="A938200120999", forename="Wilf")
    url = _preview_url(_upload(client, build_ctf([bad, _pupil(upn=make_upn("938", "2001", 2020, 5), surname="Inchbald")])))
    preview = client.get(url).get_data(as_text=True)
    assert "1 pupils that cannot be imported" in preview and "Pupil 1 in the file" in preview
    assert "A938200120999" not in preview
    _confirm(client, url)
    assert [p.legal_surname for p in db.session.scalars(select(Pupil))] == ["Inchbald"]


def test_a_joining_pupils_ctf_addressed_to_the_school_is_read(client, oakfield):
    sign_in(client, oakfield[1])
    content = build_ctf([_pupil()], source=("939", "4002"), dest=("938", "2001"), school_name="Hillcrest High School")
    preview = client.get(_preview_url(_upload(client, content))).get_data(as_text=True)
    assert "sent to your school by Hillcrest High School" in preview and "not in this file" not in preview


def test_cancel_deletes_the_file_and_imports_nothing(client, oakfield):
    sign_in(client, oakfield[1])
    url = _preview_url(_upload(client, build_ctf([_pupil()])))
    assert client.post(url + "/cancel").status_code == 302
    _nothing_saved()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER, Role.LA_ADMIN])
def test_other_roles_are_refused(client, oakfield, role):
    school, _dsl = oakfield
    user = make_user(role, school if role == Role.SCHOOL_STAFF else school.local_authority)
    sign_in(client, user)
    assert client.get("/pupils/import-ctf").status_code == 403
    assert _upload(client, build_ctf([_pupil()])).status_code == 403
    some = "/pupils/import-ctf/00000000-0000-4000-8000-000000000000"
    for tail in ("", "/importing", "/run", "/done"):
        assert client.get(some + tail).status_code == 403
    assert client.post(some + "/cancel").status_code == 403
    _nothing_saved()


def test_a_deputy_imports_but_another_schools_dsl_cannot_see_the_file(client, oakfield):
    school, dsl = oakfield
    deputy = make_user(Role.DEPUTY_DSL, school)
    sign_in(client, deputy)
    url = _preview_url(_upload(client, build_ctf([_pupil()])))
    other = make_user(Role.DSL, make_school(school.local_authority))
    sign_in(client, other)
    assert client.get(url).status_code == 404
    assert client.post(url, data={}).status_code == 404
    for tail in ("/importing", "/run", "/done"):
        assert client.get(url + tail).status_code == 404
    assert client.post(url + "/cancel").status_code == 404
    sign_in(client, dsl)  # another DSL of the same school did not upload it
    assert client.get(url).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Pupil)) == 0
