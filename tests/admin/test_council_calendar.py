"""The council's school calendar page: an LA admin adds and removes the council's term holidays
(audited); another council's admin and every school role are refused; bad dates get GOV.UK errors
and lose nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.admin.council_calendar import academic_years
from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.school_calendar.models import CouncilHoliday
from tests.factories import make_council_holiday, make_la, make_school, make_user
from tests.signing_in import sign_in

PAGE = "/admin/school-calendar"


def _dates(name: str, day: date) -> dict:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def _holiday(name: str, first: date, last: date) -> dict:
    return {"name": name, **_dates("first_day", first), **_dates("last_day", last)}


@pytest.fixture
def councils(app):
    northshire, southmoor = make_la("938", "Northshire"), make_la("939", "Southmoor")
    return {
        "northshire": northshire, "southmoor": southmoor,
        "oakfield": make_school(northshire, name="Oakfield Primary School"),
        "admin": make_user(Role.LA_ADMIN, northshire, password_hash="x"),
        "southmoor admin": make_user(Role.LA_ADMIN, southmoor, password_hash="x"),
    }


def _half_term() -> tuple[date, date]:
    """A week in the middle of this academic year (whenever the test runs)."""
    first = academic_years()[0] + timedelta(days=60)
    return first, first + timedelta(days=4)


def _holidays(la) -> list[CouncilHoliday]:
    db.session.expire_all()
    return list(db.session.execute(select(CouncilHoliday).where(CouncilHoliday.local_authority_id == la.id)).scalars())


def test_an_la_admin_adds_and_removes_the_councils_holidays_audited(client, councils):
    sign_in(client, councils["admin"])
    assert "No holidays have been added" in client.get(PAGE).get_data(as_text=True)
    first, last = _half_term()
    response = client.post(PAGE, data=_holiday("October half term", first, last))
    assert response.status_code == 302
    [holiday] = _holidays(councils["northshire"])
    assert (holiday.name, holiday.first_day, holiday.last_day) == ("October half term", first, last)
    page = client.get(PAGE).get_data(as_text=True)
    assert "October half term" in page and "has been added" in page
    added = db.session.execute(select(AuditEvent).where(AuditEvent.action == "council_calendar.add")).scalar_one()
    assert added.object_id == str(holiday.id)

    assert client.post(f"{PAGE}/{holiday.id}/remove").status_code == 302
    assert _holidays(councils["northshire"]) == []
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "council_calendar.remove")).scalar_one()


def test_a_double_click_adds_the_holiday_once(client, councils):
    sign_in(client, councils["admin"])
    first, last = _half_term()
    for _ in range(2):
        assert client.post(PAGE, data=_holiday("October half term", first, last)).status_code == 302
    assert len(_holidays(councils["northshire"])) == 1
    assert len(db.session.execute(select(AuditEvent).where(AuditEvent.action == "council_calendar.add")).all()) == 1


def test_the_home_page_links_the_calendar_for_the_la_admin_only(client, councils):
    sign_in(client, councils["admin"])
    assert PAGE in client.get("/home").get_data(as_text=True)
    sign_in(client, make_user(Role.TRIAGE_MANAGER, councils["northshire"], password_hash="x"))
    assert PAGE not in client.get("/home").get_data(as_text=True)


def test_another_councils_admin_sees_only_their_own_calendar_and_cannot_remove_ours(client, councils):
    first, last = _half_term()
    ours = make_council_holiday(councils["northshire"], first, last, name="Northshire half term")
    sign_in(client, councils["southmoor admin"])
    page = client.get(PAGE).get_data(as_text=True)
    assert "Northshire half term" not in page
    assert client.post(f"{PAGE}/{ours.id}/remove").status_code == 404
    assert _holidays(councils["northshire"]) != []
    # What they add is Southmoor's, not Northshire's.
    assert client.post(PAGE, data=_holiday("Southmoor half term", first, last)).status_code == 302
    assert [h.name for h in _holidays(councils["southmoor"])] == ["Southmoor half term"]
    assert [h.name for h in _holidays(councils["northshire"])] == ["Northshire half term"]


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.DSL, Role.DEPUTY_DSL])
def test_every_school_role_is_refused(client, councils, role):
    first, last = _half_term()
    ours = make_council_holiday(councils["northshire"], first, last)
    sign_in(client, make_user(role, councils["oakfield"], password_hash="x"))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data=_holiday("Ours now", first, last)).status_code == 403
    assert client.post(f"{PAGE}/{ours.id}/remove").status_code == 403
    assert [h.name for h in _holidays(councils["northshire"])] == ["Summer holiday"]


@pytest.mark.parametrize("role", [Role.TRIAGE_MANAGER, Role.TRIAGE_WORKER, Role.ENCOMPASS_KEY_CONTACT, Role.CME_OFFICER])
def test_the_councils_other_roles_are_refused(client, councils, role):
    sign_in(client, make_user(role, councils["northshire"], password_hash="x"))
    assert client.get(PAGE).status_code == 403


def test_bad_dates_get_govuk_errors_and_lose_nothing(client, councils):
    sign_in(client, councils["admin"])
    first, last = _half_term()
    cases = [
        (_holiday("Spring half term", last, first), "The last day must be the same as or after the first day"),
        (_holiday("Spring half term", first, first + timedelta(days=120)), "A holiday must be shorter than 120 days"),
        ({"name": "Spring half term", "first_day": ["31", "2", str(first.year)], **_dates("last_day", last)},
         "First day of the holiday must be a real date"),
        ({"name": "Spring half term", "first_day": ["3", "", str(first.year)], **_dates("last_day", last)},
         "First day of the holiday must include a month"),
        (_holiday("", first, last), "Enter the name of the holiday"),
        (_holiday("Spring half term", date(2001, 2, 12), date(2001, 2, 16)), "this academic year or the next"),
        (_holiday("x" * 81, first, last), "Name must be 80 characters or fewer"),
    ]
    for data, message in cases:
        response = client.post(PAGE, data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, message
        assert "There is a problem" in page and message in page, message
        # What was typed is shown again.
        if data["name"]:
            assert f'value="{data["name"]}"' in page
        assert f'value="{data["last_day"][0]}"' in page
    assert _holidays(councils["northshire"]) == []


def test_an_impossible_date_and_a_missing_name_are_both_reported(client, councils):
    sign_in(client, councils["admin"])
    first, last = _half_term()
    page = client.post(PAGE, data={"name": "", "first_day": ["30", "2", str(first.year)],
                                   **_dates("last_day", last)}).get_data(as_text=True)
    assert "First day of the holiday must be a real date" in page
    assert "Enter the name of the holiday" in page
