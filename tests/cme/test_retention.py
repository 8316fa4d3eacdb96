"""At the child's 25th birthday the retention job destroys their off-roll notices with the rest of
their records: the notice, its questions and steps, and triage's flag (found through the schema's
foreign keys)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal.cme.models import OffRollNotice, OffRollNoticeEvent, OffRollQuestion
from portal.db import db
from portal.retention import service as retention
from portal.triage.models import OffRollFlag
from tests.cme.helpers import send_notice
from tests.factories import make_concern


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_retention_job_destroys_a_childs_off_roll_notices(world):
    make_concern(world.oakfield, world.pupil, world.oak_staff)
    notice = send_notice(world.client(world.oak_dsl), world.pupil)
    world.client(world.officer).post(f"/cme/queue/{notice.id}/question", data={"question": "Where?"})
    assert _count(OffRollNotice) == _count(OffRollQuestion) == _count(OffRollFlag) == 1
    retention.run(apply=True, today=date(2039, 1, 1))
    db.session.expire_all()
    for model in (OffRollNotice, OffRollQuestion, OffRollNoticeEvent, OffRollFlag):
        assert _count(model) == 0, model.__name__
