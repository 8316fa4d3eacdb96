"""A pupil's chronology: everything the viewer may see about this pupil, newest first.

    pupil = pupil_for(viewer, pupil_id, "chronology:view")     # NotFound if not theirs to see
    entries = chronology_for(pupil, viewer, categories={"neglect"}, date_from=date(2026, 1, 1))
    record_read(ChronologyRead.VIEW, pupil, filters)           # the audited read: a unit of work

Each kind of record is loaded with one query (portal.chronology.sources), the people named on it
with one more, so the number of queries does not grow with the number of entries. Only this
pupil's records are read and decrypted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import bindparam, select
from werkzeug.exceptions import HTTPException

from portal import audit
from portal.auth import identity_kept
from portal.auth.models import User
from portal.chronology.entries import Entry
from portal.chronology.sources import SOURCES, Context
from portal.chronology.vocabulary import CATEGORY_LABELS, category_labels, portal_categories
from portal.db import db
from portal.domain_errors import NotFound, Refused
from portal.orgs.models import LocalAuthority, School
from portal.policy import can, require
from portal.pupils.models import Pupil
from portal.templating import UK, uk_date
from portal.transaction import transactional


class ChronologyRefused(Refused):
    """The viewer may not see this pupil's chronology (views answer 404 before this)."""


class ChronologyRead(StrEnum):
    """The ways a chronology is read, each its own audit action."""

    VIEW = "chronology.view"
    PRINT = "chronology.print"
    EXPORT = "chronology.export"


@dataclass(frozen=True)
class Filters:
    categories: frozenset[str] = frozenset()
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.categories or self.date_from or self.date_to)

    def describe(self) -> list[str]:
        """In words, for the printed and PDF chronology (a court must see what was left out)."""
        if not self.active:
            return ["None: every entry is shown"]
        lines = []
        if self.categories:
            lines.append("Categories: " + ", ".join(category_labels(sorted(self.categories, key=_category_position))))
        if self.date_from and self.date_to:
            lines.append(f"Dates: {uk_date(self.date_from)} to {uk_date(self.date_to)}")
        elif self.date_from:
            lines.append(f"Dates: from {uk_date(self.date_from)}")
        elif self.date_to:
            lines.append(f"Dates: up to {uk_date(self.date_to)}")
        return lines


def pupil_for(viewer, pupil_id: uuid.UUID, action: str) -> Pupil:
    """The pupil whose chronology `viewer` asks for, if they may do `action` to it (else
    NotFound: another school's pupil looks as if it did not exist)."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None:
        raise NotFound()
    require(action, pupil)
    identity_kept.keep_also(pupil)  # the page shows it after the audit commit: not read twice
    return pupil


def school_name(pupil: Pupil) -> str:
    school = db.session.get(School, pupil.school_id)
    return school.name if school is not None else ""


@transactional
def record_read(read: ChronologyRead, pupil: Pupil, filters: Filters | None, detail: str | None = None) -> None:
    """Audit one read of the chronology (its own transaction: the page is shown only once the
    read is on record). The detail says how it was filtered, never with what."""
    if detail is None:
        detail = "filtered" if filters is not None and filters.active else "all"
    audit.record(read, object_type="pupil", object_id=pupil.id, detail=detail)


def _category_position(code: str) -> int:
    codes = list(CATEGORY_LABELS)
    return codes.index(code) if code in codes else len(codes)


def uk_day_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """Whole UK days (midnight to midnight, Europe/London) as a UTC [start, end) window."""
    start = end = None
    if date_from is not None:
        start = datetime.combine(date_from, time.min, tzinfo=UK).astimezone(timezone.utc)
    if date_to is not None:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UK).astimezone(timezone.utc)
    return start, end


def chronology_for(
    pupil: Pupil,
    viewer,
    *,
    categories=None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[Entry]:
    """Every item `viewer` may see about `pupil`, newest first.

    `categories`: concern category codes; when given, only entries about a concern (or a referral
    of a concern) in one of them are kept, so updates about nothing in particular drop out.
    `date_from`/`date_to`: whole UK days, both inclusive. Raises ChronologyRefused if the viewer
    may not see this pupil's chronology at all.
    """
    if not can(viewer, "chronology:view", pupil):
        raise ChronologyRefused("not allowed to view this chronology")
    wanted = portal_categories(categories)
    unknown = wanted - set(CATEGORY_LABELS)
    if unknown:
        raise ValueError("unknown concern category")
    start, end = uk_day_bounds(date_from, date_to)
    ctx = Context(pupil=pupil, viewer=viewer, start=start, end=end)

    entries: list[Entry] = []
    for adapter in SOURCES.values():
        for entry in adapter(ctx):
            if wanted and not (entry.categories & wanted):
                continue
            entries.append(entry)

    entries = _with_names(entries, pupil)
    routes = current_app.url_map.bind("localhost")
    entries = [_with_checked_link(e, routes) for e in entries]
    entries.sort(key=Entry.sort_key, reverse=True)
    return entries


# Built once (the ids a bind parameter): see portal.chronology.sources, "The statements".
_WHO = (
    select(User.id, User.display_name, User.school_id, School.name, LocalAuthority.name)
    .outerjoin(School, User.school_id == School.id)
    .outerjoin(LocalAuthority, User.local_authority_id == LocalAuthority.id)
    .where(User.id.in_(bindparam("ids", expanding=True)))
)


def _with_names(entries: list[Entry], pupil: Pupil) -> list[Entry]:
    """Who did each thing, for every entry at once: one query, whatever the number of entries."""
    ids = {e.who_id for e in entries if e.who_id is not None}
    if not ids:
        return entries
    rows = db.session.execute(_WHO, {"ids": list(ids)}).all()
    names: dict[uuid.UUID, str] = {}
    for user_id, name, school_id, school_name, la_name in rows:
        # Someone at the pupil's own school needs no organisation; anyone else does.
        names[user_id] = name if school_id == pupil.school_id else f"{name} ({school_name or la_name})"
    return [replace(e, who=names.get(e.who_id, e.who or "Unknown user")) if e.who_id else e for e in entries]


def _with_checked_link(entry: Entry, routes) -> Entry:
    """Keep a link only if this portal has a page there (areas arrive at different times)."""
    if not entry.link:
        return entry
    try:
        routes.match(entry.link, method="GET")
    except HTTPException:
        return replace(entry, link=None)
    return entry


__all__ = [
    "ChronologyRead", "ChronologyRefused", "Entry", "Filters", "chronology_for", "pupil_for", "record_read",
    "school_name", "uk_day_bounds",
]
