"""Working-day clocks: the LA's one-working-day decision deadline and the 5-school-day transfer.

Working days skip weekends and England and Wales bank holidays (from the maintained `holidays`
package, so that next year's dates need no code change). A school's own closed days (term
holidays) can be added for school-day clocks. Times are reckoned in UK local time, because a
"working day" is a day in England, not in UTC.

Time that falls on a non-working day does not count: a referral received on Saturday morning
starts its clock at midnight on Monday and is due by the end of Monday; one received on Friday at
15:00 is due on Monday at 15:00.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Iterable
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share their bank holidays; "ENG" is the subdivision the package uses.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]).keys())


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


class WorkingCalendar:
    def __init__(self, closed_days: Iterable[date] = ()):
        self.closed_days = frozenset(closed_days)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not is_bank_holiday(day) and day not in self.closed_days

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days_to_date(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (a leaving date, say)."""
        day = start
        for _ in range(days):
            day = self.next_working_day(day)
        return day

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment `days` working days after `start`, counting only time on working days."""
        local = start.astimezone(UK)
        if not self.is_working_day(local.date()):
            local = datetime.combine(self.next_working_day(local.date()), time(0), tzinfo=UK)
        day = self.add_working_days_to_date(local.date(), days)
        return datetime.combine(day, local.time(), tzinfo=UK)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Time between two moments that falls on working days (negative if end is earlier)."""
        if end < start:
            return -self.working_time_between(end, start)
        total = timedelta()
        cursor = start.astimezone(UK)
        end = end.astimezone(UK)
        while cursor < end:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=UK)
            stop = min(midnight, end)
            if self.is_working_day(cursor.date()):
                total += stop - cursor
            cursor = stop
        return total

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days after `start` up to and including `end` (0 if end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


ENGLAND_AND_WALES = WorkingCalendar()
