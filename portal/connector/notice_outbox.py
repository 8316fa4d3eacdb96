"""The outbox of Operation Encompass notices on their way to the council's case system.

    enqueue_notice(notice) -> NoticeOutboxItem | None   # EncompassNoticeRouted, in the routing's transaction
    build_notice_payload(notice) -> dict                 # contract v1's encompass_notice
    claim_due(worker_id, batch, lease_seconds) -> Claim  # commits; no transaction left open
    record_results(claim, results)                       # one short transaction per batch
    retry_dead_notices(la_code) -> int                   # after a fix (flask connector retry-notices)
    retry_dead_notices_for(user) -> int                  # the same, a triage manager on the status page
    notice_counts(local_authority_id) -> dict            # by state, for `flask connector status`

The same guarantees as the referrals' outbox (portal.connector.outbox, whose docstring explains
them): one row per notice (`notice_id` is unique, and enqueueing a notice that has a row does
nothing), written in the transaction that routed the notice's last child; a payload snapshot
sent unchanged on every retry under the notice's id as the idempotency key; claims with
`FOR UPDATE SKIP LOCKED` (one conditional UPDATE on SQLite) and a lease per claim; outcomes
recorded only by the claim that holds the lease (a delivery whoever holds it); backoff with full
jitter; permanent refusals dead-lettered with an audit event and an email to the LA's triage
managers (no child details); rows of an LA with no endpoint wait, unclaimed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, func, select, update

from portal import audit
from portal.connector import alerts
from portal.connector.client import DeliveryResult
from portal.connector.models import NoticeOutboxItem, OutboxState
from portal.connector.notice_payload import MESSAGE_KIND
from portal.connector.outbox import Claim, claim_rows, clear_endpoint_problem, note_endpoint_problem, retry_delay
from portal.connector.payload import SCHEMA_VERSION
from portal.db import db, utcnow
from portal.encompass.models import EncompassNotice, Exposure, Routing
from portal.orgs.models import Agency, LocalAuthority, School
from portal.policy import require
from portal.transaction import transactional, unit_of_work

# What the case system is told of each child's routing. A child the key contact later routes by
# hand, or handles outside the portal, was "held" when the council was told: the key contact is
# the council's own.
ROUTED_TO = {Routing.DELIVERED: "school", Routing.HELD: "held", Routing.HANDLED_OUTSIDE: "held"}


# --- enqueue -------------------------------------------------------------------------------------


def _iso(when: datetime) -> str:
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).isoformat()


def build_notice_payload(notice: EncompassNotice) -> dict:
    """The notice as the council's case system receives it (docs/connector-contract.md).

    Every child, each with where the portal sent it: "school" with the school's URN, LAESTAB and
    name, or "held" (with the council's key contact) and why. Never the pupil record it was
    matched to: the case system matches children itself.
    """
    la = db.session.get(LocalAuthority, notice.local_authority_id)
    police = db.session.get(Agency, notice.agency_id)
    children = []
    for child in notice.children:
        exposure = set(child.exposure or [])
        entry = {
            "position": child.position,
            "forename": child.forename,
            "surname": child.surname,
            "date_of_birth": child.date_of_birth.isoformat(),
            "address": child.address or None,
            "school_given": child.school_given or None,
            "affected": {e.value: e.value in exposure for e in Exposure},
            "injured": child.injured,
            "injuries": child.injuries or None,
            "child_words": child.disclosure or None,
            "routed_to": ROUTED_TO[Routing(child.routing)],
            "school": None,
            "held_reason": None,
            "routed_at": _iso(child.routed_at),
        }
        if child.upn:
            entry["upn"] = child.upn
        if entry["routed_to"] == "school":
            school = db.session.get(School, child.school_id)
            entry["school"] = {"urn": school.urn, "laestab": school.laestab, "name": school.name[:200]}
        else:
            entry["held_reason"] = child.held_reason or "no_match"
        children.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": MESSAGE_KIND,
        "notice_id": str(notice.id),
        "la_code": la.code,
        "sent_at": _iso(notice.submitted_at),
        "police": {"name": police.name[:200], "kind": police.kind},
        "police_reference": notice.police_reference,
        "incident_at": _iso(notice.incident_at),
        "other_agencies": notice.other_agencies or None,
        "children": children,
    }


@transactional
def enqueue_notice(notice: EncompassNotice) -> NoticeOutboxItem | None:
    """Add the routed notice's outbox row with its payload snapshot (joining the caller's unit of
    work). None if the notice already has one: a notice is queued once, whatever happens."""
    exists = db.session.execute(
        select(NoticeOutboxItem.id).where(NoticeOutboxItem.notice_id == notice.id)
    ).scalar_one_or_none()
    if exists is not None:
        return None
    item = NoticeOutboxItem(
        notice_id=notice.id,
        local_authority_id=notice.local_authority_id,
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    item.payload = build_notice_payload(notice)
    db.session.add(item)
    db.session.flush()
    return item


# --- claim ---------------------------------------------------------------------------------------


@dataclass
class ClaimedNotice:
    id: uuid.UUID
    notice_id: uuid.UUID
    local_authority_id: uuid.UUID
    payload: dict
    attempts: int


def claim_due(worker_id: str, batch: int = 50, lease_seconds: float = 120.0) -> Claim:
    """Claim up to `batch` due notices of LAs that have an endpoint (the referrals' `claim_rows`)."""
    return claim_rows(NoticeOutboxItem, worker_id, batch, lease_seconds, lambda row: ClaimedNotice(
        row.id, row.notice_id, row.local_authority_id, row.payload, row.attempts))


# --- outcomes ------------------------------------------------------------------------------------


def record_results(claim: Claim, results: list[tuple[ClaimedNotice, DeliveryResult]]) -> dict[str, int]:
    """Record a batch's outcomes in one short unit of work of its own. Returns counts by outcome."""
    now = utcnow()
    t = NoticeOutboxItem.__table__
    delivered, retry, dead = [], [], []
    problems: dict[uuid.UUID, str] = {}
    healthy: set[uuid.UUID] = set()
    for item, result in results:
        if result.delivered:
            delivered.append({"b_id": item.id, "b_ref": result.case_reference})
            healthy.add(item.local_authority_id)
            continue
        common = {"b_id": item.id, "b_reason": result.reason[:40], "b_code": result.status_code,
                  "b_detail": (result.detail or None) and result.detail[:500]}
        if result.permanent:
            dead.append((item, common))
        else:
            common["b_next"] = now + timedelta(seconds=retry_delay(item.attempts, result))
            retry.append(common)
        if result.endpoint_problem:
            problems[item.local_authority_id] = result.reason[:40]
        elif result.permanent:
            healthy.add(item.local_authority_id)
    with unit_of_work():
        if delivered:
            db.session.execute(
                update(t).where(t.c.id == bindparam("b_id"), t.c.state != OutboxState.DELIVERED)
                .values(state=OutboxState.DELIVERED, notice_reference=bindparam("b_ref"), delivered_at=now,
                        lease_owner=None, lease_until=None, last_error=None, last_error_detail=None,
                        last_status_code=None, dead_at=None),
                delivered,
            )
        if retry:
            db.session.execute(
                update(t).where(t.c.id == bindparam("b_id"), t.c.lease_owner == claim.token,
                                t.c.state == OutboxState.IN_FLIGHT)
                .values(state=OutboxState.PENDING, next_attempt_at=bindparam("b_next"), lease_owner=None,
                        lease_until=None, last_error=bindparam("b_reason"), last_status_code=bindparam("b_code"),
                        last_error_detail=bindparam("b_detail")),
                retry,
            )
        newly_dead: dict[uuid.UUID, set[str]] = {}
        for item, values in dead:
            moved = db.session.execute(
                update(t).where(t.c.id == item.id, t.c.lease_owner == claim.token, t.c.state == OutboxState.IN_FLIGHT)
                .values(state=OutboxState.DEAD, dead_at=now, lease_owner=None, lease_until=None,
                        last_error=values["b_reason"], last_status_code=values["b_code"],
                        last_error_detail=values["b_detail"])
            ).rowcount == 1
            if moved:
                newly_dead.setdefault(item.local_authority_id, set()).add(values["b_reason"])
                audit.record("connector.notice_dead_letter", object_type="encompass_notice", object_id=item.notice_id,
                             outcome="failure", detail=values["b_reason"], actor_id=None,
                             organisation_id=item.local_authority_id)
        for la_id, reasons in newly_dead.items():
            queue_dead_notice_alert(la_id, sum(1 for i, _ in dead if i.local_authority_id == la_id), reasons)
        for la_id, problem in problems.items():
            note_endpoint_problem(la_id, problem, now)
        for la_id in healthy - set(problems):
            clear_endpoint_problem(la_id)
    return {"delivered": len(delivered), "retry": len(retry), "dead": len(dead)}


NOTICE_REASON_TEXT = {
    "not_accepted": "the case system does not take Operation Encompass notices (404 at /v1/encompass-notices)",
    "conflict": "the case system already holds a different notice under the same identifier (409)",
    "rejected": "the case system refused the notice as invalid (400 or 422)",
    "invalid_payload": "the notice does not fit the case system contract",
    "too_large": "the notice is too large for the case system (413)",
}


def queue_dead_notice_alert(local_authority_id: uuid.UUID, count: int, reasons: set[str]) -> None:
    """Email the LA's triage managers (after commit) that `count` notices were dead-lettered."""
    la = db.session.get(LocalAuthority, local_authority_id)
    lines = "\n".join(f"- {NOTICE_REASON_TEXT.get(r, alerts.reason_text(r))}" for r in sorted(reasons))
    plural = "s" if count != 1 else ""
    subject = f"{count} Operation Encompass notice{plural} could not be delivered to your case system"
    body = (
        f"Safeguard Portal could not deliver {count} Operation Encompass notice{plural} to {la.name}’s case "
        f"system, and will not try again until someone retries:\n{lines}\n\n"
        "The notices are safe in the portal: schools and your Operation Encompass key contact have them "
        f"as before. Once the cause is fixed, retry them on the connector status page:\n{alerts._status_link()}\n\n"
        "This email does not contain any details about children. Do not reply to it."
    )
    alerts._queue(local_authority_id, subject, body)


# --- people and operators ------------------------------------------------------------------------


@transactional
def retry_dead_notices(la_code: str) -> int:
    """An operator puts the LA's dead-lettered notices back in the queue, due now. Returns how many."""
    la_id = db.session.execute(select(LocalAuthority.id).where(LocalAuthority.code == la_code)).scalar_one_or_none()
    return 0 if la_id is None else _retry_dead(la_id)


def _retry_dead(la_id: uuid.UUID) -> int:
    ids = list(db.session.execute(
        select(NoticeOutboxItem.notice_id).where(NoticeOutboxItem.local_authority_id == la_id,
                                                 NoticeOutboxItem.state == OutboxState.DEAD)
        .with_for_update()
    ).scalars())
    if not ids:
        return 0
    db.session.execute(
        update(NoticeOutboxItem)
        .where(NoticeOutboxItem.notice_id.in_(ids), NoticeOutboxItem.state == OutboxState.DEAD)
        .values(state=OutboxState.PENDING, next_attempt_at=utcnow(), attempts=0, dead_at=None, lease_owner=None,
                lease_until=None)
        .execution_options(synchronize_session=False)
    )
    for notice_id in ids:
        audit.record("connector.notice_retry", object_type="encompass_notice", object_id=notice_id, actor_id=None,
                     organisation_id=la_id)
    return len(ids)


@transactional
def retry_dead_notices_for(user) -> int:
    """A triage manager puts their own LA's dead-lettered notices back in the queue (the status
    page's button). Returns how many."""
    la = db.session.get(LocalAuthority, user.local_authority_id)
    require("connector:manage", la)
    moved = _retry_dead(la.id)
    if moved:
        audit.record("connector.notices_retried", object_type="local_authority", object_id=la.id,
                     detail=f"notices_{moved}", actor=user)
    return moved


def notice_counts(local_authority_id: uuid.UUID) -> dict[str, int]:
    """How many of the LA's notices are in each state (every state present, 0 when none)."""
    rows = db.session.execute(
        select(NoticeOutboxItem.state, func.count(NoticeOutboxItem.id))
        .where(NoticeOutboxItem.local_authority_id == local_authority_id)
        .group_by(NoticeOutboxItem.state)
    ).all()
    counts = {state.value: 0 for state in OutboxState}
    counts.update({state: n for state, n in rows})
    return counts
