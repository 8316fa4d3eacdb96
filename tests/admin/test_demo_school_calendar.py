"""The demo's school calendars: Northshire's and Southmoor's 2026/27 term holidays, seeded once;
the README's walk: Northshire's LA admin sees them, Oakfield's DSL sees that the school follows
them, and a notice or a file over Christmas is due on the first day back."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select

from demo.cli import seed
from demo.school_calendar import seed_demo_school_calendar
from portal.auth.signin import find_user
from portal.db import db
from portal.encompass import clock
from portal.orgs.service import get_school_by_urn
from portal.school_calendar.models import CouncilHoliday
from portal.transfers import school_days
from portal.working_days import UK
from tests.signing_in import sign_in


def test_the_demo_calendars_and_the_readme_walk(app, client):
    seed()
    seed_demo_school_calendar()
    assert db.session.execute(select(func.count()).select_from(CouncilHoliday)).scalar_one() == 12
    oakfield, hillcrest = get_school_by_urn("938001"), get_school_by_urn("939001")
    # Oakfield (Northshire) is back on Monday 4 January, Hillcrest (Southmoor) on Tuesday 5 January.
    last_night = datetime(2026, 12, 18, 21, 0, tzinfo=UK).astimezone(timezone.utc)
    assert clock.due_at(last_night, oakfield.id).astimezone(UK).date() == date(2027, 1, 4)
    assert clock.due_at(last_night, hillcrest.id).astimezone(UK).date() == date(2027, 1, 5)
    assert school_days.due_date(oakfield.id, date(2026, 12, 18)) == date(2027, 1, 8)

    sign_in(client, find_user("admin@northshire.demo"))
    page = client.get("/admin/school-calendar").get_data(as_text=True)
    assert "Christmas holiday" in page and "Summer holiday" in page
    sign_in(client, find_user("dsl@oakfield.demo"))
    page = client.get("/transfers/closed-days").get_data(as_text=True)
    assert "follows Northshire’s term dates" in page and "February half term" in page
