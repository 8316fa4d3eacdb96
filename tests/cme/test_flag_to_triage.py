"""A notice about a child with a concern or referral open is flagged to the council's triage: its
workers see it beside their queue and read it (read only); without anything open, triage sees
nothing. Another council's triage, and every school role, are refused."""

from __future__ import annotations

from sqlalchemy import select

from portal.cme.subscribers import has_open_concern, has_open_referral
from portal.db import db
from portal.events import OffRollNoticeSent, subscribe, subscribers_of
from portal.triage.models import OffRollFlag
from portal.auth.roles import Role
from tests.cme.helpers import CME_PUPIL, send_notice
from tests.factories import make_concern, make_pupil, make_referral_record, make_review, make_user


def _flag():
    db.session.expire_all()
    return db.session.execute(select(OffRollFlag)).scalars().first()


def test_a_notice_about_a_child_with_an_open_concern_reaches_triage(world):
    make_concern(world.oakfield, world.pupil, world.oak_staff)
    notice = send_notice(world.client(world.oak_dsl), world.pupil)
    assert notice.flagged_at is not None
    flag = _flag()
    assert flag.notice_id == notice.id and flag.reasons == ["concern"]
    assert flag.local_authority_id == world.northshire.id

    worker = world.client(world.worker)
    queue = worker.get("/triage").get_data(as_text=True)
    assert 'id="off-roll-flags"' in queue and CME_PUPIL["surname"] in queue and "New" in queue
    page = worker.get(f"/triage/off-roll-notices/{flag.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "an open concern" in text and "read only" in text and CME_PUPIL["upn"] in text
    # Read only: no form to move it on, ask or close; the officer's pages stay closed to triage.
    assert "Close with an outcome" not in text and "<form" not in text.split("</header>")[-1].split("<footer")[0]
    assert worker.get(f"/cme/queue/{notice.id}").status_code == 403
    assert worker.post(f"/cme/queue/{notice.id}/close", data={"outcome": "died"}).status_code == 403
    assert _flag().seen_by_id == world.worker.id
    assert world.client(world.manager).get(f"/triage/off-roll-notices/{flag.id}").status_code == 200
    # The officer sees it flagged too.
    assert "Known to safeguarding" in world.client(world.officer).get("/cme/queue").get_data(as_text=True)


def test_an_open_referral_flags_and_nothing_open_does_not(world):
    make_referral_record(world.oakfield, world.pupil, world.oak_dsl, status="in_triage")
    send_notice(world.client(world.oak_dsl), world.pupil)
    assert _flag().reasons == ["referral"]

    quiet = make_pupil(world.oakfield)
    notice = send_notice(world.client(world.oak_dsl), quiet)
    assert notice.flagged_at is None
    assert db.session.execute(select(OffRollFlag).where(OffRollFlag.notice_id == notice.id)).first() is None


def test_what_counts_as_open(world):
    pupil = world.pupil
    assert not has_open_concern(pupil.id) and not has_open_referral(pupil.id)
    concern = make_concern(world.oakfield, pupil, world.oak_staff)
    assert has_open_concern(pupil.id)
    make_review(concern, world.oak_dsl, outcome="no_further_action")
    assert not has_open_concern(pupil.id)
    make_review(concern, world.oak_dsl, outcome="early_help")
    assert has_open_concern(pupil.id)
    other = make_pupil(world.oakfield)
    make_referral_record(world.oakfield, other, world.oak_dsl, status="draft")
    assert not has_open_referral(other.id)
    make_referral_record(world.oakfield, other, world.oak_dsl, status="closed")
    assert not has_open_referral(other.id)


def test_another_area_joins_the_check_by_subscribing(world):
    """How Operation Encompass (or any later area) adds what it holds: a subscriber of its own."""
    heard = []

    def encompass_knows(event):
        heard.append(event.notice.id)
        event.open_records.append("encompass")

    subscribe(OffRollNoticeSent)(encompass_knows)
    try:
        notice = send_notice(world.client(world.oak_dsl), world.pupil)
    finally:
        from portal import events

        events._subscribers[OffRollNoticeSent].remove(encompass_knows)
    assert heard == [notice.id]
    assert _flag().reasons == ["encompass"]
    assert encompass_knows not in subscribers_of(OffRollNoticeSent)
    page = world.client(world.worker).get(f"/triage/off-roll-notices/{_flag().id}").get_data(as_text=True)
    assert "an Operation Encompass notice" in page


def test_other_councils_and_other_roles_cannot_read_a_flag(world):
    make_concern(world.oakfield, world.pupil, world.oak_staff)
    send_notice(world.client(world.oak_dsl), world.pupil)
    flag = _flag()
    url = f"/triage/off-roll-notices/{flag.id}"
    south_worker = make_user(Role.TRIAGE_WORKER, world.southmoor, password_hash="x")
    assert world.client(south_worker).get(url).status_code == 404
    assert CME_PUPIL["surname"] not in world.client(south_worker).get("/triage").get_data(as_text=True)
    for user in (world.oak_dsl, world.oak_staff, world.officer, world.admin, world.hill_dsl):
        assert world.client(user).get(url).status_code == 403, user.role
    assert world.client(world.worker).get("/triage/off-roll-notices/not-a-uuid").status_code == 404
