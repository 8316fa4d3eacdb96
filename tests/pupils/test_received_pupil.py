"""A pupil whose child protection file came from another school: their chronology says which
school they left for which (never reading as if they left the receiving school), and nobody is
offered to request the file that has already come."""

from __future__ import annotations

from datetime import date, timedelta

from portal.auth.roles import Role
from tests.factories import make_pupil, make_user
from tests.transfers.conftest import world  # noqa: F401  (the fixture)
from tests.transfers.helpers import accept_and_match, leave_and_send

REQUEST = "Request their child protection file"


def _received(world):
    oak = world.client(world.oak_dsl)
    transfer = leave_and_send(oak, world.pupil, to_urn=world.riverside.urn, leaving=date.today() - timedelta(days=1))
    return accept_and_match(world.client(world.river_dsl), transfer)


def test_the_received_pupils_chronology_says_they_left_the_sending_school_for_the_receiving_one(world):
    transfer = _received(world)
    river = world.client(world.river_dsl)
    chronology = river.get(f"/pupils/{transfer.receiving_pupil_id}/chronology").get_data(as_text=True)
    assert "Left Oakfield Primary School for Riverside Academy (transferred from Oakfield Primary School)" in chronology
    assert "Left the school" not in chronology
    assert "Child protection file received from Oakfield Primary School" in chronology
    # The sending school's own chronology says the same of the same move.
    oak = world.client(world.oak_dsl)
    assert "Child protection file sent to Riverside Academy" in oak.get(
        f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)


def test_a_leaver_not_yet_sent_reads_left_one_school_for_the_other(world):
    from tests.transfers.helpers import record_leaver

    oak = world.client(world.oak_dsl)
    record_leaver(oak, world.pupil, leaving=date.today(), school=world.riverside.urn)
    chronology = oak.get(f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)
    assert "Left Oakfield Primary School for Riverside Academy" in chronology


def test_a_leaver_to_home_education_says_so_with_the_school_they_left(world):
    from tests.transfers.helpers import record_leaver

    oak = world.client(world.oak_dsl)
    record_leaver(oak, world.pupil, leaving=date.today(), kind="elective_home_education")
    chronology = oak.get(f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)
    assert "Left Oakfield Primary School: elective home education" in chronology


def test_an_older_transferred_leaving_entry_is_shown_in_the_new_words():
    from portal.transfers.chronology import _transferred_summary

    assert _transferred_summary("Left the school (Riverside Academy)", "Oakfield Primary School") == \
        "Left Oakfield Primary School for Riverside Academy"
    assert _transferred_summary("Left the school (moved abroad)", "Oakfield Primary School") == \
        "Left Oakfield Primary School: moved abroad"
    assert _transferred_summary("Concern logged", "Oakfield Primary School") == "Concern logged"


def test_a_received_pupil_is_not_offered_a_request_for_the_file_that_has_come(world):
    transfer = _received(world)
    river = world.client(world.river_dsl)
    page = river.get(f"/pupils/{transfer.receiving_pupil_id}").get_data(as_text=True)
    assert "Chronology" in page and REQUEST not in page
    # A pupil who joined Riverside with no file yet is offered it, by the DSL and the deputy.
    joined = make_pupil(world.riverside, forename="Nia", surname="Newcomer")
    assert REQUEST in river.get(f"/pupils/{joined.id}").get_data(as_text=True)
    deputy = world.client(world.river_deputy)
    assert REQUEST in deputy.get(f"/pupils/{joined.id}").get_data(as_text=True)
    assert REQUEST not in deputy.get(f"/pupils/{transfer.receiving_pupil_id}").get_data(as_text=True)


def test_the_receiving_schools_staff_and_the_sending_school_cannot_open_the_received_record(world):
    transfer = _received(world)
    staff = world.client(make_user(Role.SCHOOL_STAFF, world.riverside, display_name="Rita Staff"))
    assert staff.get(f"/pupils/{transfer.receiving_pupil_id}").status_code in (403, 404)
    assert world.client(world.oak_dsl).get(f"/pupils/{transfer.receiving_pupil_id}").status_code == 404
