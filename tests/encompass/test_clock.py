"""The 08:30 clock: a notice must be read before 08:30 on the next school day at the child's
school (weekends, England and Wales bank holidays and the school's closed days skipped), and at
08:30 an unread notice is chased: the school's deputies and the council's key contacts are told,
once, with a link only."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.db import db
from portal.encompass import clock, service
from portal.encompass.models import Routing
from portal.notify.models import MailMessage
from portal.transfers.models import SchoolClosure
from portal.working_days import ENGLAND_AND_WALES, UK, WorkingCalendar
from tests.encompass.conftest import KNOWN, SIBLING, as_user, child_form, children_of, record_notice


def uk(y, m, d, hh, mm) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UK)


@pytest.mark.parametrize("when, due", [
    # A school night: 08:30 the next morning.
    (uk(2026, 12, 1, 22, 15), uk(2026, 12, 2, 8, 30)),
    # Early on a school day: 08:30 that day.
    (uk(2026, 12, 2, 6, 5), uk(2026, 12, 2, 8, 30)),
    # 08:30 itself has started the day: the next one.
    (uk(2026, 12, 2, 8, 30), uk(2026, 12, 3, 8, 30)),
    # Friday evening and the weekend: Monday.
    (uk(2026, 12, 4, 19, 0), uk(2026, 12, 7, 8, 30)),
    (uk(2026, 12, 5, 11, 0), uk(2026, 12, 7, 8, 30)),
    (uk(2026, 12, 6, 23, 59), uk(2026, 12, 7, 8, 30)),
    # The summer bank holiday (Monday 31 August 2026): Tuesday.
    (uk(2026, 8, 28, 20, 0), uk(2026, 9, 1, 8, 30)),
    # Christmas Eve: Christmas Day (Friday) and the Boxing Day holiday moved to Monday 28th.
    (uk(2026, 12, 24, 21, 0), uk(2026, 12, 29, 8, 30)),
    # Easter 2027: Good Friday 26 March and Easter Monday 29 March.
    (uk(2027, 3, 25, 18, 0), uk(2027, 3, 30, 8, 30)),
])
def test_weekends_and_bank_holidays(when, due):
    assert clock.deadline(when.astimezone(timezone.utc), ENGLAND_AND_WALES) == due.astimezone(timezone.utc)


def test_0830_is_uk_time_in_summer_and_winter():
    summer = clock.deadline(uk(2026, 6, 9, 21, 0).astimezone(timezone.utc))
    winter = clock.deadline(uk(2026, 11, 9, 21, 0).astimezone(timezone.utc))
    assert (summer.hour, summer.minute) == (7, 30)  # 08:30 BST
    assert (winter.hour, winter.minute) == (8, 30)  # 08:30 GMT
    # The clocks go forward on Sunday 28 March 2027, and Monday is Easter Monday: Tuesday 08:30 BST.
    due = clock.deadline(uk(2027, 3, 27, 10, 0).astimezone(timezone.utc))
    assert due == uk(2027, 3, 30, 8, 30).astimezone(timezone.utc) and (due.hour, due.minute) == (7, 30)


def test_a_schools_closed_days_are_skipped(world):
    # Oakfield is closed for a training day on Monday 7 December and the Christmas holiday.
    for first, last in ((date(2026, 12, 7), date(2026, 12, 7)), (date(2026, 12, 19), date(2027, 1, 4))):
        db.session.add(SchoolClosure(school_id=world.oakfield.id, first_day=first, last_day=last,
                                     created_by_id=world.people["oakfield dsl"].id))
    db.session.commit()
    friday = uk(2026, 12, 4, 19, 0).astimezone(timezone.utc)
    assert clock.due_at(friday, world.oakfield.id) == uk(2026, 12, 8, 8, 30).astimezone(timezone.utc)
    # Riverside has no closures: weekdays without bank holidays.
    assert clock.due_at(friday, world.riverside.id) == uk(2026, 12, 7, 8, 30).astimezone(timezone.utc)
    last_day = uk(2026, 12, 18, 20, 0).astimezone(timezone.utc)
    assert clock.due_at(last_day, world.oakfield.id) == uk(2027, 1, 5, 8, 30).astimezone(timezone.utc)
    # Held by the council: its weekday calendar.
    assert clock.due_at(friday, None) == uk(2026, 12, 7, 8, 30).astimezone(timezone.utc)


def test_a_closure_in_a_calendar_of_its_own():
    calendar = WorkingCalendar(closed_days=[date(2026, 12, 2)])
    assert clock.deadline(uk(2026, 12, 1, 22, 0), calendar) == uk(2026, 12, 3, 8, 30).astimezone(timezone.utc)


def _mail_to() -> list[str]:
    return sorted(m.recipient for m in db.session.execute(select(MailMessage)).scalars())


def _forget_mail():
    for message in db.session.execute(select(MailMessage)).scalars():
        db.session.delete(message)
    db.session.commit()


def test_unread_at_0830_the_deputies_and_the_key_contact_are_told_once(client, world):
    people = world.people
    as_user(client, people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"]),
                                       child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"])])
    service.route_waiting()
    delivered, held = children_of(notice_id)
    assert delivered.routing == Routing.DELIVERED and held.routing == Routing.HELD
    _forget_mail()

    # Before the deadline nothing is chased.
    assert service.chase_overdue(now=delivered.due_at - timedelta(minutes=1)) == 0
    assert _mail_to() == []

    later = max(delivered.due_at, held.due_at) + timedelta(minutes=1)
    assert service.chase_overdue(now=later) == 2
    to = _mail_to()
    assert people["oakfield deputy"].email in to and people["key contact"].email in to
    assert people["oakfield dsl"].email not in to  # told at delivery; the chase is for the others
    assert to.count(people["key contact"].email) == 2  # one unread at a school, one still held
    for message in db.session.execute(select(MailMessage)).scalars():
        assert "Amelia" not in message.body and "Oakfield" not in message.body and "/encompass/" in message.body
    # Once only.
    assert service.chase_overdue(now=later + timedelta(hours=1)) == 0


def test_a_notice_read_in_time_is_not_chased(client, world):
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"])])
    service.route_waiting()
    [child] = children_of(notice_id)
    as_user(client, world.people["oakfield deputy"])
    assert client.get(f"/encompass/school/{child.id}").status_code == 200
    [child] = children_of(notice_id)
    assert service.chase_overdue(now=child.due_at + timedelta(hours=2)) == 0


def test_the_chase_runs_in_the_mail_worker_and_the_command(app, client, world):
    from portal.notify.outbox import send_due

    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"])])
    send_due()
    [child] = children_of(notice_id)
    assert child.routing == Routing.DELIVERED
    child.due_at, child.routed_at = child.due_at - timedelta(days=3), child.routed_at - timedelta(days=3)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["encompass", "chase"])
    assert result.exit_code == 0, result.output
    assert "1 notice" in result.output
    assert children_of(notice_id)[0].chased_at is not None


def test_a_notice_chased_while_held_is_chased_again_when_the_school_misses_0830(client, world):
    as_user(client, world.people["notifier"])
    notice_id = record_notice(client, [child_form("Pax", "Ellingham", KNOWN["born"])])
    service.route_waiting()
    [child] = children_of(notice_id)
    assert service.chase_overdue(now=child.due_at + timedelta(minutes=1)) == 1
    as_user(client, world.people["key contact"])
    client.post(f"/encompass/council/{child.id}/route", data={"school_id": str(world.oakfield.id)})
    [child] = children_of(notice_id)
    assert child.routing == Routing.DELIVERED and child.chased_at is None
    assert service.chase_overdue(now=child.due_at + timedelta(minutes=1)) == 1
