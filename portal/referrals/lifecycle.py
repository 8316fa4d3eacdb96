"""A submitted referral moving forward: acknowledged, in triage, decided, closed.

The LA's side moves it (triage arrival and decisions, the connector's pull of case-system status
changes). `record_status` joins its caller's unit of work; it reads and writes only the referral
and its events, so any area may import it without making a circle (it imports no service).
"""

from __future__ import annotations

from sqlalchemy import update

from portal import audit
from portal.auth.models import User
from portal.db import db, utcnow
from portal.domain_errors import Invalid
from portal.referrals.models import STATUSES, Referral, ReferralEvent, ReferralStatus

FORWARD = {status: index for index, status in enumerate(STATUSES)}


class StatusChangeRefused(Invalid):
    """Not a status the LA can move a referral to (unknown, or draft/submitted)."""


def record_status(referral: Referral, status: str, *, by_user: User | None = None) -> bool:
    """Move a submitted referral forward (acknowledged, in triage, decided, closed) and keep an event.

    Returns False, changing nothing, when the referral is already at or past that status (an
    update pulled twice). Runs in the caller's unit of work.
    """
    if status not in FORWARD or status in (ReferralStatus.DRAFT, ReferralStatus.SUBMITTED):
        raise StatusChangeRefused("unknown status")
    status = ReferralStatus(status)
    earlier = [s for s in STATUSES[1:] if FORWARD[s] < FORWARD[status]]
    moved = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status.in_(earlier))
        .values(status=status, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not moved:
        return False
    db.session.add(ReferralEvent(referral_id=referral.id, status=status, at=utcnow(),
                                 by_user_id=by_user.id if by_user is not None else None))
    audit.record("referral.status", object_type="referral", object_id=referral.id, detail=status.value, actor=by_user)
    db.session.flush()
    db.session.refresh(referral)
    return True
