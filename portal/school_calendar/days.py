"""The calculation: a school's calendar (a portal.working_days.WorkingCalendar whose closed days
are its council's holidays, unless it keeps its own term dates, and its own closures).

`calendar_for(school_id)` reads one school (three small queries). `Calendars` is a cache for a
pass over many records (the Encompass router, the transfers' due dates after a council changes its
calendar): `calendars_for(school_ids)` loads every school asked for with one query per table, and
each council's holidays once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.db import db, utcnow
from portal.orgs.models import School
from portal.school_calendar.models import CouncilHoliday, SchoolClosure, SchoolTermDates
from portal.working_days import ENGLAND_AND_WALES, UK, WorkingCalendar

# A holiday or closure longer than this is almost certainly a typing mistake (a summer holiday is
# about 6 weeks).
MAX_CLOSURE_DAYS = 120


def today_uk(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(UK).date()


def _days(ranges: Iterable[tuple[date, date]]) -> set[date]:
    days: set[date] = set()
    for first, last in ranges:
        day = first
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return days


def council_days(la_id: uuid.UUID) -> frozenset[date]:
    """The days on the council's calendar (its holidays and closures)."""
    return frozenset(_days(db.session.execute(
        select(CouncilHoliday.first_day, CouncilHoliday.last_day).where(CouncilHoliday.local_authority_id == la_id)
    ).all()))


def keeps_own_term_dates(school_id: uuid.UUID) -> bool:
    return bool(db.session.scalar(
        select(SchoolTermDates.own_term_dates).where(SchoolTermDates.school_id == school_id)
    ))


def calendars_for(school_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, WorkingCalendar]:
    """Each school's calendar, read with one query per table whatever the number of schools."""
    ids = list({school_id for school_id in school_ids if school_id is not None})
    if not ids:
        return {}
    council_of = dict(db.session.execute(select(School.id, School.local_authority_id).where(School.id.in_(ids))).all())
    own_terms = set(db.session.execute(
        select(SchoolTermDates.school_id).where(SchoolTermDates.school_id.in_(ids), SchoolTermDates.own_term_dates)
    ).scalars())
    closures: dict[uuid.UUID, list[tuple[date, date]]] = defaultdict(list)
    for school_id, first, last in db.session.execute(
        select(SchoolClosure.school_id, SchoolClosure.first_day, SchoolClosure.last_day)
        .where(SchoolClosure.school_id.in_(ids))
    ):
        closures[school_id].append((first, last))
    councils = {la_id for school_id, la_id in council_of.items() if school_id not in own_terms}
    holidays: dict[uuid.UUID, list[tuple[date, date]]] = defaultdict(list)
    if councils:
        for la_id, first, last in db.session.execute(
            select(CouncilHoliday.local_authority_id, CouncilHoliday.first_day, CouncilHoliday.last_day)
            .where(CouncilHoliday.local_authority_id.in_(councils))
        ):
            holidays[la_id].append((first, last))
    council_sets = {la_id: _days(ranges) for la_id, ranges in holidays.items()}
    found = {}
    for school_id in ids:
        days = _days(closures.get(school_id, ()))
        if school_id not in own_terms:
            days |= council_sets.get(council_of.get(school_id), set())
        found[school_id] = WorkingCalendar(closed_days=days)
    return found


def calendar_for(school_id: uuid.UUID | None) -> WorkingCalendar:
    """The school's days; weekdays without bank holidays when there is no school."""
    if school_id is None:
        return ENGLAND_AND_WALES
    return calendars_for([school_id]).get(school_id, ENGLAND_AND_WALES)


class Calendars:
    """Calendars read once per school for the length of a pass (not across passes: a change to a
    calendar is seen by the next pass)."""

    def __init__(self) -> None:
        self._found: dict[uuid.UUID, WorkingCalendar] = {}

    def load(self, school_ids: Iterable[uuid.UUID]) -> None:
        missing = [school_id for school_id in school_ids if school_id is not None and school_id not in self._found]
        self._found.update(calendars_for(missing))

    def __call__(self, school_id: uuid.UUID | None) -> WorkingCalendar:
        if school_id is None:
            return ENGLAND_AND_WALES
        if school_id not in self._found:
            self.load([school_id])
        return self._found.get(school_id, ENGLAND_AND_WALES)


def school_ids_following(la_id: uuid.UUID) -> list[uuid.UUID]:
    """The council's schools whose days follow its calendar (not those keeping their own terms)."""
    own = select(SchoolTermDates.school_id).where(SchoolTermDates.own_term_dates)
    return list(db.session.execute(
        select(School.id).where(School.local_authority_id == la_id, School.id.not_in(own))
    ).scalars())
