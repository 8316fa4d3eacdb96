"""The 08:30 clock follows the council's calendar: a notice that reaches a school in the council's
holidays is due at 08:30 on the first day back, unless the school keeps its own term dates; a
notice held by the council stays on weekdays (its key contacts work through the holidays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from portal.db import utcnow
from portal.encompass import clock, service
from portal.encompass.models import Routing
from portal.working_days import UK, WorkingCalendar
from tests.encompass.conftest import KNOWN, SIBLING, as_user, child_form, children_of, record_notice
from tests.factories import keeps_own_term_dates, make_council_holiday

# Northshire's Christmas holiday 2026/27: Monday 21 December to Monday 4 January.
CHRISTMAS = (date(2026, 12, 21), date(2027, 1, 4))


def uk(y, m, d, hh, mm) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UK)


def test_a_notice_in_the_councils_holiday_is_due_on_the_first_day_back(world):
    make_council_holiday(world.northshire, *CHRISTMAS, name="Christmas holiday")
    last_night_of_term = uk(2026, 12, 18, 21, 40).astimezone(timezone.utc)
    assert clock.due_at(last_night_of_term, world.oakfield.id) == uk(2027, 1, 5, 8, 30).astimezone(timezone.utc)
    # Riverside keeps its own term dates (and has none entered): Monday 21 December.
    keeps_own_term_dates(world.riverside)
    assert clock.due_at(last_night_of_term, world.riverside.id) == uk(2026, 12, 21, 8, 30).astimezone(timezone.utc)
    # Hillcrest is Southmoor's: Northshire's calendar is not its own.
    assert clock.due_at(last_night_of_term, world.hillcrest.id) == uk(2026, 12, 21, 8, 30).astimezone(timezone.utc)
    # Held by the council: weekdays.
    assert clock.due_at(last_night_of_term, None) == uk(2026, 12, 21, 8, 30).astimezone(timezone.utc)


def test_a_pass_reads_each_schools_calendar_once_and_sees_the_next_passs_changes(world):
    calendars = clock.Calendars()
    make_council_holiday(world.northshire, *CHRISTMAS, name="Christmas holiday")
    moment = uk(2026, 12, 18, 21, 40).astimezone(timezone.utc)
    assert clock.due_at(moment, world.oakfield.id, calendars) == uk(2027, 1, 5, 8, 30).astimezone(timezone.utc)
    keeps_own_term_dates(world.oakfield)
    # Within the pass, what was read stands; a new pass reads the change.
    assert clock.due_at(moment, world.oakfield.id, calendars) == uk(2027, 1, 5, 8, 30).astimezone(timezone.utc)
    assert clock.due_at(moment, world.oakfield.id, clock.Calendars()) == uk(2026, 12, 21, 8, 30).astimezone(timezone.utc)


def _holiday_from_today(world) -> tuple[date, date]:
    today = utcnow().astimezone(UK).date()
    holiday = (today, today + timedelta(days=20))
    make_council_holiday(world.northshire, *holiday, name="Winter closure")
    return holiday


def test_a_routed_notice_skips_the_councils_holiday_at_a_school_that_follows_it(client, world):
    first, last = _holiday_from_today(world)
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"]),
                                       child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"])])
    service.route_waiting()
    delivered, held = children_of(notice_id)
    assert delivered.routing == Routing.DELIVERED and held.routing == Routing.HELD
    back = WorkingCalendar(closed_days=[first + timedelta(days=n) for n in range((last - first).days + 1)])
    expected = clock.deadline(delivered.routed_at, back)
    assert delivered.due_at == expected and delivered.due_at.astimezone(UK).date() > last
    # The council's key contacts have no holiday.
    assert held.due_at.astimezone(UK).date() <= first + timedelta(days=7)


def test_a_routed_notice_at_a_school_with_its_own_term_dates_is_due_the_next_weekday(client, world):
    first, last = _holiday_from_today(world)
    keeps_own_term_dates(world.oakfield)
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"])])
    service.route_waiting()
    [delivered] = children_of(notice_id)
    assert delivered.routing == Routing.DELIVERED
    assert delivered.due_at.astimezone(UK).date() <= first + timedelta(days=7)


def test_a_holiday_added_after_delivery_is_not_chased_until_the_first_day_back(client, world):
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"])])
    service.route_waiting()
    [child] = children_of(notice_id)
    due = child.due_at
    # The council adds a closure over the notice's 08:30 after it was delivered.
    day = due.astimezone(UK).date()
    make_council_holiday(world.northshire, day, day + timedelta(days=13), name="Snow closure")
    assert service.chase_overdue(now=due + timedelta(minutes=1)) == 0
    [child] = children_of(notice_id)
    assert child.due_at > due + timedelta(days=13) and child.chased_at is None
    assert service.chase_overdue(now=child.due_at + timedelta(minutes=1)) == 1
