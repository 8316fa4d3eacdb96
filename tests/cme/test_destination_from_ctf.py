"""The destination question of an off-roll notice starts from where the school's Common Transfer
File said the pupil went (the file's DestSchool, or the next school in the pupil's history): a
school in the portal by its name and LAESTAB, another school by the name and LAESTAB the file
gives, another council by its LA code when only the council is known. The DSL can change it, and
what is sent is what the DSL answered."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from demo.ctf import build_ctf, invented_pupils
from portal.cme.service import SUGGESTED
from portal.db import db
from portal.pupils.models import Pupil
from tests.cme.helpers import notice_of
from tests.factories import make_la

LEFT_ON = date(2026, 11, 20)


def _import(client, content: bytes) -> None:
    response = client.post("/pupils/import-ctf", data={"ctf": (io.BytesIO(content), "roll.xml")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    url = response.headers["Location"]
    assert client.post(url, data={}).status_code == 302
    assert client.get(url + "/run").status_code == 302


def _leaver(world, dsl, **leaving):
    """Oakfield's roll imported, then a second file with the first pupil leaving as given."""
    # The world's Oakfield is 938 + its establishment number: the file must come from it.
    la, estab = world.oakfield.laestab[:3], world.oakfield.laestab[3:]
    pupils = invented_pupils(2, la=la, estab=estab)
    _import(dsl, build_ctf(pupils, source=(la, estab), dest=(la, estab)))
    pupils[0].leaving_date = LEFT_ON
    pupils[0].next_school = leaving.pop("next_school", None)
    _import(dsl, build_ctf(pupils, source=(la, estab), dest=leaving.pop("dest", (la, estab))))
    db.session.expire_all()
    return next(p for p in db.session.scalars(select(Pupil)) if p.upn == pupils[0].upn)


def _destination_page(dsl, pupil):
    response = dsl.post(f"/cme/pupils/{pupil.id}/off-roll-notice", data={})
    assert response.status_code == 302
    notice = notice_of(pupil)
    return notice, dsl.get(f"/cme/notices/{notice.id}/destination").get_data(as_text=True)


def _checked(page: str, value: str) -> bool:
    return f'value="{value}" checked' in page or (f'value="{value}"' in page and "checked" in
                                                  page.split(f'value="{value}"', 1)[1][:40])


def test_the_school_the_file_is_addressed_to_in_the_portal_is_filled_in_and_can_be_changed(world):
    dsl = world.client(world.oak_dsl)
    riverside = world.riverside
    pupil = _leaver(world, dsl, dest=(riverside.laestab[:3], riverside.laestab[3:]))
    notice, page = _destination_page(dsl, pupil)
    assert _checked(page, "school")
    assert f"Riverside Academy (LAESTAB {riverside.laestab})" in page and 'id="destination-from-ctf"' in page

    # The DSL changes it: what they answer is what is kept and sent.
    base = f"/cme/notices/{notice.id}"
    assert dsl.post(f"{base}/destination", data={"destination_kind": "local_authority",
                                                 "destination_detail": "Leeds"}).status_code == 302
    again = dsl.get(f"{base}/destination").get_data(as_text=True)
    assert _checked(again, "local_authority") and 'id="destination-from-ctf"' not in again
    assert notice_of(pupil).answers["destination_detail"] == "Leeds"


def test_a_next_school_outside_the_portal_is_filled_in_by_its_name_and_laestab_and_not_sent_as_a_suggestion(world):
    dsl = world.client(world.oak_dsl)
    pupil = _leaver(world, dsl, next_school=("940", "2417", "Beckside Primary School", LEFT_ON))
    notice, page = _destination_page(dsl, pupil)
    assert _checked(page, "school") and "Beckside Primary School (LAESTAB 9402417)" in page
    # Answered as suggested, then sent: the answers sent hold the answer, not the suggestion.
    base = f"/cme/notices/{notice.id}"
    for step, data in (("grounds", {"grounds": "9_1_a"}),
                       ("last-day", {"last_attendance": ["19", "11", "2026"]}),
                       ("destination", {"destination_kind": "school",
                                        "destination_detail": "Beckside Primary School (LAESTAB 9402417)"}),
                       ("enquiries", {"enquiries": "The new school confirmed she started there."})):
        assert dsl.post(f"{base}/{step}", data=data).status_code == 302, step
    assert dsl.post(f"{base}/check", data={}).status_code == 302
    sent = notice_of(pupil)
    assert sent.status == "received" and SUGGESTED not in sent.answers
    assert sent.answers["destination_detail"] == "Beckside Primary School (LAESTAB 9402417)"


@pytest.mark.parametrize("known, expected", [(True, "Westdale (LA code 940)"), (False, "LA code 940")])
def test_only_the_council_known_fills_in_another_local_authority_by_its_code(world, known, expected):
    if known:
        make_la("940", "Westdale")
        db.session.commit()
    dsl = world.client(world.oak_dsl)
    pupil = _leaver(world, dsl, dest=("940", "MMMM"))
    _notice, page = _destination_page(dsl, pupil)
    assert _checked(page, "local_authority") and expected in page


@pytest.mark.parametrize("dest", [("MMM", "MMMM"), ("XXX", "XXXX")])
def test_a_file_that_says_the_destination_is_not_known_fills_in_nothing(world, dest):
    dsl = world.client(world.oak_dsl)
    pupil = _leaver(world, dsl, dest=dest)
    _notice, page = _destination_page(dsl, pupil)
    assert 'id="destination-from-ctf"' not in page and not _checked(page, "school")


def test_a_pupil_still_on_the_roll_has_nothing_filled_in(world):
    dsl = world.client(world.oak_dsl)
    _notice, page = _destination_page(dsl, world.pupil)
    assert 'id="destination-from-ctf"' not in page


def test_the_pupil_page_calls_the_files_next_school_the_next_school_not_the_current_one(world):
    dsl = world.client(world.oak_dsl)
    pupil = _leaver(world, dsl, next_school=("940", "2417", "Beckside Primary School", LEFT_ON))
    page = dsl.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    history = page.split("School history", 1)[1]
    assert "Beckside Primary School" in history and "Next school (from your MIS)" in history
    assert "Current" not in history
