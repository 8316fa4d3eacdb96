"""The one-working-day decision clock: weekends and England and Wales bank holidays skipped."""

from datetime import datetime, timedelta

from portal.triage.decision_deadline import clock_for, decision_due, describe
from portal.working_days import UK


def uk(*args) -> datetime:
    return datetime(*args, tzinfo=UK)


def test_a_referral_received_on_friday_afternoon_is_due_on_monday_afternoon():
    assert decision_due(uk(2026, 11, 20, 15, 0)) == uk(2026, 11, 23, 15, 0)


def test_a_referral_received_on_saturday_is_due_at_the_end_of_monday():
    assert decision_due(uk(2026, 11, 21, 10, 0)) == uk(2026, 11, 24, 0, 0)


def test_the_christmas_bank_holidays_are_skipped():
    # Thursday 24 December 2026: Friday 25th is Christmas Day, Monday 28th the Boxing Day substitute.
    assert decision_due(uk(2026, 12, 24, 15, 0)) == uk(2026, 12, 29, 15, 0)


def test_an_easter_monday_arrival_starts_its_clock_on_tuesday():
    # Easter Monday 2027 is 29 March.
    assert decision_due(uk(2027, 3, 29, 9, 0)) == uk(2027, 3, 31, 0, 0)


def test_time_left_counts_only_working_time_over_a_weekend():
    due = decision_due(uk(2026, 11, 20, 15, 0))  # Monday 15:00
    clock = clock_for(due, now=uk(2026, 11, 21, 12, 0))  # Saturday noon
    assert not clock.breached
    assert clock.left == timedelta(hours=15)
    assert clock.text == "15 hours left"


def test_time_left_over_a_bank_holiday_weekend():
    due = decision_due(uk(2026, 12, 24, 15, 0))
    clock = clock_for(due, now=uk(2026, 12, 24, 16, 0))
    # Thursday 16:00 to midnight (8h), then nothing until Tuesday 00:00, then 15h.
    assert clock.left == timedelta(hours=23)


def test_a_referral_past_its_deadline_is_breached():
    due = decision_due(uk(2026, 11, 23, 9, 0))
    clock = clock_for(due, now=uk(2026, 11, 24, 11, 30))
    assert clock.breached
    assert clock.text == "Overdue by 2 hours 30 minutes"


def test_describe():
    assert describe(timedelta(seconds=20)) == "less than a minute"
    assert describe(timedelta(hours=1, minutes=1)) == "1 hour 1 minute"
    assert describe(timedelta(days=2, hours=3, minutes=5)) == "2 days 3 hours"
