"""The one-working-day decision deadline (Working Together to Safeguard Children 2023) and the
working time left on it (the queue's and the referral page's clock).

The deadline is fixed when a referral arrives at an LA (`due_at`), so the queue can sort and
filter on it in SQL; the time left is worked out only for the rows on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.db import utcnow
from portal.working_days import ENGLAND_AND_WALES

DECISION_WORKING_DAYS = 1


def decision_due(received_at: datetime) -> datetime:
    """One working day after receipt: weekends and England and Wales bank holidays skipped."""
    return ENGLAND_AND_WALES.add_working_days(received_at, DECISION_WORKING_DAYS).astimezone(received_at.tzinfo)


@dataclass(frozen=True)
class Clock:
    left: timedelta  # working time left (negative once breached)
    breached: bool

    @property
    def text(self) -> str:
        if self.breached:
            return f"Overdue by {describe(-self.left)}"
        return f"{describe(self.left)} left"


def clock_for(due_at: datetime, now: datetime | None = None) -> Clock:
    now = now or utcnow()
    if now >= due_at:
        # Overdue time is counted in working time too: a weekend does not make a breach look worse.
        return Clock(-ENGLAND_AND_WALES.working_time_between(due_at, now), True)
    return Clock(ENGLAND_AND_WALES.working_time_between(now, due_at), False)


def describe(span: timedelta) -> str:
    """'5 hours 20 minutes', '2 days 1 hour', 'less than a minute' (working time)."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes and not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
