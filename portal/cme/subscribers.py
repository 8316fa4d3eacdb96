"""What the school holds open about a child an off-roll notice is about (portal.events).

When a notice is sent (`OffRollNoticeSent`), each area that keeps records about children adds
what it holds open about this child to `event.open_records`; anything there flags the notice to
the council's triage. The school's concerns and referrals sit below this area, so it reads them
here. An area that cannot be read from here (one above it, or one built later, such as Operation
Encompass notices) joins the check by subscribing to the same event in its own subscribers.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from portal.concerns.models import Concern, ConcernPupil, ConcernReview, ConcernStatus, ReviewOutcome
from portal.db import db
from portal.events import OffRollNoticeSent, subscribe
from portal.referrals.models import Referral, ReferralStatus

# A reviewed concern stays open unless the DSL decided no further action.
CLOSED_REVIEW_OUTCOMES = (ReviewOutcome.NO_FURTHER_ACTION,)
# A referral is open from submission until the council closes it.
OPEN_REFERRAL_STATUSES = (ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED, ReferralStatus.IN_TRIAGE,
                          ReferralStatus.DECIDED)


def has_open_concern(pupil_id) -> bool:
    """A concern about the child (as its subject or naming them) awaiting review, or reviewed
    with anything but no further action."""
    concerns = db.session.execute(
        select(Concern.id, Concern.status).where(or_(
            Concern.pupil_id == pupil_id,
            Concern.id.in_(select(ConcernPupil.concern_id).where(ConcernPupil.pupil_id == pupil_id)),
        ))
    ).all()
    if any(status == ConcernStatus.AWAITING_REVIEW for _, status in concerns):
        return True
    reviewed = [concern_id for concern_id, status in concerns if status == ConcernStatus.REVIEWED]
    if not reviewed:
        return False
    latest: dict = {}
    for concern_id, outcome, at in db.session.execute(
        select(ConcernReview.concern_id, ConcernReview.outcome, ConcernReview.reviewed_at)
        .where(ConcernReview.concern_id.in_(reviewed))
    ):
        if concern_id not in latest or at >= latest[concern_id][1]:
            latest[concern_id] = (outcome, at)
    return any(outcome not in CLOSED_REVIEW_OUTCOMES for outcome, _ in latest.values())


def has_open_referral(pupil_id) -> bool:
    return db.session.execute(
        select(Referral.id).where(Referral.pupil_id == pupil_id, Referral.status.in_(list(OPEN_REFERRAL_STATUSES)))
        .limit(1)
    ).first() is not None


@subscribe(OffRollNoticeSent)
def what_the_school_holds_open(event: OffRollNoticeSent) -> None:
    pupil_id = event.notice.pupil_id
    if has_open_concern(pupil_id):
        event.open_records.append("concern")
    if has_open_referral(pupil_id):
        event.open_records.append("referral")
