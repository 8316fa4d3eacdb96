"""School days, the transfer's clock (KCSIE): a child protection file is due within 5 school days
of the leaving date.

School days skip weekends, England and Wales bank holidays and the days the school has said it
is closed (term holidays, training days), so that a move in the last week of term is due in the
first days of the next term, as Keeping Children Safe in Education expects.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.db import db, utcnow
from portal.transfers.models import OPEN_STATUSES, SchoolClosure, Transfer
from portal.working_days import UK, WorkingCalendar

SCHOOL_DAYS_TO_SEND = 5
# A closure longer than this is almost certainly a typing mistake (a summer holiday is ~6 weeks).
MAX_CLOSURE_DAYS = 120


def today_uk(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(UK).date()


def closed_days(school_id: uuid.UUID) -> frozenset[date]:
    rows = db.session.execute(
        select(SchoolClosure.first_day, SchoolClosure.last_day).where(SchoolClosure.school_id == school_id)
    ).all()
    days: set[date] = set()
    for first, last in rows:
        day = first
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


def school_calendar(school_id: uuid.UUID) -> WorkingCalendar:
    return WorkingCalendar(closed_days=closed_days(school_id))


def due_date(school_id: uuid.UUID, leaving_date: date) -> date:
    """The last school day on which the file is still in time."""
    return school_calendar(school_id).add_working_days_to_date(leaving_date, SCHOOL_DAYS_TO_SEND)


def is_overdue(transfer: Transfer, today: date | None = None) -> bool:
    return transfer.status in OPEN_STATUSES and (today or today_uk()) > transfer.due_date


def sent_late(transfer: Transfer) -> bool:
    """Whether the file went after its due date, a school day in England: the moment it was sent
    is read in UK time (a file sent at 00:30 BST on the day after is late, though it is still the
    due date in UTC)."""
    return transfer.sent_at is not None and today_uk(transfer.sent_at) > transfer.due_date


def school_days_left(transfer: Transfer, today: date | None = None) -> int:
    """School days from today to the due date (0 on the due date, negative when late)."""
    today = today or today_uk()
    calendar = school_calendar(transfer.from_school_id)
    if today <= transfer.due_date:
        return calendar.working_days_between(today, transfer.due_date)
    return -calendar.working_days_between(transfer.due_date, today)


def recompute_open_due_dates(school_id: uuid.UUID) -> int:
    """After the school changes its closed days: the open transfers' due dates follow."""
    calendar = school_calendar(school_id)
    open_transfers = db.session.execute(
        select(Transfer).where(Transfer.from_school_id == school_id, Transfer.status.in_(OPEN_STATUSES))
    ).scalars()
    changed = 0
    for transfer in open_transfers:
        due = calendar.add_working_days_to_date(transfer.leaving_date, SCHOOL_DAYS_TO_SEND)
        if due != transfer.due_date:
            transfer.due_date = due
            changed += 1
    return changed
