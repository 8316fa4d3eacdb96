"""Working a referral in the LA: open it, assign it, rate it, note it, decide it, tell the school.

Rules kept here, not in the views:
- A user sees a referral only through their own LA's queue item for it (policy
  "triage:view_referral" on the item): anything else is 404, so another council cannot learn that
  a record exists. A school user never reaches any of this (403 on every triage page).
- A decision is taken once: `decide` first runs `UPDATE triage_item ... WHERE open`, which only
  one of two workers deciding at the same moment can win (on PostgreSQL the second waits for the
  first to commit, then finds the item closed); the unique constraint on
  `triage_decision.item_id` is the last word.
- What the school reads is built by `decision_content` (the preview shows exactly that); RAG,
  reasons and internal notes never go into it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.auth.models import User
from portal.auth.roles import Role
from portal.concerns.models import Concern, ConcernAttachment
from portal.crypto import lookup
from portal.db import db, utcnow
from portal.domain_errors import Conflict, Invalid, NotFound, Refused
from portal.events import ReferralDecided, publish
from portal.files.models import StoredFile
from portal.orgs.models import Agency, LocalAuthority, School
from portal.policy import can
from portal.pupils.models import Pupil
from portal.referrals.models import Referral, ReferralConcern, ReferralStatus
from portal.referrals.lifecycle import record_status
from portal.templating import uk_datetime
from portal.triage.arrival import route_to_another_la
from portal.triage.models import (OPEN_STATES, OUTCOMES, RAG_RATINGS, DecisionOutcome, ItemState, NoteKind, Rag,
                                  TriageDecision, TriageItem, TriageNote)
from portal.transaction import transactional, unit_of_work
from portal.updates.models import SharedUpdate, UpdateKind
from portal.updates.service import addressed_to, create_shared_update

OUTCOME_LABELS = {
    DecisionOutcome.NO_FURTHER_ACTION: "No further action",
    DecisionOutcome.ADVICE_AND_SIGNPOSTING: "Advice and signposting",
    DecisionOutcome.EARLY_HELP: "Early help",
    DecisionOutcome.CHILD_AND_FAMILY_ASSESSMENT: "Child and family assessment (section 17)",
    DecisionOutcome.SECTION_47_ENQUIRY: "Strategy discussion / section 47 enquiry",
    DecisionOutcome.REFERRED_TO_ANOTHER_LA: "Referred to another local authority",
}
assert tuple(OUTCOME_LABELS) == OUTCOMES
RAG_LABELS = {Rag.RED: "Red", Rag.AMBER: "Amber", Rag.GREEN: "Green"}
STATE_LABELS = {ItemState.NEW: "New", ItemState.IN_TRIAGE: "In triage", ItemState.DECIDED: "Decided",
                ItemState.ROUTED: "Sent to another LA"}


class TriageError(Invalid):
    """A triage action was refused. Messages are for the worker and name no child."""


class AlreadyDecided(Conflict, TriageError):
    """Someone else decided the referral first; nothing of this decision was recorded."""


# --- finding -------------------------------------------------------------------------------------


def item_for(user: User, referral_id: uuid.UUID) -> TriageItem:
    """This LA's latest queue item for the referral, or 404 (another LA's, a draft, unknown)."""
    item = db.session.execute(
        select(TriageItem).where(TriageItem.referral_id == referral_id,
                                 TriageItem.local_authority_id == user.local_authority_id)
        .order_by(TriageItem.round.desc()).limit(1)
    ).scalar_one_or_none()
    if item is None or not can(user, "triage:view_referral", item):
        raise NotFound("No such referral")
    return item


@dataclass
class Opened:
    """A referral in the queue with where it came from: a school and its pupil record, or a
    partner agency (no pupil record: the child as the agency named them)."""

    item: TriageItem
    referral: Referral
    pupil: Pupil | None
    school: School | None
    agency: Agency | None = None

    @property
    def source_name(self) -> str:
        return self.agency.name if self.agency is not None else (self.school.name if self.school else "")


def referral_in_queue(user: User, referral_id: uuid.UUID) -> Opened:
    """The referral with its queue item and source, changing nothing (to re-show a form)."""
    item = item_for(user, referral_id)
    referral = db.session.get(Referral, item.referral_id)
    return Opened(item, referral,
                  db.session.get(Pupil, referral.pupil_id) if referral.pupil_id else None,
                  db.session.get(School, referral.school_id) if referral.school_id else None,
                  db.session.get(Agency, referral.agency_id) if referral.agency_id else None)


@transactional
def reshow_referral(user: User, referral_id: uuid.UUID) -> Opened:
    """The referral page shown again after a refused note or RAG rating: it shows the child, so
    the view is audited (nothing else changes)."""
    opened = referral_in_queue(user, referral_id)
    audit.record("triage.referral_view", object_type="referral", object_id=opened.referral.id, actor=user,
                 detail="reshown")
    return opened


@transactional
def open_referral(user: User, referral_id: uuid.UUID) -> Opened:
    """The referral for a worker to read; the view is audited, and a new item moves to "in triage"."""
    opened = referral_in_queue(user, referral_id)
    audit.record("triage.referral_view", object_type="referral", object_id=opened.referral.id, actor=user)
    if opened.item.state == ItemState.NEW and opened.item.current:
        _start_triage(opened.item, opened.referral, user)
    return opened


def _start_triage(item: TriageItem, referral: Referral, user: User) -> None:
    now = utcnow()
    moved = db.session.execute(
        update(TriageItem).where(TriageItem.id == item.id, TriageItem.state == ItemState.NEW)
        .values(state=ItemState.IN_TRIAGE, first_opened_at=now)
        .execution_options(synchronize_session=False, queue_of=item.local_authority_id)
    ).rowcount == 1
    if moved:
        record_status(referral, ReferralStatus.IN_TRIAGE, by_user=user)
    db.session.refresh(item)


class NoLongerOpen(Conflict, TriageError):
    """The referral was decided or sent on while the worker was looking at it."""


def _require_open(item: TriageItem) -> None:
    if not item.open or not item.current:
        raise NoLongerOpen("This referral has already been decided, so it can no longer be changed")


def local_authority_of(item: TriageItem) -> LocalAuthority:
    return db.session.get(LocalAuthority, item.local_authority_id)


def la_name(la_id: uuid.UUID | None) -> str:
    la = db.session.get(LocalAuthority, la_id) if la_id else None
    return la.name if la else ""


# --- assigning, rating, notes --------------------------------------------------------------------


def assignable_workers(la_id: uuid.UUID) -> list[User]:
    users = db.session.execute(
        select(User).where(User.local_authority_id == la_id, User.active.is_(True),
                           User.role.in_([Role.TRIAGE_WORKER.value, Role.TRIAGE_MANAGER.value]))
        .order_by(User.display_name)
    ).scalars().all()
    return [u for u in users if u.is_active]


@transactional
def assign(user: User, item: TriageItem, assignee_id: uuid.UUID | None) -> None:
    """A manager gives the referral to a worker of the same LA (None: unassign)."""
    if not can(user, "triage:manage", item):
        raise Refused("Only a triage manager can assign referrals")
    _require_open(item)
    if assignee_id is not None and assignee_id not in {u.id for u in assignable_workers(item.local_authority_id)}:
        raise TriageError("Choose a triage worker from your council")
    values = {"assigned_to_id": assignee_id, "assigned_at": utcnow() if assignee_id else None}
    if item.state == ItemState.NEW:
        values["state"] = ItemState.IN_TRIAGE
    db.session.execute(update(TriageItem).where(TriageItem.id == item.id, TriageItem.open.is_(True)).values(**values)
                       .execution_options(synchronize_session=False, queue_of=item.local_authority_id))
    audit.record("triage.assign", object_type="referral", object_id=item.referral_id,
                 detail="assigned" if assignee_id else "unassigned", actor=user)
    db.session.refresh(item)


@transactional
def set_rag(user: User, item: TriageItem, rag: str) -> None:
    if rag not in RAG_RATINGS:
        raise TriageError("Select a RAG rating")
    _require_open(item)
    db.session.execute(update(TriageItem).where(TriageItem.id == item.id).values(rag=rag)
                       .execution_options(synchronize_session=False, queue_of=item.local_authority_id))
    audit.record("triage.rag", object_type="referral", object_id=item.referral_id, detail=rag, actor=user)
    db.session.refresh(item)


@transactional
def add_note(user: User, item: TriageItem, text: str) -> TriageNote:
    text = (text or "").strip()
    if not text:
        raise TriageError("Enter the note")
    if not item.current:
        raise NoLongerOpen("This referral is now with another local authority")
    note = TriageNote(referral_id=item.referral_id, local_authority_id=item.local_authority_id, author_id=user.id,
                      created_at=utcnow(), kind=NoteKind.NOTE)
    note.text = text
    db.session.add(note)
    db.session.flush()
    audit.record("triage.note_add", object_type="referral", object_id=item.referral_id, actor=user)
    return note


def notes_for(item: TriageItem) -> list[tuple[TriageNote, User | None]]:
    """This LA's internal notes on the referral, newest first (never another LA's)."""
    notes = db.session.execute(
        select(TriageNote).where(TriageNote.referral_id == item.referral_id,
                                 TriageNote.local_authority_id == item.local_authority_id)
        .order_by(TriageNote.created_at.desc())
    ).scalars().all()
    return [(n, db.session.get(User, n.author_id)) for n in notes]


# --- deciding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionDraft:
    outcome: str
    reasons: str
    feedback: str
    rag: str | None = None
    routed_to_la_id: uuid.UUID | None = None
    routing_note: str = ""


def other_las(la_id: uuid.UUID) -> list[LocalAuthority]:
    return list(db.session.execute(
        select(LocalAuthority).where(LocalAuthority.id != la_id, LocalAuthority.active.is_(True))
        .order_by(LocalAuthority.name)
    ).scalars())


def decision_content(referral: Referral, draft: DecisionDraft, la: LocalAuthority, *, decided_at: datetime) -> dict:
    """Exactly what the school will read: the outcome and the feedback, never RAG, reasons or notes."""
    label = OUTCOME_LABELS[draft.outcome]
    facts = [
        {"label": "Referral", "value": referral.reference or ""},
        {"label": "Decision", "value": label},
        {"label": "Decided", "value": uk_datetime(decided_at)},
    ]
    if draft.outcome == DecisionOutcome.REFERRED_TO_ANOTHER_LA and draft.routed_to_la_id:
        to_la = db.session.get(LocalAuthority, draft.routed_to_la_id)
        facts.append({"label": "Sent to", "value": to_la.name if to_la else ""})
    return {
        "title": f"{la.name}'s decision on referral {referral.reference or ''}: {label}",
        "body": draft.feedback.strip(),
        "facts": facts,
        # For the chronology's decision entry (a nested dict, so the inbox does not repeat it).
        "decision": {"outcome": draft.outcome, "feedback_for_school": draft.feedback.strip()},
    }


def decision_preview(item: TriageItem, referral: Referral, draft: DecisionDraft) -> dict:
    """What the school would read if the decision were recorded now (the same function builds it)."""
    return decision_content(referral, draft, local_authority_of(item), decided_at=utcnow())


def validate_draft(item: TriageItem, draft: DecisionDraft) -> dict[str, str]:
    """Errors by field name, GOV.UK wording."""
    errors = {}
    if draft.outcome not in OUTCOMES:
        errors["outcome"] = "Select the decision"
    if not draft.reasons.strip():
        errors["reasons"] = "Enter the reasons for the decision"
    if not draft.feedback.strip():
        errors["feedback"] = "Enter the feedback for the school"
    if draft.rag is not None and draft.rag not in RAG_RATINGS:
        errors["rag"] = "Select a RAG rating"
    if draft.outcome == DecisionOutcome.REFERRED_TO_ANOTHER_LA:
        if draft.routed_to_la_id not in {la.id for la in other_las(item.local_authority_id)}:
            errors["routed_to"] = "Select the local authority to send the referral to"
    return errors


def already_decided_message(item_id: uuid.UUID) -> str:
    decision = db.session.execute(select(TriageDecision).where(TriageDecision.item_id == item_id)).scalar_one_or_none()
    if decision is None:
        return "This referral has already been decided. Your decision was not recorded."
    return (f"This referral was already decided on {uk_datetime(decision.decided_at)} "
            f"({OUTCOME_LABELS[decision.outcome].lower()}). Your decision was not recorded.")


class _DecidedFirst(Exception):
    """Inside `_record_decision`: the conditional update found the item already closed."""


def decide(user: User, item: TriageItem, draft: DecisionDraft) -> TriageDecision:
    """Record the decision, tell the school, route it if sent on: one unit of work.

    Raises AlreadyDecided (nothing of this decision recorded) when the item was decided first by
    someone else; the refusal itself is audited in a unit of work of its own.
    """
    if not can(user, "triage:view_referral", item):
        raise NotFound("No such referral")
    errors = validate_draft(item, draft)
    if errors:
        raise TriageError(next(iter(errors.values())))
    item_id, referral_id = item.id, item.referral_id
    try:
        return _record_decision(user, item, draft)
    except _DecidedFirst:
        # The losing attempt rolled back; the message reads the winner's committed decision.
        with unit_of_work():
            message = already_decided_message(item_id)
            audit.record("triage.decide", object_type="referral", object_id=referral_id, outcome="refused",
                         detail="already_decided", actor=user)
        raise AlreadyDecided(message) from None
    except IntegrityError:
        # Only possible if the conditional update was bypassed (another code path): refuse.
        raise AlreadyDecided(already_decided_message(item_id)) from None


@transactional
def _record_decision(user: User, item: TriageItem, draft: DecisionDraft) -> TriageDecision:
    item_id, referral_id = item.id, item.referral_id
    now = utcnow()
    routed = draft.outcome == DecisionOutcome.REFERRED_TO_ANOTHER_LA
    won = db.session.execute(
        update(TriageItem)
        .where(TriageItem.id == item_id, TriageItem.open.is_(True), TriageItem.current.is_(True))
        .values(open=False, state=ItemState.ROUTED if routed else ItemState.DECIDED, decided_at=now, outcome=draft.outcome,
                rag=draft.rag or TriageItem.rag)
        .execution_options(synchronize_session=False, queue_of=item.local_authority_id)
    ).rowcount == 1
    if not won:
        raise _DecidedFirst()
    db.session.refresh(item)
    referral = db.session.get(Referral, referral_id, populate_existing=True)
    la = db.session.get(LocalAuthority, item.local_authority_id)
    decision = TriageDecision(item_id=item_id, referral_id=referral_id, local_authority_id=la.id,
                              outcome=draft.outcome, rag=item.rag, decided_by_id=user.id, decided_at=now,
                              within_deadline=now <= item.due_at,
                              routed_to_la_id=draft.routed_to_la_id if routed else None)
    decision.reasons = draft.reasons.strip()
    decision.feedback = draft.feedback.strip()
    db.session.add(decision)
    db.session.flush()  # the unique item_id: an IntegrityError here rolls the whole decision back

    # The school is told before any routing moves the referral to the other council.
    publish(ReferralDecided(referral, decision, decision_content(referral, draft, la, decided_at=now), user))
    audit.record("triage.decide", object_type="referral", object_id=referral.id, detail=draft.outcome, actor=user)
    if routed:
        to_la = db.session.get(LocalAuthority, draft.routed_to_la_id)
        route_to_another_la(referral, item, to_la, note=draft.routing_note, by_user=user, at=now)
        audit.record("triage.route", object_type="referral", object_id=referral.id, detail=f"to_{to_la.code}",
                     actor=user)
    else:
        record_status(referral, ReferralStatus.DECIDED, by_user=user)
    return decision


def decision_for(item: TriageItem) -> TriageDecision | None:
    return db.session.execute(select(TriageDecision).where(TriageDecision.item_id == item.id)).scalar_one_or_none()


# --- further updates to the school ---------------------------------------------------------------


def note_content(referral: Referral, la: LocalAuthority, title: str, body: str) -> dict:
    return {
        "title": title.strip(),
        "body": body.strip(),
        "facts": [{"label": "Referral", "value": referral.reference or ""}],
    }


@transactional
def send_update(user: User, item: TriageItem, title: str, body: str) -> SharedUpdate:
    """A further note to the school about this referral (kind "note")."""
    if not item.current:
        raise NoLongerOpen("This referral is now with another local authority")
    if not title.strip() or not body.strip():
        raise TriageError("Enter a title and a message")
    referral = db.session.get(Referral, item.referral_id)
    la = db.session.get(LocalAuthority, item.local_authority_id)
    shared = create_shared_update(**addressed_to(referral), local_authority_id=la.id, kind=UpdateKind.NOTE,
                                  content=note_content(referral, la, title, body), referral_id=referral.id,
                                  created_by=user)
    audit.record("triage.update_send", object_type="referral", object_id=referral.id, actor=user)
    return shared


def updates_sent(item: TriageItem) -> list[SharedUpdate]:
    """What this LA has told the school about the referral (what the school sees)."""
    return list(db.session.execute(
        select(SharedUpdate).where(SharedUpdate.referral_id == item.referral_id,
                                   SharedUpdate.local_authority_id == item.local_authority_id)
        .order_by(SharedUpdate.created_at.desc())
    ).scalars())


# --- what the worker reads alongside the form ----------------------------------------------------


@dataclass
class LinkedConcern:
    concern: Concern
    content: dict
    attachments: list[tuple[ConcernAttachment, StoredFile]]


def linked_concerns(referral: Referral) -> list[LinkedConcern]:
    """The concerns the school linked to the referral (its own school's only), with attachments."""
    if referral.school_id is None:
        return []  # a partner agency's referral links no school's concerns
    ids = select(ReferralConcern.concern_id).where(ReferralConcern.referral_id == referral.id)
    concerns = db.session.execute(
        select(Concern).where(Concern.id.in_(ids), Concern.school_id == referral.school_id)
        .order_by(Concern.occurred_at.desc())
    ).scalars().all()
    out = []
    for concern in concerns:
        attachments = db.session.execute(
            select(ConcernAttachment, StoredFile).join(StoredFile, StoredFile.id == ConcernAttachment.stored_file_id)
            .where(ConcernAttachment.concern_id == concern.id).order_by(ConcernAttachment.added_at)
        ).all()
        out.append(LinkedConcern(concern, concern.latest.content if concern.versions else {},
                                 [(a, f) for a, f in attachments]))
    return out


def attachment_of(referral: Referral, attachment_id: uuid.UUID) -> StoredFile:
    """A file attached to one of the referral's linked concerns, or 404."""
    if referral.school_id is None:
        raise NotFound("No such attachment")
    ids = select(ReferralConcern.concern_id).where(ReferralConcern.referral_id == referral.id)
    row = db.session.execute(
        select(StoredFile).join(ConcernAttachment, ConcernAttachment.stored_file_id == StoredFile.id)
        .join(Concern, Concern.id == ConcernAttachment.concern_id)
        .where(ConcernAttachment.id == attachment_id, Concern.id.in_(ids), Concern.school_id == referral.school_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("No such attachment")
    return row


@dataclass
class EarlierReferral:
    item: TriageItem
    referral: Referral
    matched_by: str


def child_matches(la_id: uuid.UUID, referral: Referral, pupil: Pupil | None) -> dict[str, dict[uuid.UUID, str]]:
    """The same child's records at this LA, from every source, with how each was matched:
    {"pupils": {pupil id: how}, "referrals": {referral id: how}}.

    A school's referral carries its pupil record; every referral (a school's or a partner
    agency's) carries the child's name, date of birth and NHS number as the referrer gave them.
    Both are looked up through the blind indexes: pupil records at the LA's schools (the same child
    has a record at each school they attended) and referrals made by anyone."""
    la_schools = select(School.id).where(School.local_authority_id == la_id)
    pupils: dict[uuid.UUID, str] = {}
    if pupil is not None:
        pupils[pupil.id] = "Same pupil record"
    surname = pupil.legal_surname if pupil is not None else referral.child_surname
    born = pupil.date_of_birth if pupil is not None else referral.child_date_of_birth
    nhs = (pupil.nhs_number if pupil is not None else None) or referral.child_nhs_number
    searches = [
        ("NHS number", Pupil.nhs_number_index, (nhs,)),
        ("UPN", Pupil.upn_index, (pupil.upn if pupil is not None else None,)),
        ("Surname and date of birth", Pupil.surname_dob_index, (surname, born)),
    ]
    for how, index, values in searches:
        if not all(values):
            continue
        for found in lookup(index, *values, where=[Pupil.school_id.in_(la_schools)]):
            pupils.setdefault(found.id, how)
    referrals: dict[uuid.UUID, str] = {}
    in_la = select(TriageItem.referral_id).where(TriageItem.local_authority_id == la_id)
    for how, index, values in (("NHS number", Referral.child_nhs_number_index, (nhs,)),
                               ("Surname and date of birth", Referral.child_surname_dob_index, (surname, born))):
        if not all(values):
            continue
        for found in lookup(index, *values, where=[Referral.id.in_(in_la)]):
            referrals.setdefault(found.id, how)
    return {"pupils": pupils, "referrals": referrals}


def earlier_referrals(item: TriageItem, referral: Referral, pupil: Pupil | None) -> list[EarlierReferral]:
    """The child's other referrals to this LA from every source (schools and partner agencies),
    found through the blind indexes (see `child_matches`)."""
    matches = child_matches(item.local_authority_id, referral, pupil)
    by_pupil, by_referral = matches["pupils"], matches["referrals"]
    conditions = []
    if by_pupil:
        conditions.append(Referral.pupil_id.in_(list(by_pupil)))
    if by_referral:
        conditions.append(Referral.id.in_(list(by_referral)))
    if not conditions:
        return []
    rows = db.session.execute(
        select(TriageItem, Referral).join(Referral, Referral.id == TriageItem.referral_id)
        .where(or_(*conditions), TriageItem.local_authority_id == item.local_authority_id,
               TriageItem.referral_id != referral.id)
        .order_by(TriageItem.received_at.desc())
    ).all()
    return [EarlierReferral(i, r, by_pupil.get(r.pupil_id) or by_referral.get(r.id) or "")
            for i, r in rows]


def latest_case_summary(referral: Referral) -> SharedUpdate | None:
    """The case summary the LA last shared about this child (the connector stores them as shared
    updates of kind "case_summary"); None until there is one, and for a partner agency's referral
    (no pupil record to hang it on)."""
    if referral.pupil_id is None:
        return None
    return db.session.execute(
        select(SharedUpdate).where(SharedUpdate.pupil_id == referral.pupil_id, SharedUpdate.kind == UpdateKind.CASE_SUMMARY)
        .order_by(SharedUpdate.created_at.desc()).limit(1)
    ).scalar_one_or_none()


def is_open_state(state: str) -> bool:
    return state in OPEN_STATES
