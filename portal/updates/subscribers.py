"""Shared updates that other areas' events send to a school (portal.events).

A submitted referral is acknowledged to the school once it is in its LA's queue (the triage
subscriber runs first): the update carries the reference and the decision deadline, nothing from
the form, and its email to the school's DSLs goes once the submission has committed.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.db import db
from portal.events import ReferralSubmitted, subscribe
from portal.orgs.models import LocalAuthority
from portal.triage.arrival import acknowledgement_content, current_item
from portal.updates.models import SharedUpdate
from portal.updates.service import create_shared_update


@subscribe(ReferralSubmitted)
def acknowledge_referral(event: ReferralSubmitted) -> None:
    referral = event.referral
    item = current_item(referral.id)
    if item is None:  # no arrival, nothing to acknowledge (the triage subscriber raises first)
        return
    la = db.session.get(LocalAuthority, item.local_authority_id)
    if _already_acknowledged(referral.id, la.id):
        return
    create_shared_update(
        school_id=referral.school_id,
        local_authority_id=la.id,
        kind="acknowledgement",
        content=acknowledgement_content(referral, item, la),
        referral_id=referral.id,
        created_by=None,
    )


def _already_acknowledged(referral_id, local_authority_id) -> bool:
    """One acknowledgement per arrival in an LA's queue, as triage makes one queue entry."""
    return db.session.execute(
        select(SharedUpdate.id).where(SharedUpdate.referral_id == referral_id,
                                      SharedUpdate.local_authority_id == local_authority_id,
                                      SharedUpdate.kind == "acknowledgement").limit(1)
    ).first() is not None
