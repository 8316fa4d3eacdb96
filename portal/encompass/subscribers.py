"""Operation Encompass joins the off-roll notice's check (portal.events.OffRollNoticeSent).

A school's off-roll notice about a child the police told the school about after a domestic abuse
incident is flagged to the council's triage as well (issue #17: "a notice about a pupil with any
open concern, referral or Encompass notice"). An Encompass notice has no open or closed state of
its own, so "open" here means recent: one about this child (routed to this pupil's record) sent
in the last twelve months, the window Working Together uses for re-referrals.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.db import db, utcnow
from portal.encompass.models import EncompassChild, EncompassNotice
from portal.events import OffRollNoticeSent, subscribe

RECENT = timedelta(days=365)


def has_recent_notice(pupil_id) -> bool:
    since = utcnow() - RECENT
    found = db.session.execute(
        select(EncompassChild.id)
        .join(EncompassNotice, EncompassNotice.id == EncompassChild.notice_id)
        .where(EncompassChild.pupil_id == pupil_id, EncompassNotice.submitted_at >= since)
        .limit(1)
    ).first()
    return found is not None


@subscribe(OffRollNoticeSent)
def a_recent_encompass_notice(event: OffRollNoticeSent) -> None:
    if has_recent_notice(event.notice.pupil_id):
        event.open_records.append("encompass")
