"""The Encompass clock: a notice must be read by a DSL before the start of the next school day
at the child's school, 08:30 UK time.

"Next school day" is the school's own, from portal.school_calendar (the same days the transfer
clock counts): weekends, England and Wales bank holidays, the council's term holidays (unless the
school keeps its own term dates) and the school's own closed days (INSET days, closures) are not
school days, so a notice sent in the summer holiday is due at 08:30 on the first day of the
autumn term. A notice still held by the council runs on weekdays without bank holidays (the
council's key contacts work through the school holidays). The deadline is set when the notice
reaches the school; the chase counts it again with the school's days as they are when it falls
due (a holiday added since moves it to the first day back).

The deadline is the first 08:30 on a school day strictly after the notice reached the school: a
notice delivered at 07:00 on a Tuesday in term is due at 08:30 that Tuesday; one delivered at
08:31 on a Friday is due at 08:30 on Monday (or the next school day after it).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timezone

from portal.school_calendar.days import Calendars, calendar_for
from portal.working_days import ENGLAND_AND_WALES, UK, WorkingCalendar

START_OF_SCHOOL_DAY = time(8, 30)


def deadline(moment: datetime, calendar: WorkingCalendar = ENGLAND_AND_WALES) -> datetime:
    """The first 08:30 (UK time) on a school day strictly after `moment`, as UTC."""
    local = moment.astimezone(UK)
    day = local.date()
    if not (calendar.is_working_day(day) and local.time() < START_OF_SCHOOL_DAY):
        day = calendar.next_working_day(day)
    return datetime.combine(day, START_OF_SCHOOL_DAY, tzinfo=UK).astimezone(timezone.utc)


def due_at(moment: datetime, school_id: uuid.UUID | None, calendars: Calendars | None = None) -> datetime:
    """The notice's 08:30 at this school (None: held by the council). `calendars`, for a pass
    over many notices, reads each school's calendar once."""
    return deadline(moment, (calendars or calendar_for)(school_id))
