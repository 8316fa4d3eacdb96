"""An off-roll notice on the pupil's chronology at the school that sent it: its own kind when
sent, the council's outcome when closed; never on another school's view; carried in the child
protection file the school sends when the pupil moves."""

from __future__ import annotations

import pytest

from portal.chronology.service import ChronologyRefused, chronology_for
from portal.chronology.sources import Context
from portal.cme.chronology import off_roll_entries
from portal.db import db
from portal.transfers.snapshot import gather
from tests.cme.helpers import ENQUIRIES, send_notice, write_notice


def test_a_sent_notice_and_its_outcome_are_on_the_chronology_and_in_a_transferred_file(world):
    dsl = world.client(world.oak_dsl)
    notice = send_notice(dsl, world.pupil)

    page = dsl.get(f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)
    assert "Off-roll notice sent to Northshire" in page and "Off-roll notice" in page
    assert "regulation 9(1)(g)" in page and ENQUIRIES in page
    entries = [e for e in chronology_for(world.pupil, world.oak_dsl) if e.object_type == "off_roll_notice"]
    assert [e.kind for e in entries] == ["off_roll_notice"]
    assert entries[0].kind_label == "Off-roll notice" and entries[0].categories == frozenset({"missing"})
    assert entries[0].link == f"/cme/notices/{notice.id}"

    # Closed by the council: the outcome is an entry too.
    officer = world.client(world.officer)
    closed = officer.post(f"/cme/queue/{notice.id}/close",
                          data={"outcome": "found_in_school", "detail": "Beckside Primary, Leeds"})
    assert closed.status_code == 302
    db.session.expire_all()
    kinds = sorted(e.kind for e in chronology_for(world.pupil, world.oak_dsl) if e.object_type == "off_roll_notice")
    assert kinds == ["off_roll_notice", "off_roll_outcome"]
    page = dsl.get(f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)
    assert "Children missing education outcome" in page and "Beckside Primary, Leeds" in page

    # The file the school would send carries both.
    preview = gather(world.pupil, world.oak_dsl)
    carried = {e["kind"]: e for e in preview.entries if e["kind"] in ("off_roll_notice", "off_roll_outcome")}
    assert set(carried) == {"off_roll_notice", "off_roll_outcome"}
    assert ["Enquiries made", ENQUIRIES] in [list(d) for d in carried["off_roll_notice"]["details"]]

    # Another school's DSL sees none of it: the chronology is not theirs, and the adapter keeps
    # the notice from anyone the policy does not let read it.
    other = world.client(world.river_dsl)
    assert other.get(f"/pupils/{world.pupil.id}/chronology").status_code == 404
    with pytest.raises(ChronologyRefused):
        chronology_for(world.pupil, world.river_dsl)
    for viewer in (world.river_dsl, world.hill_dsl, world.oak_staff, world.officer):
        assert list(off_roll_entries(Context(pupil=world.pupil, viewer=viewer))) == []
    assert len(list(off_roll_entries(Context(pupil=world.pupil, viewer=world.oak_deputy)))) == 2


def test_a_draft_is_on_nobodys_chronology(world):
    dsl = world.client(world.oak_dsl)
    write_notice(dsl, world.pupil)
    assert not [e for e in chronology_for(world.pupil, world.oak_dsl) if e.object_type == "off_roll_notice"]
    assert "Off-roll notice sent" not in dsl.get(f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)
