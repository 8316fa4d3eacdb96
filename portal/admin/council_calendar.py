"""The council's school calendar: the term holidays and closures its LA admin sets (this academic
year and the next), which every school of the council follows unless it keeps its own term dates.

Adding or removing a holiday is audited and moves the due dates of the open transfers of the
schools that follow the calendar (portal.transfers.school_days). The calendar itself, and the
school-day calculation both clocks use, is portal.school_calendar.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from portal.audit import service as audit
from portal.db import db
from portal.domain_errors import Invalid, NotFound
from portal.orgs.models import LocalAuthority
from portal.policy import require
from portal.school_calendar.days import MAX_CLOSURE_DAYS, school_ids_following, today_uk
from portal.school_calendar.models import CouncilHoliday
from portal.transaction import transactional
from portal.transfers import school_days

NAME_MAX = 80


class CalendarInvalid(Invalid):
    """Answers that cannot be a holiday: `errors` maps each field to its GOV.UK message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def academic_years(today: date | None = None) -> tuple[date, date]:
    """The first and last day of this academic year and the next (1 September to 31 August)."""
    today = today or today_uk()
    start_year = today.year if today.month >= 9 else today.year - 1
    return date(start_year, 9, 1), date(start_year + 2, 8, 31)


def holidays(la: LocalAuthority) -> list[CouncilHoliday]:
    require("council_calendar:manage", la)
    return list(db.session.execute(
        select(CouncilHoliday).where(CouncilHoliday.local_authority_id == la.id)
        .order_by(CouncilHoliday.first_day, CouncilHoliday.last_day)
    ).scalars())


def check(name: str | None, first_day: date | None, last_day: date | None, today: date | None = None) -> dict[str, str]:
    """The GOV.UK messages for a holiday's answers (empty when they are fine)."""
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Enter the name of the holiday, for example Summer holiday"
    elif len(name) > NAME_MAX:
        errors["name"] = f"Name must be {NAME_MAX} characters or fewer"
    if first_day is None:
        errors["first_day"] = "Enter the first day of the holiday"
    if last_day is None:
        errors["last_day"] = "Enter the last day of the holiday"
    if first_day and last_day:
        earliest, latest = academic_years(today)
        if last_day < first_day:
            errors["last_day"] = "The last day must be the same as or after the first day"
        elif (last_day - first_day).days >= MAX_CLOSURE_DAYS:
            errors["last_day"] = f"A holiday must be shorter than {MAX_CLOSURE_DAYS} days"
        elif first_day < earliest or last_day > latest:
            errors["first_day"] = (f"The holiday must be in this academic year or the next, between "
                                   f"{earliest.day} September {earliest.year} and {latest.day} August {latest.year}")
    return errors


@transactional
def add_holiday(la: LocalAuthority, *, by, name: str | None, first_day: date | None, last_day: date | None) -> CouncilHoliday:
    """A term holiday or closure on the council's calendar: its following schools' clocks skip it."""
    require("council_calendar:manage", la)
    errors = check(name, first_day, last_day)
    if errors:
        raise CalendarInvalid(errors)
    name = name.strip()
    # A double click (or two admins at once) adds the holiday once: the second waits on the
    # council's row, then finds the first.
    db.session.execute(select(LocalAuthority.id).where(LocalAuthority.id == la.id).with_for_update()).first()
    same = db.session.execute(select(CouncilHoliday).where(
        CouncilHoliday.local_authority_id == la.id, CouncilHoliday.name == name,
        CouncilHoliday.first_day == first_day, CouncilHoliday.last_day == last_day,
    )).scalars().first()
    if same is not None:
        return same
    holiday = CouncilHoliday(local_authority_id=la.id, name=name, first_day=first_day, last_day=last_day,
                             created_by_id=by.id)
    db.session.add(holiday)
    db.session.flush()
    school_days.recompute_open_due_dates(school_ids_following(la.id))
    audit.record("council_calendar.add", object_type="council_holiday", object_id=holiday.id,
                 detail=f"{first_day.isoformat()}..{last_day.isoformat()}", organisation_id=la.id)
    return holiday


@transactional
def remove_holiday(la: LocalAuthority, holiday_id: uuid.UUID) -> None:
    """Off the calendar; another council's holiday is not found."""
    require("council_calendar:manage", la)
    holiday = db.session.get(CouncilHoliday, holiday_id)
    if holiday is None or holiday.local_authority_id != la.id:
        raise NotFound()
    require("council_calendar:manage", holiday)
    detail = f"{holiday.first_day.isoformat()}..{holiday.last_day.isoformat()}"
    db.session.delete(holiday)
    db.session.flush()
    school_days.recompute_open_due_dates(school_ids_following(la.id))
    audit.record("council_calendar.remove", object_type="council_holiday", object_id=holiday_id, detail=detail,
                 organisation_id=la.id)
