"""The 5-school-day clock: weekends, bank holidays and the school's own closed days are skipped;
overdue transfers are shown to the sending DSL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from portal.transfers.models import Transfer
from portal.transfers.school_days import sent_late, today_uk
from tests.transfers.helpers import date_fields, record_leaver, transfer_of


def test_clock_skips_a_weekend_and_a_bank_holiday(world):
    oak = world.client(world.oak_dsl)
    # Thursday 30 April 2026; Friday 1 May is day 1, the weekend and Monday 4 May (early May bank
    # holiday) do not count, Tuesday to Friday are days 2 to 5.
    record_leaver(oak, world.pupil, leaving=date(2026, 4, 30), school="938002")
    assert transfer_of(world.pupil).due_date == date(2026, 5, 8)


def test_clock_skips_a_weekend_alone(world):
    oak = world.client(world.oak_dsl)
    record_leaver(oak, world.pupil, leaving=date(2026, 3, 12), school="938002")  # a Thursday
    assert transfer_of(world.pupil).due_date == date(2026, 3, 19)


def test_clock_skips_the_schools_closed_days_and_follows_changes_to_them(world):
    oak = world.client(world.oak_dsl)
    # Leaving on Friday 17 July 2026, the summer holiday from 20 July to 1 September: due on the
    # fifth day of the new term, Tuesday 8 September.
    response = oak.post("/transfers/closed-days", data={**date_fields("first_day", date(2026, 7, 20)),
                                                          **date_fields("last_day", date(2026, 9, 1))})
    assert response.status_code == 302
    record_leaver(oak, world.pupil, leaving=date(2026, 7, 17), school="938002")
    transfer = transfer_of(world.pupil)
    assert transfer.due_date == date(2026, 9, 8)
    # Removing the closure brings the due date back (the transfer is still open).
    page = oak.get("/transfers/closed-days").get_data(as_text=True)
    assert "20 July 2026" in page
    from portal.transfers.models import SchoolClosure
    from portal.db import db

    closure = db.session.query(SchoolClosure).one()
    assert oak.post(f"/transfers/closed-days/{closure.id}/remove").status_code == 302
    assert transfer_of(world.pupil).due_date == date(2026, 7, 24)


def test_closed_days_must_make_sense(world):
    oak = world.client(world.oak_dsl)
    page = oak.post("/transfers/closed-days", data={**date_fields("first_day", date(2026, 9, 1)),
                                                     **date_fields("last_day", date(2026, 7, 20))}).get_data(as_text=True)
    assert "The last day must be the same as or after the first day" in page
    assert world.client(world.hill_dsl).post(f"/transfers/closed-days/{world.oakfield.id}/remove").status_code in (302, 404)


def test_overdue_transfer_is_shown_on_the_dsls_home_page_and_list(world):
    oak = world.client(world.oak_dsl)
    record_leaver(oak, world.pupil, leaving=today_uk() - timedelta(days=21), school="938002")
    home = oak.get("/home").get_data(as_text=True)
    assert 'data-transfers-overdue="1"' in home
    assert "1 child protection file not sent within 5 school days" in home
    listing = oak.get("/transfers").get_data(as_text=True)
    assert "Overdue" in listing
    # Sent, it is no longer overdue.
    oak.post(f"/transfers/{transfer_of(world.pupil).id}/send", data={"covering_note": ""})
    assert "not sent within 5 school days" not in oak.get("/home").get_data(as_text=True)


def test_a_transfer_in_time_is_not_overdue(world):
    oak = world.client(world.oak_dsl)
    record_leaver(oak, world.pupil, leaving=today_uk(), school="938002")
    assert "not sent within 5 school days" not in oak.get("/home").get_data(as_text=True)
    page = oak.get(f"/transfers/{transfer_of(world.pupil).id}").get_data(as_text=True)
    assert "school days left" in page


def test_a_file_is_late_by_the_day_in_england_not_in_utc():
    due = date(2026, 6, 10)
    # 23:30 UTC on the due date is 00:30 BST the day after: late.
    assert sent_late(Transfer(due_date=due, sent_at=datetime(2026, 6, 10, 23, 30, tzinfo=timezone.utc)))
    assert not sent_late(Transfer(due_date=due, sent_at=datetime(2026, 6, 10, 22, 30, tzinfo=timezone.utc)))
    assert not sent_late(Transfer(due_date=due, sent_at=None))
