"""The transactional outbox: referrals waiting to reach their LA's case system.

    enqueue_referral(referral) -> OutboxItem         # inside submit_referral's transaction
    claim_due(worker_id, batch, lease_seconds) -> Claim   # commits; no transaction left open
    record_results(claim, results)                    # one short transaction per batch
    retry_dead_letter(user, item_id) -> OutboxItem    # a triage manager, after a fix
    delivery_status(referral_id) -> dict | None       # for the referral pages

How several workers share the queue
-----------------------------------
A worker claims a batch of due rows in one short transaction: pending rows whose
`next_attempt_at` has come, and in-flight rows whose lease has run out (their worker died).
On PostgreSQL the rows are picked with `SELECT ... FOR UPDATE SKIP LOCKED`, so workers on any
number of machines each take different rows without waiting for each other; the claim sets a
lease (`lease_owner`, `lease_until`) and commits. Only then does the worker make its HTTP calls,
with no transaction open. It records each outcome in a new short transaction, and only if it
still holds the lease it was given (`lease_owner` carries a nonce per claim): a worker that
stalled past its lease cannot overwrite what a later claim recorded. A "delivered" outcome is
recorded whoever holds the row: it is the truth about the case system.

If a worker dies after the case system stored a referral but before the worker recorded it,
the lease runs out, another worker sends the same payload under the same idempotency key, and
the case system answers 200 with the same case reference: delivered once.

SQLite has no row locks: the claim there is one UPDATE whose WHERE re-checks that each row is
still due, and SQLite runs one writer at a time, so two claims can never take the same row; but
workers on SQLite wait on each other's writes. Run one worker on SQLite (development); run as
many as you like on PostgreSQL.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, insert, or_, select, update

from portal import audit
from portal.connector import alerts
from portal.connector.client import DeliveryResult
from portal.connector.models import ConnectorEndpoint, DeliveryFailure, OutboxItem, OutboxState
from portal.connector.retry import DEFAULT_CAP_SECONDS, next_attempt_delay
from portal.connector.snapshot import build_referral_payload
from portal.db import db, utcnow
from portal.domain_errors import NotFound
from portal.policy import can
from portal.referrals.models import Referral
from portal.transaction import transactional, unit_of_work

STATE_TEXT = {
    OutboxState.PENDING: "Waiting to be sent",
    OutboxState.IN_FLIGHT: "Sending",
    OutboxState.DELIVERED: "Delivered",
    OutboxState.DEAD: "Not delivered: needs attention",
}
STATE_TAGS = {
    OutboxState.PENDING: "govuk-tag--yellow",
    OutboxState.IN_FLIGHT: "govuk-tag--light-blue",
    OutboxState.DELIVERED: "govuk-tag--green",
    OutboxState.DEAD: "govuk-tag--red",
}


# --- enqueue -------------------------------------------------------------------------------------


@transactional
def enqueue_referral(referral: Referral) -> OutboxItem:
    """Add the submitted referral's outbox row, with its payload snapshot (joining the caller's
    unit of work).

    Call it inside the submission's transaction (after the status, LA and submission time are
    set): the referral and its outbox row then commit, or fail, together.
    """
    item = OutboxItem(
        referral_id=referral.id,
        local_authority_id=referral.local_authority_id,
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    item.payload = build_referral_payload(referral)
    db.session.add(item)
    db.session.flush()
    return item


# --- claim ---------------------------------------------------------------------------------------


@dataclass
class ClaimedItem:
    id: uuid.UUID
    referral_id: uuid.UUID
    local_authority_id: uuid.UUID
    payload: dict
    attempts: int


@dataclass
class Claim:
    token: str
    lease_until: datetime
    items: list = field(default_factory=list)  # ClaimedItem, or a notice outbox's ClaimedNotice


def new_claim_token(worker_id: str) -> str:
    return f"{worker_id[:100]}/{secrets.token_hex(6)}"


def _due(model, now: datetime):
    return or_(
        and_(model.state == OutboxState.PENDING, model.next_attempt_at <= now),
        and_(model.state == OutboxState.IN_FLIGHT, model.lease_until < now),
    )


def claim_rows(model, worker_id: str, batch: int, lease_seconds: float, claimed_item: Callable) -> Claim:
    """Claim up to `batch` due rows of `model` (the referrals' outbox or the notices', which share
    their state, lease and retry columns) of LAs that have an endpoint; commit; return them as
    `claimed_item(row)` plain values.

    Its own short unit of work: the session ends with no transaction open, so the caller may go
    to the network at once.
    """
    now = utcnow()
    claim = Claim(new_claim_token(worker_id), now + timedelta(seconds=lease_seconds))
    configured = select(ConnectorEndpoint.local_authority_id)
    pick = (
        select(model.id)
        .where(_due(model, now), model.local_authority_id.in_(configured))
        .order_by(model.next_attempt_at)
        .limit(batch)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock only the outbox rows (not the endpoint rows the subquery reads).
        pick = pick.with_for_update(skip_locked=True, of=model)
    with unit_of_work():
        ids = list(db.session.execute(pick).scalars())
        if not ids:
            return claim
        claimed = list(db.session.execute(
            update(model)
            .where(model.id.in_(ids), _due(model, now))  # re-checked: on SQLite this is the guard
            .values(state=OutboxState.IN_FLIGHT, lease_owner=claim.token, lease_until=claim.lease_until,
                    attempts=model.attempts + 1, last_attempt_at=now)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        ).scalars())
        if claimed:
            rows = db.session.execute(select(model).where(model.id.in_(claimed))).scalars().all()
            claim.items = [claimed_item(row) for row in rows]
            for row in rows:
                db.session.expunge(row)  # plain values from here on; the rows are not kept around
    return claim


def claim_due(worker_id: str, batch: int = 50, lease_seconds: float = 120.0) -> Claim:
    """Claim up to `batch` due referrals of LAs that have an endpoint (`claim_rows`)."""
    return claim_rows(OutboxItem, worker_id, batch, lease_seconds, lambda row: ClaimedItem(
        row.id, row.referral_id, row.local_authority_id, row.payload, row.attempts))


# --- outcomes ------------------------------------------------------------------------------------


def retry_delay(attempts: int, result: DeliveryResult) -> float:
    """Backoff with full jitter; a server's Retry-After is a floor (capped like the backoff)."""
    delay = next_attempt_delay(max(attempts, 1))
    if result.retry_after:
        delay = max(delay, min(result.retry_after, DEFAULT_CAP_SECONDS))
    return delay


def record_results(claim: Claim, results: list[tuple[ClaimedItem, DeliveryResult]]) -> dict[str, int]:
    """Record a batch's outcomes in one short unit of work of its own. Returns counts by outcome."""
    now = utcnow()
    t = OutboxItem.__table__
    delivered, retry, dead, failures = [], [], [], []
    problems: dict[uuid.UUID, str] = {}
    healthy: set[uuid.UUID] = set()
    for item, result in results:
        if result.delivered:
            delivered.append({"b_id": item.id, "b_ref": result.case_reference, "b_person": result.person_id})
            healthy.add(item.local_authority_id)
            continue
        common = {"b_id": item.id, "b_reason": result.reason[:40], "b_code": result.status_code,
                  "b_detail": (result.detail or None) and result.detail[:500]}
        failures.append({"id": uuid.uuid4(), "outbox_id": item.id, "local_authority_id": item.local_authority_id,
                         "at": now, "reason": result.reason[:40], "status_code": result.status_code,
                         "permanent": result.permanent})
        if result.permanent:
            dead.append((item, common))
        else:
            common["b_next"] = now + timedelta(seconds=retry_delay(item.attempts, result))
            retry.append(common)
        if result.endpoint_problem:
            problems[item.local_authority_id] = result.reason[:40]
        elif result.permanent:
            healthy.add(item.local_authority_id)  # the case system answered, and signed its answer
    with unit_of_work():
        if delivered:
            db.session.execute(
                update(t).where(t.c.id == bindparam("b_id"), t.c.state != OutboxState.DELIVERED)
                .values(state=OutboxState.DELIVERED, case_reference=bindparam("b_ref"), person_id=bindparam("b_person"),
                        delivered_at=now, lease_owner=None, lease_until=None, last_error=None,
                        last_error_detail=None, last_status_code=None, dead_at=None),
                delivered,
            )
        if retry:
            db.session.execute(
                update(t).where(t.c.id == bindparam("b_id"), t.c.lease_owner == claim.token,
                                t.c.state == OutboxState.IN_FLIGHT)
                .values(state=OutboxState.PENDING, next_attempt_at=bindparam("b_next"), lease_owner=None, lease_until=None,
                        last_error=bindparam("b_reason"), last_status_code=bindparam("b_code"),
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
                audit.record("connector.dead_letter", object_type="referral", object_id=item.referral_id,
                             outcome="failure", detail=values["b_reason"], actor_id=None,
                             organisation_id=item.local_authority_id)
        if failures:
            db.session.execute(insert(DeliveryFailure.__table__), failures)
        for la_id, reasons in newly_dead.items():
            alerts.queue_dead_letter_alert(la_id, sum(1 for i, _ in dead if i.local_authority_id == la_id), reasons)
        for la_id, problem in problems.items():
            note_endpoint_problem(la_id, problem, now)
        for la_id in healthy - set(problems):
            clear_endpoint_problem(la_id)
    return {"delivered": len(delivered), "retry": len(retry), "dead": len(dead)}


def note_endpoint_problem(local_authority_id: uuid.UUID, problem: str, now: datetime | None = None) -> None:
    """Mark the LA's connection as having a problem; alert its managers when it starts. Runs in the
    caller's unit of work."""
    now = now or utcnow()
    started = db.session.execute(
        update(ConnectorEndpoint)
        .where(ConnectorEndpoint.local_authority_id == local_authority_id, ConnectorEndpoint.problem.is_(None))
        .values(problem=problem, problem_since=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if started:
        alerts.queue_endpoint_alert(local_authority_id, problem)


def clear_endpoint_problem(local_authority_id: uuid.UUID) -> None:
    db.session.execute(
        update(ConnectorEndpoint)
        .where(ConnectorEndpoint.local_authority_id == local_authority_id, ConnectorEndpoint.problem.is_not(None))
        .values(problem=None, problem_since=None)
        .execution_options(synchronize_session=False)
    )


# --- people --------------------------------------------------------------------------------------


def get_item_for(user, item_id: uuid.UUID) -> OutboxItem:
    item = db.session.get(OutboxItem, item_id)
    if item is None or not can(user, "connector:manage", item):
        raise NotFound("No such referral delivery")
    return item


@transactional
def retry_dead_letter(user, item_id: uuid.UUID) -> bool:
    """Put a dead-lettered referral back in the queue, due now. False if it was not dead."""
    item = get_item_for(user, item_id)
    moved = db.session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item.id, OutboxItem.state == OutboxState.DEAD)
        .values(state=OutboxState.PENDING, next_attempt_at=utcnow(), attempts=0, dead_at=None, lease_owner=None,
                lease_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if moved:
        audit.record("connector.retry", object_type="referral", object_id=item.referral_id, actor=user)
    return moved


def delivery_status(referral_id: uuid.UUID) -> dict | None:
    """The referral's delivery to the case system, for its pages (None: not queued for delivery).

    Keys: state, text, tag (a GOV.UK tag class), case_reference, delivered_at, attempts,
    last_error (a short code), next_attempt_at. Callers check access to the referral first.
    """
    row = db.session.execute(
        select(OutboxItem.state, OutboxItem.case_reference, OutboxItem.delivered_at, OutboxItem.attempts,
               OutboxItem.last_error, OutboxItem.next_attempt_at)
        .where(OutboxItem.referral_id == referral_id)
    ).one_or_none()
    if row is None:
        return None
    state, reference, delivered_at, attempts, last_error, next_at = row
    return {
        "state": state,
        "text": STATE_TEXT.get(state, state),
        "tag": STATE_TAGS.get(state, ""),
        "case_reference": reference,
        "delivered_at": delivered_at,
        "attempts": attempts,
        "last_error": last_error,
        "next_attempt_at": next_at if state == OutboxState.PENDING else None,
    }
