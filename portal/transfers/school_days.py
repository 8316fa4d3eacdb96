"""School days, the transfer's clock (KCSIE): a child protection file is due within 5 school days
of the leaving date.

School days are the school's own, from portal.school_calendar (the one place that knows them):
weekends, England and Wales bank holidays, the council's term holidays (unless the school keeps
its own term dates) and the days the school has said it is closed (INSET days, closures) are
skipped, so that a move in the last week of term is due in the first days of the next term, as
Keeping Children Safe in Education expects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from portal.db import db
from portal.school_calendar.days import MAX_CLOSURE_DAYS, Calendars, calendar_for, today_uk  # noqa: F401 (re-exported)
from portal.transfers.models import OPEN_STATUSES, Transfer
from portal.working_days import WorkingCalendar

SCHOOL_DAYS_TO_SEND = 5


def school_calendar(school_id: uuid.UUID) -> WorkingCalendar:
    return calendar_for(school_id)


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


def recompute_open_due_dates(school_ids: uuid.UUID | Iterable[uuid.UUID]) -> int:
    """After a school's days change (its closed days, its choice of term dates, its council's
    calendar): the open transfers' due dates follow. Each school's calendar is read once."""
    ids = [school_ids] if isinstance(school_ids, uuid.UUID) else list(school_ids)
    if not ids:
        return 0
    calendars = Calendars()
    calendars.load(ids)
    open_transfers = db.session.execute(
        select(Transfer).where(Transfer.from_school_id.in_(ids), Transfer.status.in_(OPEN_STATUSES))
    ).scalars()
    changed = 0
    for transfer in open_transfers:
        due = calendars(transfer.from_school_id).add_working_days_to_date(transfer.leaving_date, SCHOOL_DAYS_TO_SEND)
        if due != transfer.due_date:
            transfer.due_date = due
            changed += 1
    return changed
