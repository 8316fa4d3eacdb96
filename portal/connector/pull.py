"""Pulling each LA's update feed: referral status changes and case summaries, for schools.

    pull_la(local_authority_id, worker_id, http, *, interval) -> str   # outcome code

One worker at a time reads an LA's feed: it takes a lease on the LA's PullState row (a
conditional UPDATE, committed) and reads pages with no transaction open. Each page is stored in
one short transaction together with the new cursor (only while the worker still holds its lease),
so a crash re-reads at most one page, and a page read twice changes nothing: each update is kept
once, by its id (a unique column).

What reaches a school
---------------------
- A case summary is about a person id. The pupil is found through the outbox: the referrals the
  LA's case system gave that person id when they were delivered. The summary goes to the pupil's
  current school (following an accepted transfer of the child protection file when the child has
  moved). Only the fields the LA's sharing policy permits are kept (portal.triage.sharing), and of
  a contact only its name, email and phone: anything else the case system sent is dropped before
  anything is written, and nothing of it is stored anywhere.
- A referral status change moves the referral forward (portal.referrals.service.record_status)
  and, when it did move, tells the school: an acknowledgement, a decision (the outcome and the
  LA's feedback for the school, never its internal reasons or RAG rating), or a note.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.connector import outbox
from portal.connector import payload as contract
from portal.connector.client import PullError, pull_updates
from portal.connector.endpoints import client_endpoint, get_endpoint
from portal.connector.models import OutboxItem, OutboxState, PulledOutcome, PulledUpdate, PullState
from portal.connector.retry import next_attempt_delay
from portal.db import db, utcnow
from portal.orgs.models import LocalAuthority
from portal.pupils.models import Pupil
from portal.referrals.lifecycle import record_status
from portal.referrals.models import Referral
from portal.templating import uk_date
from portal.transaction import unit_of_work
from portal.transfers.models import Transfer
from portal.triage.models import Audience
from portal.triage.sharing import permitted_summary_fields
from portal.updates.models import UpdateKind
from portal.updates.service import addressed_to, create_shared_update

log = logging.getLogger("portal.connector")

PAGE_SIZE = 100
MAX_PAGES_PER_PULL = 50
LEASE_SECONDS = 120

STATUS_LABELS = {
    "open_early_help": "Open to early help",
    "child_in_need": "Child in need",
    "child_protection_plan": "Child protection plan",
    "looked_after": "Looked after",
    "closed": "Closed",
}
CP_LABELS = {
    "neglect": "Neglect",
    "physical_abuse": "Physical abuse",
    "emotional_abuse": "Emotional abuse",
    "sexual_abuse": "Sexual abuse",
    "multiple": "Multiple categories",
}
OUTCOME_LABELS = {
    "no_further_action": "No further action",
    "advice_and_signposting": "Advice and signposting",
    "early_help": "Early help",
    "child_and_family_assessment": "Child and family assessment (section 17)",
    "section_47_enquiry": "Strategy discussion and section 47 enquiry",
    "referred_to_another_la": "Referred to another local authority",
}
CONTACT_FIELDS = ("name", "email", "phone")


def _insert():
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- the lease on an LA's feed ---------------------------------------------------------------------


def _claim_feed(local_authority_id: uuid.UUID, token: str, *, force: bool) -> str | None:
    """Take the LA's feed for LEASE_SECONDS if it is due; returns the cursor ("" at the start).
    Its own short unit of work."""
    with unit_of_work():
        return _take_feed(local_authority_id, token, force=force)


def _take_feed(local_authority_id: uuid.UUID, token: str, *, force: bool) -> str | None:
    now = utcnow()
    db.session.execute(
        _insert()(PullState.__table__)
        .values(id=uuid.uuid4(), local_authority_id=local_authority_id, next_pull_at=now)
        .on_conflict_do_nothing(index_elements=["local_authority_id"])
    )
    conditions = [PullState.local_authority_id == local_authority_id,
                  (PullState.lease_until.is_(None)) | (PullState.lease_until < now)]
    if not force:
        conditions.append(PullState.next_pull_at <= now)
    taken = db.session.execute(
        update(PullState).where(*conditions)
        .values(lease_owner=token, lease_until=now + timedelta(seconds=LEASE_SECONDS), last_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    cursor = None
    if taken:
        cursor = db.session.execute(
            select(PullState.cursor).where(PullState.local_authority_id == local_authority_id)
        ).scalar_one() or ""
    return cursor


def _release_feed(local_authority_id, token, *, next_in: float, success: bool, error: str | None) -> None:
    now = utcnow()
    values = {"lease_owner": None, "lease_until": None, "next_pull_at": now + timedelta(seconds=next_in),
              "last_error": error}
    if success:
        values["last_success_at"] = now
    with unit_of_work():
        db.session.execute(
            update(PullState).where(PullState.local_authority_id == local_authority_id, PullState.lease_owner == token)
            .values(**values).execution_options(synchronize_session=False)
        )


def pull_la(local_authority_id: uuid.UUID, worker_id: str, http: httpx.Client | None = None, *,
            interval: float = 30.0, force: bool = False) -> str:
    """Read the LA's feed to its end if it is due. Returns: not_due, no_endpoint, pulled, or an error code."""
    with unit_of_work():  # a read, ended before any network call
        row = get_endpoint(local_authority_id)
        endpoint = client_endpoint(row) if row is not None else None
    if endpoint is None:
        return "no_endpoint"
    token = outbox.new_claim_token(worker_id)
    cursor = _claim_feed(local_authority_id, token, force=force)
    if cursor is None:
        return "not_due"
    try:
        for _ in range(MAX_PAGES_PER_PULL):
            updates, next_cursor = pull_updates(endpoint, cursor or None, PAGE_SIZE, http=http)
            if not _store_page(local_authority_id, token, updates, next_cursor):
                return "lease_lost"
            cursor = next_cursor
            if len(updates) < PAGE_SIZE:
                break
    except PullError as error:
        if error.endpoint_problem:
            with unit_of_work():
                outbox.note_endpoint_problem(local_authority_id, error.reason)
        _release_feed(local_authority_id, token, next_in=max(1.0, min(interval, next_attempt_delay(3))),
                      success=False, error=error.reason)
        log.warning("connector pull failed reason=%s", error.reason)
        return error.reason
    with unit_of_work():
        outbox.clear_endpoint_problem(local_authority_id)
    _release_feed(local_authority_id, token, next_in=interval, success=True, error=None)
    return "pulled"


def _store_page(local_authority_id: uuid.UUID, token: str, updates: list[dict], next_cursor: str | None) -> bool:
    """Apply a page's new updates and move the cursor, in one unit of work (if the lease is ours)."""
    try:
        with unit_of_work():
            held = db.session.execute(
                update(PullState)
                .where(PullState.local_authority_id == local_authority_id, PullState.lease_owner == token,
                       PullState.lease_until > utcnow())
                .values(cursor=next_cursor)
                .execution_options(synchronize_session=False)
            ).rowcount == 1
            if not held:
                raise _LeaseLost()  # rolled back: nothing of this page is kept
            la = db.session.get(LocalAuthority, local_authority_id)
            for item in updates:
                apply_update(la, item)
    except _LeaseLost:
        return False
    return True


class _LeaseLost(Exception):
    """Inside `_store_page`: another worker holds the feed now."""


# --- one update ----------------------------------------------------------------------------------


def apply_update(la: LocalAuthority, item: dict) -> str:
    """Store an update once and act on it. Returns its outcome code. Runs in the caller's unit of work
    (a savepoint inside it keeps one update that cannot be applied from spoiling the page)."""
    update_id = str(item.get("id"))[:100]
    kind = str(item.get("kind"))[:30]
    new = db.session.execute(
        _insert()(PulledUpdate.__table__)
        .values(id=uuid.uuid4(), update_id=update_id, local_authority_id=la.id, kind=kind, received_at=utcnow(),
                outcome=PulledOutcome.RECEIVED, shared_updates=0)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(PulledUpdate.__table__.c.id)
    ).scalar_one_or_none() is not None
    if not new:
        return PulledOutcome.DUPLICATE
    problems = contract.validate_update(item)
    shared = 0
    if problems:
        outcome = PulledOutcome.INVALID
        log.warning("connector update refused kind=%s problems=%s", _loggable_kind(kind),
                    "; ".join(map(str, problems[:5])))
    else:
        savepoint = db.session.begin_nested()
        try:
            if kind == contract.KIND_CASE_SUMMARY:
                outcome, shared = _case_summary(la, item)
            else:
                outcome, shared = _referral_status(la, item)
            savepoint.commit()
        except Exception as error:
            savepoint.rollback()
            # The error class only: the message or a traceback may quote the update's content.
            log.error("connector update could not be applied kind=%s error=%s", _loggable_kind(kind),
                      type(error).__name__)
            outcome, shared = PulledOutcome.ERROR, 0
    db.session.execute(
        update(PulledUpdate).where(PulledUpdate.update_id == update_id)
        .values(outcome=outcome, shared_updates=shared).execution_options(synchronize_session=False)
    )
    return outcome


def _loggable_kind(kind: str) -> str:
    """The case system chooses `kind`: log it only if it is one the contract knows."""
    return kind if kind in (contract.KIND_CASE_SUMMARY, contract.KIND_REFERRAL_STATUS) else "unknown"


def _delivered_items(la: LocalAuthority, **where) -> list[OutboxItem]:
    query = select(OutboxItem).where(OutboxItem.local_authority_id == la.id, OutboxItem.state == OutboxState.DELIVERED)
    for name, value in where.items():
        query = query.where(getattr(OutboxItem, name) == value)
    return list(db.session.execute(query.order_by(OutboxItem.delivered_at.desc())).scalars())


def current_pupil(pupil: Pupil) -> Pupil | None:
    """The child's record at their current school: follow accepted transfers; None if off every roll."""
    seen = set()
    while pupil is not None and pupil.id not in seen:
        if pupil.on_roll:
            return pupil
        seen.add(pupil.id)
        next_id = db.session.execute(
            select(Transfer.receiving_pupil_id).where(Transfer.pupil_id == pupil.id, Transfer.status == "accepted",
                                                      Transfer.receiving_pupil_id.is_not(None))
            .order_by(Transfer.accepted_at.desc())
        ).scalars().first()
        pupil = db.session.get(Pupil, next_id) if next_id else None
    return None


def _contact(value) -> dict | None:
    if not isinstance(value, dict):
        return None
    kept = {k: value[k] for k in CONTACT_FIELDS if isinstance(value.get(k), str) and value[k].strip()}
    return kept or None


def permitted_summary(la: LocalAuthority, item: dict, audience: str = Audience.SCHOOLS) -> dict:
    """Only the fields the LA's policy lets schools (or partner agencies) see (and only the
    contract's parts of them)."""
    allowed = permitted_summary_fields(la.id, audience) & set(contract.CASE_SUMMARY_SHAREABLE_FIELDS)
    kept = {}
    for name in contract.CASE_SUMMARY_SHAREABLE_FIELDS:
        if name not in allowed or item.get(name) in (None, ""):
            continue
        value = _contact(item[name]) if name in ("allocated_worker", "team") else item[name]
        if value is not None and (isinstance(value, (str, dict))):
            kept[name] = value
    return kept


def _contact_text(contact: dict) -> str:
    return ", ".join(contact[k] for k in CONTACT_FIELDS if contact.get(k))


def _uk(value: str) -> str:
    try:
        return uk_date(date.fromisoformat(value))
    except ValueError:
        return value


def summary_content(la: LocalAuthority, kept: dict) -> dict:
    facts = []
    if "status" in kept:
        facts.append({"label": "Status", "value": STATUS_LABELS.get(kept["status"], kept["status"])})
    if "cp_category" in kept:
        facts.append({"label": "Child protection plan category", "value": CP_LABELS.get(kept["cp_category"], kept["cp_category"])})
    if "start_date" in kept:
        facts.append({"label": "Start date", "value": _uk(kept["start_date"])})
    if "allocated_worker" in kept:
        facts.append({"label": "Allocated worker", "value": _contact_text(kept["allocated_worker"])})
    if "team" in kept:
        facts.append({"label": "Team", "value": _contact_text(kept["team"])})
    if "next_review_date" in kept:
        facts.append({"label": "Next review or conference", "value": _uk(kept["next_review_date"])})
    return {
        "title": f"Case summary from {la.name}",
        "body": kept.get("note_for_school") or "",
        "facts": facts,
        "summary": kept,
    }


def _case_summary(la: LocalAuthority, item: dict) -> tuple[str, int]:
    items = _delivered_items(la, person_id=item["person_id"])
    if not items:
        return PulledOutcome.NO_MATCH, 0
    kept = permitted_summary(la, item)
    # A partner agency that referred the child sees what the LA's policy for agencies allows, about
    # its own referral only.
    for_agencies = permitted_summary(la, item, Audience.AGENCIES)
    agency_referrals = [r for r in (db.session.get(Referral, d.referral_id) for d in items) if r.agency_id]
    shared = 0
    if for_agencies:
        for referral in {r.agency_id: r for r in agency_referrals}.values():
            create_shared_update(agency_id=referral.agency_id, local_authority_id=la.id,
                                 kind=UpdateKind.CASE_SUMMARY, content=summary_content(la, for_agencies),
                                 referral_id=referral.id)
            shared += 1
    if not kept:
        return (PulledOutcome.APPLIED, shared) if shared else (PulledOutcome.NOTHING_PERMITTED, 0)
    targets: dict[uuid.UUID, uuid.UUID | None] = {}
    for delivered in items:
        referral = db.session.get(Referral, delivered.referral_id)
        if referral.pupil_id is None:
            continue  # a partner agency's referral: no school's record to follow
        pupil = current_pupil(db.session.get(Pupil, referral.pupil_id))
        if pupil is None or pupil.id in targets:
            continue
        # Link the referral when the pupil record is the one it was made about.
        targets[pupil.id] = referral.id if pupil.id == referral.pupil_id else None
    for pupil_id, referral_id in targets.items():
        pupil = db.session.get(Pupil, pupil_id)
        create_shared_update(school_id=pupil.school_id, local_authority_id=la.id, kind=UpdateKind.CASE_SUMMARY,
                             content=summary_content(la, kept), pupil_id=pupil.id, referral_id=referral_id)
        shared += 1
    return (PulledOutcome.APPLIED if shared else PulledOutcome.NO_CURRENT_SCHOOL), shared


def _referral_status(la: LocalAuthority, item: dict) -> tuple[str, int]:
    try:
        referral_id = uuid.UUID(item["referral_id"])
    except ValueError:
        return PulledOutcome.INVALID, 0
    items = _delivered_items(la, referral_id=referral_id)
    referral = db.session.get(Referral, referral_id)
    if not items or referral is None or referral.local_authority_id != la.id:
        return PulledOutcome.NO_MATCH, 0
    status = item["status"]
    if not record_status(referral, status):
        return PulledOutcome.STATUS_UNCHANGED, 0
    reference = items[0].case_reference or item.get("case_reference")
    facts = [{"label": "Case reference", "value": reference}] if reference else []
    if status == "acknowledged":
        kind, title = UpdateKind.ACKNOWLEDGEMENT, f"{la.name} has received the referral"
        body = "The local authority’s case system has received the referral."
    elif status == "decided":
        decision = item.get("decision") or {}
        kind, title = UpdateKind.DECISION, f"{la.name} has decided on the referral"
        facts.append({"label": "Decision", "value": OUTCOME_LABELS.get(decision.get("outcome"), "Decided")})
        body = decision.get("feedback_for_school") or ""
    elif status == "in_triage":
        kind, title, body = UpdateKind.NOTE, f"{la.name} is looking at the referral", "The referral is being triaged."
    else:
        kind, title, body = UpdateKind.NOTE, f"{la.name} has closed the referral", "The local authority has closed the referral."
    create_shared_update(**addressed_to(referral), local_authority_id=la.id, kind=kind,
                         content={"title": title, "body": body, "facts": facts}, referral_id=referral.id)
    return PulledOutcome.APPLIED, 1
