"""The roll's names kept between pages (portal/pupils/roll_names.py): never older than the last
committed change to the school's pupils, never kept longer than allowed, never another school's."""

from datetime import date

import pytest
from sqlalchemy import select, update

from portal.auth.roles import Role
from portal.db import db
from portal.orgs.models import School
from portal.pupils import roll_names
from portal.pupils.models import Pupil
from portal.pupils.roll_changes import UndeclaredRollChange
from tests.factories import make_la, make_pupil, make_school, make_user
from tests.signing_in import sign_in

EDIT = {
    "legal_forename": "Amelia",
    "legal_surname": "Quennell",
    "date_of_birth": ["9", "3", "2014"],
    "sex": "Female",
    "year_group": "Year 7",
}


def _dsl(la_code: str = "938"):
    return make_user(Role.DSL, make_school(make_la(code=la_code)))


def _search(client, text: str) -> str:
    return client.post("/pupils", data={"name-name": text, "name-submit": "Search"}).get_data(as_text=True)


@pytest.fixture
def decryptions(monkeypatch):
    """How many name columns were opened across a roll (the rows a page shows are opened too,
    but only those: `open_fields`)."""
    opened = []
    real = roll_names._decrypt

    def counting(school_id):
        opened.extend(roll_names.NAME_FIELDS)
        return real(school_id)

    monkeypatch.setattr(roll_names, "_decrypt", counting)
    return opened


def test_a_second_search_and_the_rolls_pages_open_no_names_until_the_roll_changes(client, decryptions):
    dsl = _dsl()
    for n in range(3):
        make_pupil(dsl.school, forename="Rowan", surname=f"Ashdown{n}")
    sign_in(client, dsl)
    assert "Search results (3)" in _search(client, "ashd")
    assert len(decryptions) == 3  # forename, preferred name, surname: once
    assert "Search results (3)" in _search(client, "rowan")
    assert "Current pupils (3)" in client.get("/pupils").get_data(as_text=True)
    assert len(decryptions) == 3
    make_pupil(dsl.school, forename="Rowan", surname="Ashdown9")
    assert "Search results (4)" in _search(client, "ashd")
    assert len(decryptions) == 6


def test_a_pupil_added_through_the_pages_is_found_by_the_very_next_search(client):
    dsl = _dsl()
    make_pupil(dsl.school, forename="Kit", surname="Marlow")
    sign_in(client, dsl)
    assert "No pupils found" in _search(client, "quennell")
    response = client.post("/pupils/new", data={**EDIT, "upn": "", "nhs_number": ""})
    assert response.status_code == 302
    page = _search(client, "quennell")
    assert "Search results (1)" in page and "Quennell, Amelia" in page


def test_a_renamed_pupil_is_found_by_the_new_name_and_not_the_old(client):
    dsl = _dsl()
    pupil = make_pupil(dsl.school, forename="Amelia", surname="Hartley")
    sign_in(client, dsl)
    assert "Search results (1)" in _search(client, "hartley")
    client.post(f"/pupils/{pupil.id}/edit", data=EDIT)
    assert "No pupils found" in _search(client, "hartley")
    assert "Search results (1)" in _search(client, "quennell")
    assert "Quennell, Amelia" in client.get("/pupils").get_data(as_text=True)


def test_a_pupil_taken_off_the_roll_leaves_the_rolls_pages_and_is_still_found_by_name(client):
    dsl = _dsl()
    pupil = make_pupil(dsl.school, forename="Amelia", surname="Hartley")
    make_pupil(dsl.school, forename="Kit", surname="Marlow")
    sign_in(client, dsl)
    assert "Current pupils (2)" in client.get("/pupils").get_data(as_text=True)
    pupil.on_roll = False
    db.session.commit()
    page = client.get("/pupils").get_data(as_text=True)
    assert "Current pupils (1)" in page and "Hartley" not in page
    assert "Search results (1)" in _search(client, "hartley")


def test_a_change_rolled_back_moves_no_version(app):
    school = make_school(make_la())
    pupil = make_pupil(school, forename="Amelia", surname="Hartley")
    version = db.session.scalar(select(School.roll_version).where(School.id == school.id))
    pupil.legal_surname = "Quennell"
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(School.roll_version).where(School.id == school.id)) == version
    pupil = db.session.get(Pupil, pupil.id)
    pupil.legal_surname = "Quennell"
    db.session.commit()
    assert db.session.scalar(select(School.roll_version).where(School.id == school.id)) == version + 1


def test_a_bulk_change_to_pupils_must_say_whose_roll_it_changes(app):
    school = make_school(make_la())
    make_pupil(school)
    with pytest.raises(UndeclaredRollChange):
        db.session.execute(update(Pupil).where(Pupil.school_id == school.id).values(on_roll=False))
    db.session.rollback()
    version = school.roll_version
    db.session.execute(update(Pupil).where(Pupil.school_id == school.id).values(on_roll=False)
                       .execution_options(roll_of=school.id))
    db.session.commit()
    assert db.session.scalar(select(School.roll_version).where(School.id == school.id)) == version + 1


def test_within_one_unit_of_work_a_search_sees_its_own_uncommitted_pupils(app):
    school = make_school(make_la())
    make_pupil(school, forename="Kit", surname="Marlow")
    assert len(roll_names.roll_names(db.session.get(School, school.id)).ids) == 1  # now kept
    db.session.add(Pupil(school_id=school.id, on_roll=True, legal_forename="Amelia", legal_surname="Hartley",
                         date_of_birth=date(2014, 3, 9)))
    assert len(roll_names.roll_names(school).ids) == 2
    db.session.rollback()
    assert len(roll_names.roll_names(db.session.get(School, school.id)).ids) == 1


def test_names_are_not_kept_past_their_time_or_at_all_when_switched_off(app, client, decryptions, monkeypatch):
    dsl = _dsl()
    make_pupil(dsl.school, forename="Rowan", surname="Ashdown")
    sign_in(client, dsl)
    now = [1000.0]
    monkeypatch.setattr(roll_names.time, "monotonic", lambda: now[0])
    _search(client, "ash")
    _search(client, "ash")
    assert len(decryptions) == 3
    now[0] += app.config["PORTAL_ROLL_NAMES_SECONDS"] + 1
    cache = app.extensions["roll_names_cache"]
    cache.forget_expired(app.config["PORTAL_ROLL_NAMES_SECONDS"])
    assert cache.get(dsl.school.id, 0, app.config["PORTAL_ROLL_NAMES_SECONDS"]) is None  # gone, not merely stale
    _search(client, "ash")
    assert len(decryptions) == 6
    monkeypatch.setitem(app.config, "PORTAL_ROLL_NAMES_SECONDS", 0)
    _search(client, "ash")
    _search(client, "ash")
    assert len(decryptions) == 12


def test_only_so_many_schools_are_kept_the_least_recently_used_dropped_first(app, monkeypatch):
    app.extensions.pop("roll_names_cache", None)
    monkeypatch.setitem(app.config, "PORTAL_ROLL_NAMES_SCHOOLS", 2)
    schools = [make_school(make_la()) for _ in range(3)]
    for school in schools:
        make_pupil(school)
        roll_names.roll_names(school)
    cache = app.extensions.pop("roll_names_cache")  # the next test starts with the usual size
    assert cache.get(schools[0].id, schools[0].roll_version, 60) is None
    assert cache.get(schools[2].id, schools[2].roll_version, 60) is not None


def test_one_schools_kept_names_never_answer_another_schools_search(client):
    first, second = _dsl(), _dsl("939")
    make_pupil(first.school, forename="Rowan", surname="Ashdown")
    make_pupil(second.school, forename="Kit", surname="Marlow")
    sign_in(client, first)
    assert "Search results (1)" in _search(client, "ashdown")
    sign_in(client, second)
    assert "No pupils found" in _search(client, "ashdown")
    assert "Search results (1)" in _search(client, "marlow")


def test_the_search_forms_empty_fields_are_kept_but_never_what_was_typed_or_an_error(client):
    from portal.forms import KEPT_WIDGETS

    dsl = _dsl()
    make_pupil(dsl.school, forename="Amelia", surname="Quennell")
    sign_in(client, dsl)
    page = _search(client, "Quennell")
    assert 'value="Quennell"' in page
    assert KEPT_WIDGETS and not any("Quennell" in key or "Quennell" in markup for (_, key), markup in KEPT_WIDGETS.items())
    # The next page's empty search box is empty: nothing typed before was kept.
    assert 'value="Quennell"' not in client.get("/pupils").get_data(as_text=True)
    wrong = client.post("/pupils", data={"id-surname": "Quennell", "id-date_of_birth-day": "40",
                                         "id-date_of_birth-month": "1", "id-date_of_birth-year": "2014",
                                         "id-find": "Find pupil"}).get_data(as_text=True)
    assert "govuk-error-message" in wrong
    assert "govuk-error-message" not in client.get("/pupils").get_data(as_text=True)
    assert not any("Quennell" in key or "Quennell" in markup for (_, key), markup in KEPT_WIDGETS.items())


def test_display_names_are_the_pupils_own_and_never_another_schools(app):
    school, other = make_school(make_la()), make_school(make_la())
    known_as = make_pupil(school, forename="Amelia", surname="Hartley")
    known_as.preferred_name = "Millie"
    plain = make_pupil(school, forename="Kit", surname="Marlow")
    elsewhere = make_pupil(other, forename="Rowan", surname="Ashdown")
    db.session.commit()
    names = roll_names.display_names({known_as.id, plain.id, elsewhere.id}, school.id)
    assert names == {known_as.id: known_as.display_name, plain.id: plain.display_name}
    assert names[known_as.id] == "Millie Hartley" and names[plain.id] == "Kit Marlow"
    assert roll_names.display_names(set(), school.id) == {}
