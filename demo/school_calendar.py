"""Demo data: Northshire's and Southmoor's school calendars for 2026/27 (invented but plausible
English term holidays). Every demo school follows its council's calendar; Riverside Academy's DSL
can say on its closed-days page that it keeps its own term dates. Idempotent: a council that has
any holidays already is left as it is."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from portal.db import db
from portal.orgs.models import LocalAuthority
from portal.school_calendar.models import CouncilHoliday

# (name, first day, last day): weekdays the schools are on holiday (bank holidays are skipped anyway).
CALENDARS = {
    "938": [  # Northshire
        ("October half term", date(2026, 10, 26), date(2026, 10, 30)),
        ("Christmas holiday", date(2026, 12, 21), date(2027, 1, 1)),
        ("February half term", date(2027, 2, 15), date(2027, 2, 19)),
        ("Easter holiday", date(2027, 3, 29), date(2027, 4, 9)),
        ("May half term", date(2027, 5, 31), date(2027, 6, 4)),
        ("Summer holiday", date(2027, 7, 22), date(2027, 8, 31)),
    ],
    "939": [  # Southmoor: back a day later after Christmas, breaks up a day later in the summer
        ("October half term", date(2026, 10, 26), date(2026, 10, 30)),
        ("Christmas holiday", date(2026, 12, 21), date(2027, 1, 4)),
        ("February half term", date(2027, 2, 15), date(2027, 2, 19)),
        ("Easter holiday", date(2027, 3, 29), date(2027, 4, 9)),
        ("May half term", date(2027, 5, 31), date(2027, 6, 4)),
        ("Summer holiday", date(2027, 7, 23), date(2027, 8, 31)),
    ],
}


def seed_demo_school_calendar() -> None:
    if current_app.config["PORTAL_ENV"] == "production":
        raise RuntimeError("demo data is refused in production")
    for code, holidays in CALENDARS.items():
        la = db.session.execute(select(LocalAuthority).where(LocalAuthority.code == code)).scalar_one_or_none()
        if la is None:
            continue
        if db.session.execute(select(CouncilHoliday.id).where(CouncilHoliday.local_authority_id == la.id)).first():
            continue
        for name, first_day, last_day in holidays:
            db.session.add(CouncilHoliday(local_authority_id=la.id, name=name, first_day=first_day, last_day=last_day))
    db.session.flush()
