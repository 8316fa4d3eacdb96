"""Transfers of child protection files: leaving, sending, receiving, rejecting, requesting.

    transfer = record_leaver(pupil, by=dsl, leaving_date=..., destination_kind="school", to_school=school)
    send(transfer, by=dsl, covering_note="...")          # freezes the snapshot, tells the receiver
    mark_viewed(transfer, by=receiving_dsl)              # first look at the waiting transfer
    accept(transfer, by=receiving_dsl)                   # the receipt; tells the sender
    match(transfer, by=receiving_dsl, pupil=existing_or_None)   # None: a new pupil record
    reject(transfer, by=receiving_dsl, reason="...")     # back to the sender
    request_file(school, by=dsl, upn=... | nhs_number=...)      # puts the pupil on holders' lists
    answer_no_file(target, by=dsl) / answer_by_send(target, ...)

Every function checks the policy for the record it acts on, writes an audit event (opaque ids,
short codes) and leaves committing to the caller; emails go after the commit (`notices`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import func, select

from portal import audit
from portal.crypto import lookup
from portal.db import utcnow
from portal.db import db
from portal.events import TransferAccepted, publish
from portal.orgs.models import School
from portal.policy import can, require
from portal.pupils.identifiers import InvalidIdentifier, validate_nhs_number, validate_upn
from portal.pupils.models import Enrolment, Pupil
from portal.pupils.service import PupilDetails, PupilInvalid, add_pupil, find_by_identifiers
from portal.transfers import clock
from portal.transfers.models import (
    DESTINATION_KINDS,
    OPEN_STATUSES,
    SENT_STATUSES,
    SchoolClosure,
    Transfer,
    TransferEvent,
    TransferRequest,
    TransferRequestTarget,
)
from portal.transfers.snapshot import discard_copies, freeze, read_snapshot
from portal.transaction import transactional

NOTE_MAX = 5000
REASON_MAX = 2000

DESTINATION_LABELS = {
    "school": "Another school",
    "unknown": "Not known yet",
    "elective_home_education": "Elective home education",
    "moved_abroad": "Moved abroad",
}
STATUS_LABELS = {
    "to_send": "To send",
    "destination_unknown": "Destination not known",
    "no_transfer": "No transfer needed",
    "pending": "Pending",
    "viewed": "Viewed",
    "accepted": "Accepted",
    "rejected": "Rejected",
}


class TransferInvalid(ValueError):
    """Something the DSL typed or chose is wrong. `errors`: field name -> GOV.UK message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("transfer details are not valid")
        self.errors = errors


class TransferStateError(RuntimeError):
    """The transfer is not in a state where this can be done (it moved on, or a double click)."""


# --- finding things --------------------------------------------------------------------------


def get_transfer_for(user, transfer_id: uuid.UUID, action: str, *, lock: bool = False) -> Transfer:
    query = select(Transfer).where(Transfer.id == transfer_id)
    if lock:
        query = query.with_for_update()
    transfer = db.session.execute(query).scalar_one_or_none()
    if transfer is None:
        abort(404)
    require(action, transfer)
    return transfer


def side_of(user, transfer: Transfer) -> str | None:
    """'sender', 'receiver' or None: which end of the transfer this user is at."""
    if can(user, "transfers:send", transfer):
        return "sender"
    if can(user, "transfers:receive", transfer):
        return "receiver"
    return None


def find_schools(text: str, *, exclude_id: uuid.UUID | None = None, limit: int = 20) -> list[School]:
    """Open schools in any LA, by URN (exact) or by a part of the name."""
    text = " ".join((text or "").split())
    if not text:
        return []
    query = select(School).where(School.active.is_(True))
    if exclude_id is not None:
        query = query.where(School.id != exclude_id)
    if text.isdigit():
        query = query.where(School.urn == text)
    else:
        escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(School.name).like(f"%{escaped}%", escape="\\"))
    return list(db.session.execute(query.order_by(School.name).limit(limit)).scalars())


def _event(transfer: Transfer, kind: str, by, *, school_id=None, at=None) -> TransferEvent:
    event = TransferEvent(
        transfer_id=transfer.id, kind=kind, at=at or utcnow(), by_user_id=getattr(by, "id", None), school_id=school_id
    )
    transfer.events.append(event)
    return event


# --- leaving --------------------------------------------------------------------------------


def _clean_destination(destination_kind: str, to_school: School | None, from_school_id) -> dict[str, str]:
    errors = {}
    if destination_kind not in DESTINATION_KINDS:
        errors["destination_kind"] = "Select where the pupil has gone"
    elif destination_kind == "school":
        if to_school is None:
            errors["school"] = "Enter the URN or name of the pupil’s new school"
        elif to_school.id == from_school_id:
            errors["school"] = "The new school must be a different school"
        elif not to_school.active:
            errors["school"] = "That school is closed: enter the pupil’s new school"
    return errors


def _status_for(destination_kind: str) -> str:
    if destination_kind == "school":
        return "to_send"
    if destination_kind == "unknown":
        return "destination_unknown"
    return "no_transfer"


def open_transfer_of(pupil: Pupil) -> Transfer | None:
    return db.session.execute(
        select(Transfer).where(
            Transfer.pupil_id == pupil.id, Transfer.from_school_id == pupil.school_id, Transfer.status.in_(OPEN_STATUSES)
        )
    ).scalars().first()


def record_leaver(pupil: Pupil, *, by, leaving_date: date | None, destination_kind: str,
                  to_school: School | None = None, today: date | None = None) -> Transfer:
    """The pupil has left: end the enrolment, take them off roll and start the clock."""
    require("transfers:send", pupil)
    today = today or clock.today_uk()
    errors = _clean_destination(destination_kind, to_school, pupil.school_id)
    current = [e for e in pupil.enrolments if e.school_id == pupil.school_id and e.end_date is None]
    if leaving_date is None:
        errors["leaving_date"] = "Enter the date the pupil left"
    elif leaving_date > today:
        errors["leaving_date"] = "The leaving date must be today or in the past"
    elif current and leaving_date < current[-1].start_date:
        errors["leaving_date"] = "The leaving date must be after the date the pupil joined"
    if not pupil.on_roll:
        errors["leaving_date"] = "This pupil has already been recorded as having left"
    if errors:
        raise TransferInvalid(errors)
    pupil.on_roll = False
    for enrolment in current:
        enrolment.end_date = leaving_date
        enrolment.leaving_reason = destination_kind
    transfer = Transfer(
        pupil_id=pupil.id,
        from_school_id=pupil.school_id,
        to_school_id=to_school.id if destination_kind == "school" else None,
        destination_kind=destination_kind,
        status=_status_for(destination_kind),
        leaving_date=leaving_date,
        due_date=clock.due_date(pupil.school_id, leaving_date),
        recorded_by_id=by.id,
    )
    db.session.add(transfer)
    _event(transfer, "recorded", by, school_id=transfer.to_school_id)
    db.session.flush()
    audit.record("transfer.leaver_record", object_type="transfer", object_id=transfer.id, detail=destination_kind)
    return transfer


def change_destination(transfer: Transfer, *, by, destination_kind: str, to_school: School | None = None) -> Transfer:
    """Where the pupil went, when it was not known, or after the receiver sent it back."""
    require("transfers:send", transfer)
    if transfer.status not in OPEN_STATUSES:
        raise TransferStateError("the destination can change only before the file is sent")
    errors = _clean_destination(destination_kind, to_school, transfer.from_school_id)
    if transfer.status == "rejected" and to_school is not None and to_school.id == transfer.to_school_id:
        errors["school"] = "That school sent the file back: choose the pupil’s new school"
    if errors:
        raise TransferInvalid(errors)
    if transfer.snapshot is not None:
        discard_copies(transfer)
    transfer.destination_kind = destination_kind
    transfer.to_school_id = to_school.id if destination_kind == "school" else None
    transfer.status = _status_for(destination_kind)
    _event(transfer, "destination_changed", by, school_id=transfer.to_school_id)
    db.session.flush()
    audit.record("transfer.destination_change", object_type="transfer", object_id=transfer.id, detail=destination_kind)
    return transfer


# --- sending --------------------------------------------------------------------------------


def send(transfer: Transfer, *, by, covering_note: str | None) -> Transfer:
    """Freeze what goes and send it. Refused unless a destination school is set and unsent."""
    require("transfers:send", transfer)
    if transfer.status != "to_send" or transfer.to_school_id is None:
        raise TransferStateError("only a transfer with a destination school and not yet sent can be sent")
    note = (covering_note or "").strip()
    if len(note) > NOTE_MAX:
        raise TransferInvalid({"covering_note": f"The covering note must be {NOTE_MAX} characters or fewer"})
    pupil = db.session.get(Pupil, transfer.pupil_id)
    now = utcnow()
    freeze(transfer, pupil, by, now)
    transfer.covering_note = note or None
    transfer.status = "pending"
    transfer.sent_by_id = by.id
    transfer.sent_at = now
    for name in ("viewed_by_id", "viewed_at", "accepted_by_id", "accepted_at", "rejected_by_id", "rejected_at"):
        setattr(transfer, name, None)
    transfer.rejection_reason = None
    _event(transfer, "sent", by, school_id=transfer.to_school_id, at=now)
    for target in db.session.execute(
        select(TransferRequestTarget).where(
            TransferRequestTarget.holder_pupil_id == transfer.pupil_id, TransferRequestTarget.status == "open"
        )
    ).scalars():
        request = db.session.get(TransferRequest, target.request_id)
        if request.requesting_school_id == transfer.to_school_id:
            _answer(target, "sent", by, transfer_id=transfer.id)
    db.session.flush()
    audit.record("transfer.send", object_type="transfer", object_id=transfer.id,
                 detail="cross_la" if _crosses_la(transfer) else "same_la")
    return transfer


def _crosses_la(transfer: Transfer) -> bool:
    schools = {s.id: s for s in db.session.execute(
        select(School).where(School.id.in_([transfer.from_school_id, transfer.to_school_id]))
    ).scalars()}
    ids = {s.local_authority_id for s in schools.values()}
    return len(ids) > 1


# --- receiving ------------------------------------------------------------------------------


def mark_viewed(transfer: Transfer, *, by) -> bool:
    """The receiving DSL opened the waiting transfer: pending becomes viewed (once)."""
    require("transfers:receive", transfer)
    if transfer.status != "pending":
        return False
    transfer.status = "viewed"
    transfer.viewed_by_id = by.id
    transfer.viewed_at = utcnow()
    _event(transfer, "viewed", by, school_id=transfer.to_school_id, at=transfer.viewed_at)
    audit.record("transfer.view_waiting", object_type="transfer", object_id=transfer.id)
    return True


@transactional
def accept(transfer: Transfer, *, by) -> Transfer:
    """Confirm receipt: from now the receiving school sees the child and the history."""
    require("transfers:receive", transfer)
    if transfer.status not in ("pending", "viewed"):
        raise TransferStateError("only a waiting transfer can be accepted")
    now = utcnow()
    if transfer.viewed_at is None:
        transfer.viewed_by_id, transfer.viewed_at = by.id, now
    transfer.status = "accepted"
    transfer.accepted_by_id = by.id
    transfer.accepted_at = now
    _event(transfer, "accepted", by, school_id=transfer.to_school_id, at=now)
    # A request made from a pupil's record already says who the child is here.
    request_pupil = _requested_pupil(transfer)
    if request_pupil is not None:
        _set_match(transfer, request_pupil, by)
    db.session.flush()
    # The sending school's record becomes read-only (portal.pupils.subscribers).
    publish(TransferAccepted(transfer=transfer, accepted_by=by))
    audit.record("transfer.accept", object_type="transfer", object_id=transfer.id)
    return transfer


def _requested_pupil(transfer: Transfer) -> Pupil | None:
    row = db.session.execute(
        select(TransferRequest.pupil_id)
        .join(TransferRequestTarget, TransferRequestTarget.request_id == TransferRequest.id)
        .where(
            TransferRequestTarget.transfer_id == transfer.id,
            TransferRequest.requesting_school_id == transfer.to_school_id,
            TransferRequest.pupil_id.is_not(None),
        )
    ).first()
    if row is None:
        return None
    pupil = db.session.get(Pupil, row[0])
    return pupil if pupil is not None and pupil.school_id == transfer.to_school_id else None


def reject(transfer: Transfer, *, by, reason: str | None) -> Transfer:
    """Sent to the wrong school: back to the sender with the reason."""
    require("transfers:receive", transfer)
    if transfer.status not in ("pending", "viewed"):
        raise TransferStateError("only a waiting transfer can be rejected")
    reason = " ".join((reason or "").split()) if reason else ""
    if not reason:
        raise TransferInvalid({"reason": "Enter why the file is being sent back"})
    if len(reason) > REASON_MAX:
        raise TransferInvalid({"reason": f"The reason must be {REASON_MAX} characters or fewer"})
    now = utcnow()
    transfer.status = "rejected"
    transfer.rejected_by_id = by.id
    transfer.rejected_at = now
    transfer.rejection_reason = reason
    _event(transfer, "rejected", by, school_id=transfer.to_school_id, at=now)
    db.session.flush()
    audit.record("transfer.reject", object_type="transfer", object_id=transfer.id)
    return transfer


def snapshot_pupil(transfer: Transfer) -> dict:
    return read_snapshot(transfer).get("pupil", {})


def match_candidates(transfer: Transfer) -> list[Pupil]:
    """Records at the receiving school with the same UPN or NHS number, or surname and date of birth."""
    facts = snapshot_pupil(transfer)
    school = db.session.get(School, transfer.to_school_id)
    born = date.fromisoformat(facts["date_of_birth"]) if facts.get("date_of_birth") else None
    return find_by_identifiers(
        school,
        upn=facts.get("upn"),
        nhs_number=facts.get("nhs_number"),
        surname=facts.get("legal_surname"),
        date_of_birth=born,
    )


def match(transfer: Transfer, *, by, pupil: Pupil | None) -> Pupil:
    """Attach the received history to a pupil record here: `pupil`, or a new record from the file."""
    require("transferred_history:view", transfer)
    require("transfers:receive", transfer)
    if transfer.status != "accepted" or transfer.receiving_pupil_id is not None:
        raise TransferStateError("the transfer is not waiting to be matched")
    if pupil is None:
        facts = snapshot_pupil(transfer)
        details = PupilDetails(
            **{name: facts.get(name) for name in PupilDetails.PERSONAL if name != "date_of_birth"},
            date_of_birth=date.fromisoformat(facts["date_of_birth"]),
            start_date=clock.today_uk(),
        )
        school = db.session.get(School, transfer.to_school_id)
        try:
            pupil = add_pupil(school, details, allow_duplicate=True)
        except PupilInvalid as error:
            # A detail the sending school held that this portal's checks refuse (an old or
            # temporary identifier, say) is left out of the new record; the file keeps it.
            droppable = {"upn", "nhs_number", "postcode", "sex", "sen_status", "year_group", "preferred_name", "gender",
                         "ethnicity", "address"}
            if not set(error.errors) <= droppable:
                raise
            for name in error.errors:
                setattr(details, name, None)
            pupil = add_pupil(school, details, allow_duplicate=True)
        detail = "new_record"
    else:
        if pupil.school_id != transfer.to_school_id:
            abort(404)
        detail = "existing_record"
    _set_match(transfer, pupil, by)
    db.session.flush()
    audit.record("transfer.match", object_type="transfer", object_id=transfer.id, detail=detail)
    return pupil


def _set_match(transfer: Transfer, pupil: Pupil, by) -> None:
    transfer.receiving_pupil_id = pupil.id
    transfer.matched_by_id = by.id
    transfer.matched_at = utcnow()
    _event(transfer, "matched", by, school_id=transfer.to_school_id, at=transfer.matched_at)
    # The receiving record shows the school the file came from in its school history.
    if not any(e.school_id == transfer.from_school_id for e in pupil.enrolments):
        started = _sender_start(transfer)
        pupil.enrolments.append(
            Enrolment(school_id=transfer.from_school_id, start_date=started or transfer.leaving_date,
                      end_date=transfer.leaving_date, leaving_reason="school")
        )


def _sender_start(transfer: Transfer) -> date | None:
    sender_id = str(transfer.from_school_id)
    for enrolment in read_snapshot(transfer).get("enrolments", []):
        if enrolment.get("school_id") == sender_id and enrolment.get("start_date"):
            return date.fromisoformat(enrolment["start_date"])
    return None


# --- requesting -----------------------------------------------------------------------------


@dataclass
class RequestOutcome:
    request: TransferRequest
    targets: list[TransferRequestTarget]


def request_file(school: School, *, by, upn: str | None = None, nhs_number: str | None = None,
                 pupil: Pupil | None = None) -> RequestOutcome:
    """Ask for a pupil's file: every other school holding a record with this UPN or NHS number
    (through the blind indexes) sees the request on its transfer list."""
    require("transfers:request", school)
    upn, nhs_number = (upn or "").strip(), (nhs_number or "").strip()
    errors: dict[str, str] = {}
    if bool(upn) == bool(nhs_number):
        errors["upn"] = "Enter the pupil’s UPN or their NHS number (one of them)"
    try:
        if upn:
            from portal.pupils.service import _registered_la_codes

            upn = validate_upn(upn, _registered_la_codes())
        if nhs_number:
            nhs_number = validate_nhs_number(nhs_number)
    except InvalidIdentifier as error:
        errors["upn" if upn else "nhs_number"] = str(error)
    if pupil is not None and pupil.school_id != school.id:
        abort(404)
    if errors:
        raise TransferInvalid(errors)
    elsewhere = [Pupil.school_id != school.id]
    if upn:
        holders = lookup(Pupil.upn_index, upn=upn, where=elsewhere)
    else:
        holders = lookup(Pupil.nhs_number_index, nhs_number=nhs_number, where=elsewhere)
    request = TransferRequest(
        requesting_school_id=school.id, requested_by_id=by.id, pupil_id=pupil.id if pupil else None,
        identifier_kind="upn" if upn else "nhs_number",
    )
    request.identifier = upn or nhs_number
    db.session.add(request)
    db.session.flush()
    targets = []
    for holder in holders:
        target = TransferRequestTarget(request_id=request.id, holder_school_id=holder.school_id, holder_pupil_id=holder.id)
        request.targets.append(target)
        targets.append(target)
    db.session.flush()
    audit.record("transfer.request", object_type="transfer_request", object_id=request.id,
                 detail=f"found_{len(targets)}")
    return RequestOutcome(request=request, targets=targets)


def get_target_for(user, target_id: uuid.UUID) -> TransferRequestTarget:
    target = db.session.get(TransferRequestTarget, target_id)
    if target is None:
        abort(404)
    require("transfer_requests:answer", target)
    return target


def _answer(target: TransferRequestTarget, status: str, by, *, transfer_id=None) -> None:
    target.status = status
    target.answered_by_id = by.id
    target.answered_at = utcnow()
    target.transfer_id = transfer_id


def answer_no_file(target: TransferRequestTarget, *, by) -> TransferRequestTarget:
    require("transfer_requests:answer", target)
    if target.status != "open":
        raise TransferStateError("the request has been answered")
    _answer(target, "no_file", by)
    db.session.flush()
    audit.record("transfer.request_no_file", object_type="transfer_request", object_id=target.request_id)
    return target


def prepare_answer_by_send(target: TransferRequestTarget, *, by, leaving_date: date | None = None) -> Transfer:
    """Answer a request by sending: the holder's open transfer now goes to the requesting school
    (or the pupil is recorded as a leaver to it first). The DSL then reviews and sends."""
    require("transfer_requests:answer", target)
    if target.status != "open":
        raise TransferStateError("the request has been answered")
    request = db.session.get(TransferRequest, target.request_id)
    pupil = db.session.get(Pupil, target.holder_pupil_id)
    to_school = db.session.get(School, request.requesting_school_id)
    transfer = open_transfer_of(pupil)
    if transfer is None:
        if pupil.on_roll:
            transfer = record_leaver(pupil, by=by, leaving_date=leaving_date, destination_kind="school", to_school=to_school)
        else:
            raise TransferStateError("the pupil left without an open transfer")
    elif transfer.to_school_id != to_school.id or transfer.status != "to_send":
        transfer = change_destination(transfer, by=by, destination_kind="school", to_school=to_school)
    target.transfer_id = transfer.id
    db.session.flush()
    return transfer


# --- lists ----------------------------------------------------------------------------------


def outgoing(school_id: uuid.UUID) -> list[Transfer]:
    return list(db.session.execute(
        select(Transfer).where(Transfer.from_school_id == school_id).order_by(Transfer.recorded_at.desc())
    ).scalars())


def incoming(school_id: uuid.UUID) -> list[Transfer]:
    return list(db.session.execute(
        select(Transfer)
        .where(Transfer.to_school_id == school_id, Transfer.status.in_(SENT_STATUSES))
        .order_by(Transfer.sent_at.desc())
    ).scalars())


def waiting_count(school_id: uuid.UUID) -> int:
    return db.session.execute(
        select(func.count(Transfer.id)).where(Transfer.to_school_id == school_id, Transfer.status.in_(("pending", "viewed")))
    ).scalar_one()


def overdue(school_id: uuid.UUID, today: date | None = None) -> list[Transfer]:
    today = today or clock.today_uk()
    return list(db.session.execute(
        select(Transfer)
        .where(Transfer.from_school_id == school_id, Transfer.status.in_(OPEN_STATUSES), Transfer.due_date < today)
        .order_by(Transfer.due_date)
    ).scalars())


def requests_to_answer(school_id: uuid.UUID) -> list[TransferRequestTarget]:
    return list(db.session.execute(
        select(TransferRequestTarget)
        .where(TransferRequestTarget.holder_school_id == school_id)
        .order_by(TransferRequestTarget.status != "open", TransferRequestTarget.id)
    ).scalars())


def my_requests(school_id: uuid.UUID) -> list[TransferRequest]:
    return list(db.session.execute(
        select(TransferRequest).where(TransferRequest.requesting_school_id == school_id)
        .order_by(TransferRequest.requested_at.desc())
    ).scalars())


def request_state(request: TransferRequest) -> str:
    """In words, for the requesting school, without naming the schools that hold a record."""
    if not request.targets:
        return "No school in the portal holds a record with this identifier"
    sent = sum(t.status == "sent" for t in request.targets)
    no_file = sum(t.status == "no_file" for t in request.targets)
    waiting = len(request.targets) - sent - no_file
    parts = []
    if sent:
        parts.append("file sent")
    if no_file:
        parts.append("answered: no file held" if no_file == 1 else f"{no_file} schools answered: no file held")
    if waiting:
        parts.append("waiting for an answer")
    return "; ".join(parts).capitalize()


# --- closed days ------------------------------------------------------------------------------


def closures(school_id: uuid.UUID) -> list[SchoolClosure]:
    return list(db.session.execute(
        select(SchoolClosure).where(SchoolClosure.school_id == school_id).order_by(SchoolClosure.first_day)
    ).scalars())


def add_closure(school: School, *, by, first_day: date | None, last_day: date | None) -> SchoolClosure:
    require("transfers:manage", school)
    errors = {}
    if first_day is None:
        errors["first_day"] = "Enter the first day the school is closed"
    if last_day is None:
        errors["last_day"] = "Enter the last day the school is closed"
    if first_day and last_day:
        if last_day < first_day:
            errors["last_day"] = "The last day must be the same as or after the first day"
        elif (last_day - first_day).days >= clock.MAX_CLOSURE_DAYS:
            errors["last_day"] = f"A closure must be shorter than {clock.MAX_CLOSURE_DAYS} days"
    if errors:
        raise TransferInvalid(errors)
    closure = SchoolClosure(school_id=school.id, first_day=first_day, last_day=last_day, created_by_id=by.id)
    db.session.add(closure)
    db.session.flush()
    clock.recompute_open_due_dates(school.id)
    audit.record("transfer.closure_add", object_type="school", object_id=school.id)
    return closure


def remove_closure(school: School, closure_id: uuid.UUID) -> None:
    require("transfers:manage", school)
    closure = db.session.get(SchoolClosure, closure_id)
    if closure is None or closure.school_id != school.id:
        abort(404)
    db.session.delete(closure)
    db.session.flush()
    clock.recompute_open_due_dates(school.id)
    audit.record("transfer.closure_remove", object_type="school", object_id=school.id)



def record_transferred_out(pupil_id, school_id) -> bool:
    """Whether `school_id`'s record of this pupil went to another school, which accepted it."""
    if pupil_id is None or school_id is None:
        return False
    return db.session.execute(
        select(Transfer.id).where(
            Transfer.pupil_id == pupil_id, Transfer.from_school_id == school_id, Transfer.status == "accepted"
        ).limit(1)
    ).first() is not None


def accepted_transfer_out(pupil_id, school_id) -> Transfer | None:
    """The transfer that took `school_id`'s record of this pupil to a school which accepted it."""
    if pupil_id is None or school_id is None:
        return None
    return db.session.execute(
        select(Transfer).where(
            Transfer.pupil_id == pupil_id, Transfer.from_school_id == school_id, Transfer.status == "accepted"
        ).order_by(Transfer.accepted_at.desc()).limit(1)
    ).scalar_one_or_none()
