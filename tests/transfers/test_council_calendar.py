"""The transfer's 5 school days follow the council's calendar for a school that follows it, and
not for one that keeps its own term dates (set on the school's closed-days page, audited)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.school_calendar.days import calendar_for, calendars_for
from portal.school_calendar.models import CouncilHoliday, SchoolClosure, SchoolTermDates
from tests.factories import keeps_own_term_dates, make_council_holiday, make_user
from tests.signing_in import sign_in
from tests.transfers.helpers import date_fields, record_leaver, transfer_of

# Northshire's summer holiday 2026: Monday 20 July to Tuesday 1 September.
SUMMER = (date(2026, 7, 20), date(2026, 9, 1))
LAST_DAY_OF_TERM = date(2026, 7, 17)  # a Friday


def test_a_school_that_follows_the_council_skips_its_holidays(world):
    make_council_holiday(world.northshire, *SUMMER)
    record_leaver(world.client(world.oak_dsl), world.pupil, leaving=LAST_DAY_OF_TERM, school="938002")
    # The fifth day of the autumn term (2, 3, 4, 7, 8 September).
    assert transfer_of(world.pupil).due_date == date(2026, 9, 8)


def test_a_school_that_keeps_its_own_term_dates_does_not(world):
    make_council_holiday(world.northshire, *SUMMER)
    keeps_own_term_dates(world.oakfield)
    record_leaver(world.client(world.oak_dsl), world.pupil, leaving=LAST_DAY_OF_TERM, school="938002")
    assert transfer_of(world.pupil).due_date == date(2026, 7, 24)


def test_another_councils_calendar_is_not_ours(world):
    make_council_holiday(world.southmoor, *SUMMER)
    record_leaver(world.client(world.oak_dsl), world.pupil, leaving=LAST_DAY_OF_TERM, school="938002")
    assert transfer_of(world.pupil).due_date == date(2026, 7, 24)


def test_the_council_adding_or_removing_a_holiday_moves_open_due_dates(world, monkeypatch):
    record_leaver(world.client(world.oak_dsl), world.pupil, leaving=LAST_DAY_OF_TERM, school="938002")
    assert transfer_of(world.pupil).due_date == date(2026, 7, 24)
    # The page takes this academic year and the next: as if it were July 2026.
    monkeypatch.setattr("portal.admin.council_calendar.today_uk", lambda: date(2026, 7, 1))
    admin = world.app.test_client()
    sign_in(admin, make_user(Role.LA_ADMIN, world.northshire, password_hash="x"))
    response = admin.post("/admin/school-calendar", data={"name": "Summer holiday", **date_fields("first_day", SUMMER[0]),
                                                          **date_fields("last_day", SUMMER[1])})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert transfer_of(world.pupil).due_date == date(2026, 9, 8)
    [holiday] = db.session.execute(select(CouncilHoliday)).scalars()
    assert admin.post(f"/admin/school-calendar/{holiday.id}/remove").status_code == 302
    assert transfer_of(world.pupil).due_date == date(2026, 7, 24)


def test_the_dsl_says_their_term_dates_are_their_own_audited_and_due_dates_follow(world):
    make_council_holiday(world.northshire, *SUMMER)
    oak = world.client(world.oak_dsl)
    record_leaver(oak, world.pupil, leaving=LAST_DAY_OF_TERM, school="938002")
    assert transfer_of(world.pupil).due_date == date(2026, 9, 8)
    page = oak.get("/transfers/closed-days").get_data(as_text=True)
    assert "follows Northshire’s term dates" in page and "Summer holiday" in page

    assert oak.post("/transfers/closed-days/term-dates", data={"council_terms": "no"}).status_code == 302
    assert transfer_of(world.pupil).due_date == date(2026, 7, 24)
    assert db.session.get(SchoolTermDates, world.oakfield.id).own_term_dates
    assert "keeps its own term dates" in oak.get("/transfers/closed-days").get_data(as_text=True)
    # Its own summer closure, as an academy would enter it.
    oak.post("/transfers/closed-days", data={**date_fields("first_day", date(2026, 7, 22)),
                                             **date_fields("last_day", date(2026, 9, 2))})
    assert transfer_of(world.pupil).due_date == date(2026, 9, 7)  # 20 and 21 July, then 3, 4 and 7 September

    assert oak.post("/transfers/closed-days/term-dates", data={"council_terms": "yes"}).status_code == 302
    assert transfer_of(world.pupil).due_date == date(2026, 9, 9)  # the council's and its own together: 3 to 9 September
    actions = list(db.session.execute(
        select(AuditEvent.detail).where(AuditEvent.action == "transfer.term_dates").order_by(AuditEvent.seq)
    ).scalars())
    assert actions == ["own", "council"]


def test_the_term_dates_question_must_be_answered(world):
    oak = world.client(world.oak_dsl)
    response = oak.post("/transfers/closed-days/term-dates", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and "Select yes if your term dates are the council’s" in page
    assert db.session.get(SchoolTermDates, world.oakfield.id) is None


def test_school_staff_and_another_school_cannot_change_our_term_dates(world):
    staff = world.app.test_client()
    sign_in(staff, world.oak_staff)
    assert staff.post("/transfers/closed-days/term-dates", data={"council_terms": "no"}).status_code == 403
    assert staff.get("/transfers/closed-days").status_code == 403
    # Riverside's DSL changes Riverside's, never Oakfield's.
    river = world.client(world.river_dsl)
    assert river.post("/transfers/closed-days/term-dates", data={"council_terms": "no"}).status_code == 302
    assert db.session.get(SchoolTermDates, world.oakfield.id) is None
    assert db.session.get(SchoolTermDates, world.riverside.id).own_term_dates


def test_calendars_for_many_schools_read_each_table_once(world):
    make_council_holiday(world.northshire, *SUMMER)
    keeps_own_term_dates(world.riverside)
    db.session.add(SchoolClosure(school_id=world.riverside.id, first_day=date(2026, 7, 22), last_day=date(2026, 7, 22),
                                 created_by_id=world.river_dsl.id))
    db.session.commit()
    from sqlalchemy import event

    ids = [world.oakfield.id, world.riverside.id, world.hillcrest.id]
    statements = []
    engine = db.engine

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        calendars = calendars_for(ids)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 4
    assert not calendars[world.oakfield.id].is_working_day(date(2026, 7, 22))
    assert not calendars[world.riverside.id].is_working_day(date(2026, 7, 22))
    assert calendars[world.riverside.id].is_working_day(date(2026, 7, 23))
    assert calendars[world.hillcrest.id].is_working_day(date(2026, 7, 22))
    assert calendar_for(world.oakfield.id).closed_days == calendars[world.oakfield.id].closed_days
