"""Operation Encompass joins the off-roll check: a school's off-roll notice about a child the police
told the school about in the last twelve months (a notice routed to this pupil's record) is flagged
to the council's triage as "an Operation Encompass notice"; an older one, or one about another
child, is not."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.auth.roles import Role
from portal.db import db, utcnow
from portal.encompass.models import EncompassChild, EncompassNotice, NoticeStatus, Routing
from portal.orgs.models import AgencyKind
from portal.triage.models import OffRollFlag
from tests.cme.helpers import send_notice
from tests.factories import agency_user, make_agency, make_pupil


def _police_told_the_school(world, pupil, *, days_ago: int) -> None:
    police = make_agency(world.northshire, kind=AgencyKind.POLICE_FORCE)
    notifier = agency_user(police, Role.ENCOMPASS_NOTIFIER)
    sent = utcnow() - timedelta(days=days_ago)
    notice = EncompassNotice(agency_id=police.id, local_authority_id=world.northshire.id, created_by_id=notifier.id,
                             status=NoticeStatus.SUBMITTED, submitted_at=sent, submitted_by_id=notifier.id,
                             incident_at=sent - timedelta(hours=3))
    child = EncompassChild(position=1, answered=True, routing=Routing.DELIVERED,
                           local_authority_id=world.northshire.id, school_id=pupil.school_id, pupil_id=pupil.id,
                           routed_at=sent)
    child.forename, child.surname, child.date_of_birth = "Kai", "Whitfield", date(2016, 2, 3)
    notice.children.append(child)
    db.session.add(notice)
    db.session.commit()


def _flag_for(notice):
    db.session.expire_all()
    return db.session.execute(select(OffRollFlag).where(OffRollFlag.notice_id == notice.id)).scalar_one_or_none()


def test_a_recent_encompass_notice_flags_the_off_roll_notice_to_triage(world):
    _police_told_the_school(world, world.pupil, days_ago=40)
    notice = send_notice(world.client(world.oak_dsl), world.pupil)
    flag = _flag_for(notice)
    assert flag is not None and flag.reasons == ["encompass"]
    page = world.client(world.worker).get(f"/triage/off-roll-notices/{flag.id}").get_data(as_text=True)
    assert "an Operation Encompass notice" in page


def test_an_old_notice_or_one_about_another_child_does_not(world):
    _police_told_the_school(world, world.pupil, days_ago=400)
    sibling = make_pupil(world.oakfield)
    _police_told_the_school(world, sibling, days_ago=5)
    notice = send_notice(world.client(world.oak_dsl), world.pupil)
    assert notice.flagged_at is None and _flag_for(notice) is None
