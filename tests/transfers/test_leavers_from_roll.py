"""Leavers taken from the school's MIS (portal/transfers/leavers.py): a child with a safeguarding
record gets a transfer pre-addressed to the school the CTF names, its clock from the leaving date
over the school's closed days; a child with none only leaves the roll; the school is found by its
LAESTAB; a joining pupil's file waiting at the receiving school is found by UPN, and only there."""

from __future__ import annotations

from datetime import date

from flask_login import login_user

from portal.db import db
from portal.transfers import leavers
from portal.transfers.models import SchoolClosure, TransferStatus
from tests.factories import make_pupil_through_service
from tests.transfers.conftest import UPN
from tests.transfers.helpers import leave_and_send


def _as(world, user):
    context = world.app.test_request_context("/transfers/leavers")
    context.push()
    login_user(user)
    return context


def test_a_child_with_a_record_gets_a_pre_addressed_transfer_with_the_clock_over_closed_days(world):
    db.session.add(SchoolClosure(school_id=world.oakfield.id, first_day=date(2026, 7, 20),
                                 last_day=date(2026, 9, 1), created_by_id=world.oak_dsl.id))
    db.session.commit()
    context = _as(world, world.oak_dsl)
    try:
        assert leavers.has_safeguarding_record(world.pupil)
        assert leavers.school_by_laestab(world.riverside.laestab).id == world.riverside.id
        transfer = leavers.record_leaver_from_roll(world.pupil, by=world.oak_dsl, leaving_date=date(2026, 7, 17),
                                                   to_school=world.riverside, has_record=True, today=date(2026, 7, 20))
    finally:
        context.pop()
    assert (transfer.status, transfer.to_school_id) == (TransferStatus.TO_SEND, world.riverside.id)
    assert transfer.leaving_date == date(2026, 7, 17) and transfer.due_date == date(2026, 9, 8)
    assert world.pupil.on_roll is False


def test_a_child_with_no_record_only_leaves_the_roll_and_is_listed(world):
    other = make_pupil_through_service(world.oakfield, forename="Nell", surname="Quarrington", born=date(2016, 4, 4))
    context = _as(world, world.oak_dsl)
    try:
        assert not leavers.has_safeguarding_record(other)
        assert leavers.record_leaver_from_roll(other, by=world.oak_dsl, leaving_date=date(2026, 11, 20),
                                               to_school=None, has_record=False) is None
        listing = leavers.leavers_list(world.oak_dsl)
    finally:
        context.pop()
    assert other.on_roll is False
    assert [(leaver.pupil.id, leaver.transfer) for leaver in listing.leavers] == [(other.id, None)]


def test_a_waiting_file_is_found_by_upn_at_the_school_it_was_sent_to_only(world):
    oak = world.client(world.oak_dsl)
    transfer = leave_and_send(oak, world.pupil, to_urn="938002", leaving=date(2026, 11, 20))
    context = _as(world, world.river_dsl)
    try:
        found = leavers.waiting_files_for(world.riverside, {UPN.lower(), "A000000000000"})
        assert {upn: t.id for upn, t in found.items()} == {UPN: transfer.id}
    finally:
        context.pop()
    context = _as(world, world.hill_dsl)
    try:
        assert leavers.waiting_files_for(world.hillcrest, {UPN}) == {}
    finally:
        context.pop()
