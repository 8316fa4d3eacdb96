"""The Encompass clock: a notice must be read by a DSL before the start of the next school day
at the child's school, 08:30 UK time.

"Next school day" is the school's own: weekends, England and Wales bank holidays and the days the
school has said it is closed (its closed days, kept on the transfers' closed-days page) are not
school days. A school that has entered no closed days counts every weekday that is not a bank
holiday (there is no council-wide term calendar in the portal yet; when one exists, a school
without closures of its own takes it here). A notice still held by the council runs on that same
weekday calendar.

The deadline is the first 08:30 on a school day strictly after the notice reached the school: a
notice delivered at 07:00 on a Tuesday in term is due at 08:30 that Tuesday; one delivered at
08:31 on a Friday is due at 08:30 on Monday (or the next school day after it).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timezone

from portal.transfers.school_days import school_calendar
from portal.working_days import ENGLAND_AND_WALES, UK, WorkingCalendar

START_OF_SCHOOL_DAY = time(8, 30)


def calendar_for(school_id: uuid.UUID | None) -> WorkingCalendar:
    """The school's days (its closures skipped), or weekdays without bank holidays."""
    if school_id is None:
        return ENGLAND_AND_WALES
    return school_calendar(school_id)


def deadline(moment: datetime, calendar: WorkingCalendar = ENGLAND_AND_WALES) -> datetime:
    """The first 08:30 (UK time) on a school day strictly after `moment`, as UTC."""
    local = moment.astimezone(UK)
    day = local.date()
    if not (calendar.is_working_day(day) and local.time() < START_OF_SCHOOL_DAY):
        day = calendar.next_working_day(day)
    return datetime.combine(day, START_OF_SCHOOL_DAY, tzinfo=UK).astimezone(timezone.utc)


def due_at(moment: datetime, school_id: uuid.UUID | None) -> datetime:
    return deadline(moment, calendar_for(school_id))
