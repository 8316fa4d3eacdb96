from datetime import date, datetime, timedelta

from portal.working_days import ENGLAND_AND_WALES as calendar
from portal.working_days import UK, WorkingCalendar


def uk(*args):
    return datetime(*args, tzinfo=UK)


def test_weekday_referral_is_due_the_same_time_next_working_day():
    assert calendar.add_working_days(uk(2026, 11, 24, 10, 30), 1) == uk(2026, 11, 25, 10, 30)


def test_friday_afternoon_is_due_on_monday():
    assert calendar.add_working_days(uk(2026, 11, 27, 15, 0), 1) == uk(2026, 11, 30, 15, 0)


def test_weekend_receipt_starts_the_clock_on_monday_morning():
    assert calendar.add_working_days(uk(2026, 11, 28, 9, 0), 1) == uk(2026, 12, 1, 0, 0)


def test_bank_holidays_are_skipped_including_observed_boxing_day():
    # Thursday 24 December 2026 -> Friday 25th (Christmas) and Monday 28th (Boxing Day observed) skipped
    assert calendar.add_working_days(uk(2026, 12, 24, 11, 0), 1) == uk(2026, 12, 29, 11, 0)
    # Good Friday and Easter Monday 2027
    assert calendar.add_working_days(uk(2027, 3, 25, 9, 0), 1) == uk(2027, 3, 30, 9, 0)


def test_working_time_left_ignores_the_weekend():
    received = uk(2026, 11, 27, 15, 0)
    deadline = calendar.add_working_days(received, 1)
    saturday_noon = uk(2026, 11, 28, 12, 0)
    assert calendar.working_time_between(saturday_noon, deadline) == timedelta(hours=15)
    assert calendar.working_time_between(deadline, saturday_noon) == -timedelta(hours=15)


def test_five_school_days_skip_the_schools_closed_days():
    half_term = [date(2027, 2, 15) + timedelta(days=i) for i in range(5)]
    school = WorkingCalendar(closed_days=half_term)
    # Leaving on Thursday 11 February 2027: Fri 12, then half term, then Mon 22 .. Thu 25
    assert school.add_working_days_to_date(date(2027, 2, 11), 5) == date(2027, 2, 25)
    assert calendar.add_working_days_to_date(date(2027, 2, 11), 5) == date(2027, 2, 18)
    assert school.working_days_between(date(2027, 2, 11), date(2027, 2, 25)) == 5
