"""A referral arriving at an LA's front door, and being sent on to another LA.

`receive_referral(referral)` is the one place an arrival happens: the school's submission calls it
in the submission's transaction (and the connector may call it later for referrals that come in
another way). It puts the referral in the LA's queue with its one-working-day deadline, moves it
from submitted to acknowledged, and tells the school with a shared update; the school's DSLs get
an email that names no child (portal.updates.service sends it once the transaction commits).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update

from portal import audit
from portal.db import db, utcnow
from portal.domain_errors import Conflict
from portal.orgs.models import Agency, AgencyKind, AgencySector, LocalAuthority
from portal.referrals.models import Referral, ReferralStatus
from portal.referrals.lifecycle import record_status
from portal.templating import uk_datetime
from portal.transaction import transactional
from portal.triage.decision_deadline import decision_due
from portal.triage.models import ItemState, NoteKind, TriageItem, TriageNote
from portal.updates.models import UpdateKind
from portal.updates.service import addressed_to, create_shared_update


class ArrivalRefused(Conflict):
    """The referral cannot arrive (not submitted, or not routed to any LA). No personal data."""


def source_of(referral: Referral) -> str:
    """The broad source the queue and reports count by: "school", or the agency's sector."""
    if referral.agency_id is None:
        return AgencySector.SCHOOL.value
    agency = db.session.get(Agency, referral.agency_id)
    return AgencyKind(agency.kind).sector.value


def current_item(referral_id: uuid.UUID) -> TriageItem | None:
    return db.session.execute(
        select(TriageItem).where(TriageItem.referral_id == referral_id, TriageItem.current.is_(True))
        .order_by(TriageItem.round.desc()).limit(1)
    ).scalar_one_or_none()


@transactional
def receive_referral(referral: Referral, *, received_at: datetime | None = None) -> TriageItem:
    """Put a submitted referral into its LA's queue and acknowledge it to the school (a shared
    update: triage is above the updates area, so it tells the school directly).

    A unit of work: called inside the submission's (or a routing decision's), it joins it.

    Calling it again for a referral already in that LA's queue changes nothing and returns the
    item, so a retried submission or a connector replay never makes a second queue entry.
    """
    db.session.flush()
    db.session.refresh(referral)  # the submission changed it with UPDATE statements
    if referral.local_authority_id is None:
        raise ArrivalRefused("the referral is not routed to a local authority")
    existing = current_item(referral.id)
    if existing is not None and existing.local_authority_id == referral.local_authority_id:
        return existing
    if referral.status != ReferralStatus.SUBMITTED:
        raise ArrivalRefused("only a submitted referral can arrive")
    received_at = received_at or referral.submitted_at or utcnow()
    last_round = db.session.execute(
        select(func.max(TriageItem.round)).where(TriageItem.referral_id == referral.id)
    ).scalar_one_or_none() or 0
    item = TriageItem(
        referral_id=referral.id,
        round=last_round + 1,
        current=True,
        local_authority_id=referral.local_authority_id,
        school_id=referral.school_id,
        agency_id=referral.agency_id,
        source=source_of(referral),
        urgent=bool(referral.urgent),
        received_at=received_at,
        due_at=decision_due(received_at),
        state=ItemState.NEW,
        open=True,
    )
    db.session.add(item)
    db.session.flush()

    record_status(referral, ReferralStatus.ACKNOWLEDGED)
    la = db.session.get(LocalAuthority, referral.local_authority_id)
    _acknowledge(referral, item, la)
    audit.record("triage.receive", object_type="referral", object_id=referral.id, detail=f"round_{item.round}",
                 organisation_id=la.id)
    return item


def acknowledgement_content(referral: Referral, item: TriageItem, la: LocalAuthority) -> dict:
    """What the referrer (a school or a partner agency) reads: the reference and the deadline,
    nothing from the form."""
    return {
        "title": f"{la.name} has received referral {referral.reference or ''}".strip(),
        "body": (
            f"{la.name} has received your referral and will decide what happens next within one working day. "
            "If you think the child is at immediate risk, call 999 or the council's duty line now."
        ),
        "facts": [
            {"label": "Referral", "value": referral.reference or ""},
            {"label": "Received", "value": uk_datetime(item.received_at)},
            {"label": "Decision due by", "value": uk_datetime(item.due_at)},
        ],
    }


def _acknowledge(referral: Referral, item: TriageItem, la: LocalAuthority) -> None:
    create_shared_update(
        **addressed_to(referral),
        local_authority_id=la.id,
        kind=UpdateKind.ACKNOWLEDGEMENT,
        content=acknowledgement_content(referral, item, la),
        referral_id=referral.id,
        created_by=None,
    )


def route_to_another_la(referral: Referral, item: TriageItem, to_la: LocalAuthority, *, note: str, by_user,
                        at: datetime) -> TriageItem:
    """Send the referral on: it leaves this LA's queue and arrives in the other's. Runs in the caller's unit of work.

    The first LA keeps its (closed) item for its records and reports; the referral itself now
    belongs to the other LA's queue, which gets its own arrival, clock and acknowledgement.
    """
    moved = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.local_authority_id == item.local_authority_id)
        .values(local_authority_id=to_la.id, status=ReferralStatus.SUBMITTED, updated_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not moved:
        raise ArrivalRefused("the referral is no longer in this local authority's queue")
    db.session.execute(
        update(TriageItem).where(TriageItem.id == item.id).values(current=False)
        .execution_options(synchronize_session=False, queue_of=item.local_authority_id)
    )
    if note.strip():
        routing_note = TriageNote(referral_id=referral.id, local_authority_id=to_la.id, author_id=by_user.id,
                                  created_at=at, kind=NoteKind.ROUTING)
        routing_note.text = note.strip()
        db.session.add(routing_note)
    db.session.refresh(referral)
    return receive_referral(referral, received_at=at)
