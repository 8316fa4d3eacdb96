"""Where a DSL meets "Send an off-roll notice": the page that records a leaver, and each pupil who
has left on the leavers list."""

from __future__ import annotations

from datetime import date, timedelta

from tests.cme.helpers import date_fields
from tests.factories import make_pupil_through_service


def test_the_leaver_page_and_the_leavers_list_link_to_the_notice(world):
    dsl = world.client(world.oak_dsl)
    pupil = make_pupil_through_service(world.oakfield, start_date=date.today() - timedelta(days=400))
    link = f"/cme/pupils/{pupil.id}/off-roll-notice"
    assert link in dsl.get(f"/transfers/leavers/{pupil.id}").get_data(as_text=True)
    left = dsl.post(f"/transfers/leavers/{pupil.id}",
                    data={"destination_kind": "unknown", "school": "",
                          **date_fields("leaving_date", date.today() - timedelta(days=2))})
    assert left.status_code == 302, left.get_data(as_text=True)
    listing = dsl.get("/transfers/leavers").get_data(as_text=True)
    assert link in listing and "Send an off-roll notice" in listing
    # Off the roll, the notice can still be sent.
    assert dsl.get(link).status_code == 200


def test_the_pupil_page_links_to_the_notice_for_the_schools_leads(world):
    link = f"/cme/pupils/{world.pupil.id}/off-roll-notice"
    for user in (world.oak_dsl, world.oak_deputy):
        assert link in world.client(user).get(f"/pupils/{world.pupil.id}").get_data(as_text=True)
