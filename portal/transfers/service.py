"""Transfers of child protection files: leaving, sending, receiving, rejecting, requesting.

    transfer = record_leaver(pupil, by=dsl, leaving_date=..., destination_kind="school", to_school=school)
    send(transfer.id, by=dsl, covering_note="...")           # freezes the snapshot, tells the receiver
    open_transfer(receiving_dsl, transfer.id)                # first look: pending becomes viewed
    accept(transfer.id, by=receiving_dsl)                    # the receipt; tells the sender
    match(transfer.id, by=receiving_dsl, pupil=existing_or_None)   # None: a new pupil record
    reject(transfer.id, by=receiving_dsl, reason="...")      # back to the sender
    request_file(school, by=dsl, upn=... | nhs_number=...)   # puts the pupil on holders' lists
    answer_no_file(target.id, by=dsl) / prepare_answer_by_send(target.id, by=dsl, ...)

Every function that changes something is a unit of work (`@transactional`): it checks the policy
for the record it acts on (NotFound for another school's), writes its audit event (opaque ids,
short codes), queues its emails in the mail outbox (`notices`) and commits. A state that has moved
on is a `TransferStateError` (a Conflict), a bad answer a `TransferInvalid` (an Invalid whose
`errors` map fields to GOV.UK messages). Accepting publishes `TransferAccepted`: the sending
school's pupil record hears it and becomes read-only there.

The pages' reads are here too (lists, a transfer with the people and schools it names), the
audited ones as units of work of their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, func, select

from portal import audit
from portal.auth.models import User
from portal.crypto import lookup
from portal.db import db, utcnow
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.events import TransferAccepted, publish
from portal.files.models import StoredFile
from portal.orgs.models import LocalAuthority, School
from portal.policy import can, require
from portal.pupils.identifiers import InvalidIdentifier, validate_nhs_number, validate_upn
from portal.pupils.models import Enrolment, Pupil
from portal.pupils.service import PupilDetails, PupilInvalid, add_pupil, find_by_identifiers
from portal.school_calendar.days import keeps_own_term_dates
from portal.school_calendar.models import CouncilHoliday, SchoolTermDates
from portal.transaction import transactional, unit_of_work
from portal.transfers import notices, school_days
from portal.transfers.models import (
    DESTINATION_KINDS,
    OPEN_STATUSES,
    SENT_STATUSES,
    WAITING_STATUSES,
    DestinationKind,
    IdentifierKind,
    RequestTargetStatus,
    SchoolClosure,
    Transfer,
    TransferAttachment,
    TransferEvent,
    TransferEventKind,
    TransferRequest,
    TransferRequestTarget,
    TransferStatus,
)
from portal.transfers.snapshot import Preview, discard_copies, freeze, gather, read_snapshot

NOTE_MAX = 5000
REASON_MAX = 2000


class TransferInvalid(Invalid):
    """Something the DSL typed or chose is wrong. `errors`: field name -> GOV.UK message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("transfer details are not valid")
        self.errors = errors


class TransferStateError(Conflict):
    """The transfer is not in a state where this can be done (it moved on, or a double click)."""


# --- finding things --------------------------------------------------------------------------


def _load(transfer_id: uuid.UUID, *, lock: bool = False) -> Transfer:
    query = select(Transfer).where(Transfer.id == transfer_id)
    if lock:
        # The row as it is now, held until the unit of work commits (two DSLs, or a double click).
        query = query.with_for_update().execution_options(populate_existing=True)
    transfer = db.session.execute(query).scalar_one_or_none()
    if transfer is None:
        raise NotFound()
    return transfer


def get_transfer_for(user, transfer_id: uuid.UUID, action: str, *, lock: bool = False) -> Transfer:
    transfer = _load(transfer_id, lock=lock)
    require(action, transfer)
    return transfer


def side_of(user, transfer: Transfer) -> str | None:
    """'sender', 'receiver' or None: which end of the transfer this user is at."""
    if can(user, "transfers:send", transfer):
        return "sender"
    if can(user, "transfers:receive", transfer):
        return "receiver"
    return None


def transfer_for_either_side(user, transfer_id: uuid.UUID) -> tuple[Transfer, str]:
    """The transfer and the user's side of it; NotFound for a school at neither end."""
    transfer = _load(transfer_id)
    side = side_of(user, transfer)
    if side is None:
        raise NotFound()
    return transfer, side


def get_pupil_for(user, pupil_id: uuid.UUID | str, action: str) -> Pupil:
    """A pupil record of the user's school (an id from a link may be malformed: NotFound)."""
    try:
        pupil_id = pupil_id if isinstance(pupil_id, uuid.UUID) else uuid.UUID(pupil_id)
    except ValueError:
        raise NotFound() from None
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None:
        raise NotFound()
    require(action, pupil)
    return pupil


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


def destination_school(picked_id: str | None, typed: str | None, *, exclude_id) -> tuple[School | None, list[School]]:
    """The school the DSL means: the match they picked, or the only open school matching what
    they typed. Returns (school or None, the matches to offer when there are several)."""
    if picked_id:
        try:
            school = db.session.get(School, uuid.UUID(picked_id))
        except ValueError:
            school = None
        if school is not None and school.active and school.id != exclude_id:
            return school, []
    matches = find_schools(typed or "", exclude_id=exclude_id)
    if len(matches) == 1:
        return matches[0], []
    return None, matches


def school(school_id) -> School | None:
    return db.session.get(School, school_id) if school_id else None


def schools_of(transfers) -> dict:
    ids = {t.from_school_id for t in transfers} | {t.to_school_id for t in transfers if t.to_school_id}
    if not ids:
        return {}
    return {s.id: s for s in db.session.execute(select(School).where(School.id.in_(ids))).scalars()}


def people(ids) -> dict:
    """'Name (School)' for each user, for status lines both sides read."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.display_name, School.name).outerjoin(School, User.school_id == School.id).where(User.id.in_(ids))
    ).all()
    return {uid: f"{name} ({school_name})" if school_name else name for uid, name, school_name in rows}


def pupils_by_id(ids) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {p.id: p for p in db.session.execute(select(Pupil).where(Pupil.id.in_(ids))).scalars()}


def people_named_in(transfer: Transfer) -> dict:
    return people({e.by_user_id for e in transfer.events} | {transfer.sent_by_id, transfer.accepted_by_id,
                   transfer.rejected_by_id, transfer.viewed_by_id, transfer.recorded_by_id})


def _event(transfer: Transfer, kind: TransferEventKind, by, *, school_id=None, at=None) -> TransferEvent:
    event = TransferEvent(
        transfer_id=transfer.id, kind=kind, at=at or utcnow(), by_user_id=getattr(by, "id", None), school_id=school_id
    )
    transfer.events.append(event)
    return event


# --- the pages' reads --------------------------------------------------------------------------


@dataclass
class TransferList:
    """A school's transfer list: what it sends, what waits for it, requests both ways."""

    outgoing: list[Transfer]
    incoming: list[Transfer]
    overdue_ids: set
    pupils: dict
    targets: list[TransferRequestTarget]
    target_pupils: dict
    my_requests: list[TransferRequest]
    schools: dict
    today: date


@transactional
def transfer_list(user) -> TransferList:
    """The school's transfer list (the read is audited)."""
    require("transfers:manage", user.school)
    school_id = user.school_id
    today = school_days.today_uk()
    outgoing_ = outgoing(school_id)
    incoming_ = incoming(school_id)
    targets = requests_to_answer(school_id)
    audit.record("transfer.list_view", object_type="school", object_id=school_id)
    return TransferList(
        outgoing=outgoing_,
        incoming=incoming_,
        overdue_ids={t.id for t in overdue(school_id, today)},
        pupils=pupils_by_id({t.pupil_id for t in outgoing_}),
        targets=targets,
        target_pupils=pupils_by_id({t.holder_pupil_id for t in targets}),
        my_requests=my_requests(school_id),
        schools=schools_of(outgoing_ + incoming_),
        today=today,
    )


@dataclass
class TransferPage:
    """One transfer as the user's side may see it. `pupil` and `facts` only for a side that may
    see the child (the sender; the receiver once it has confirmed receipt)."""

    transfer: Transfer
    side: str
    sees_child: bool
    schools: dict
    people: dict
    overdue: bool
    days_left: int | None
    pupil: Pupil | None = None
    facts: dict = field(default_factory=dict)


@transactional
def open_transfer(user, transfer_id: uuid.UUID) -> TransferPage:
    """A transfer page: the receiving school's first look marks it viewed; the read is audited."""
    transfer, side = transfer_for_either_side(user, transfer_id)
    if side == "receiver":
        mark_viewed(transfer, by=user)
    audit.record("transfer.view", object_type="transfer", object_id=transfer.id, detail=side)
    sees_child = side == "sender" or can(user, "transferred_history:view", transfer)
    page = TransferPage(
        transfer=transfer, side=side, sees_child=sees_child, schools=schools_of([transfer]),
        people=people_named_in(transfer), overdue=school_days.is_overdue(transfer),
        days_left=school_days.school_days_left(transfer) if transfer.status in OPEN_STATUSES else None,
    )
    if sees_child:
        page.pupil = db.session.get(Pupil, transfer.pupil_id) if side == "sender" else (
            db.session.get(Pupil, transfer.receiving_pupil_id) if transfer.receiving_pupil_id else None)
        page.facts = read_snapshot(transfer).get("pupil", {}) if transfer.snapshot is not None else {}
    return page


def sending_pupil(transfer: Transfer) -> Pupil:
    """The sending school's record of the child (for the sender's pages)."""
    return db.session.get(Pupil, transfer.pupil_id)


@dataclass
class ReviewPage:
    transfer: Transfer
    pupil: Pupil
    preview: Preview
    to_school: School | None


@transactional
def review_page(user, transfer: Transfer) -> ReviewPage:
    """What would go now, for the sender to review before sending (the read is audited)."""
    require("transfers:send", transfer)
    pupil = sending_pupil(transfer)
    preview = gather(pupil, user)
    audit.record("transfer.review", object_type="transfer", object_id=transfer.id)
    return ReviewPage(transfer=transfer, pupil=pupil, preview=preview, to_school=school(transfer.to_school_id))


def transfer_to_match(user, transfer_id: uuid.UUID) -> Transfer:
    """An accepted transfer the receiving school's leads attach to a pupil record here."""
    transfer = get_transfer_for(user, transfer_id, "transferred_history:view")
    require("transfers:receive", transfer)
    return transfer


@transactional
def match_page(user, transfer: Transfer) -> dict:
    """The facts the file gives about the child, for the receiver to find their record (audited)."""
    require("transferred_history:view", transfer)
    facts = snapshot_pupil(transfer)
    audit.record("transfer.match_view", object_type="transfer", object_id=transfer.id)
    return facts


@dataclass
class HistoryPage:
    transfer: Transfer
    snapshot: dict
    files: dict
    side: str | None


@transactional
def transferred_history(user, transfer_id: uuid.UUID) -> HistoryPage:
    """The file exactly as it was sent, read-only for both schools (the read is audited)."""
    transfer = get_transfer_for(user, transfer_id, "transferred_history:view")
    snapshot = read_snapshot(transfer)
    audit.record("transfer.history_view", object_type="transfer", object_id=transfer.id)
    return HistoryPage(transfer=transfer, snapshot=snapshot, files={a.position: a for a in transfer.attachments},
                       side=side_of(user, transfer))


def transferred_attachment(user, transfer_id: uuid.UUID, attachment_id: uuid.UUID) -> tuple[Transfer, StoredFile]:
    """A copy of an attachment as it was sent (the download itself is checked and audited by
    portal.files)."""
    transfer = get_transfer_for(user, transfer_id, "transferred_history:view")
    item = db.session.get(TransferAttachment, attachment_id)
    if item is None or item.transfer_id != transfer.id:
        raise NotFound()
    return transfer, db.session.get(StoredFile, item.stored_file_id)


def receipt_transfer(user, transfer_id: uuid.UUID) -> tuple[Transfer, str]:
    """A transfer whose receipt the user may export: sent (sender) or accepted (receiver)."""
    transfer, side = transfer_for_either_side(user, transfer_id)
    if transfer.sent_at is None or (side == "receiver" and transfer.status != TransferStatus.ACCEPTED):
        raise NotFound()
    return transfer, side


@transactional
def record_receipt_export(transfer: Transfer, side: str) -> None:
    audit.record("transfer.receipt_export", object_type="transfer", object_id=transfer.id, detail=side)


def waiting_transfer_for(user, transfer_id: uuid.UUID) -> Transfer:
    """A transfer waiting for the receiving school's answer; one that no longer waits is not
    found (the page to send it back has nothing to show)."""
    transfer = get_transfer_for(user, transfer_id, "transfers:receive")
    if transfer.status not in WAITING_STATUSES:
        raise NotFound()
    return transfer


# --- leaving --------------------------------------------------------------------------------


def _clean_destination(destination_kind: str, to_school: School | None, from_school_id) -> dict[str, str]:
    errors = {}
    if destination_kind not in DESTINATION_KINDS:
        errors["destination_kind"] = "Select where the pupil has gone"
    elif destination_kind == DestinationKind.SCHOOL:
        if to_school is None:
            errors["school"] = "Enter the URN or name of the pupil’s new school"
        elif to_school.id == from_school_id:
            errors["school"] = "The new school must be a different school"
        elif not to_school.active:
            errors["school"] = "That school is closed: enter the pupil’s new school"
    return errors


def _status_for(destination_kind: str) -> TransferStatus:
    if destination_kind == DestinationKind.SCHOOL:
        return TransferStatus.TO_SEND
    if destination_kind == DestinationKind.UNKNOWN:
        return TransferStatus.DESTINATION_UNKNOWN
    return TransferStatus.NO_TRANSFER


def open_transfer_of(pupil: Pupil) -> Transfer | None:
    return db.session.execute(
        select(Transfer).where(
            Transfer.pupil_id == pupil.id, Transfer.from_school_id == pupil.school_id, Transfer.status.in_(OPEN_STATUSES)
        )
    ).scalars().first()


@transactional
def record_leaver(pupil: Pupil, *, by, leaving_date: date | None, destination_kind: str,
                  to_school: School | None = None, today: date | None = None) -> Transfer:
    """The pupil has left: end the enrolment, take them off roll and start the clock."""
    require("transfers:send", pupil)
    today = today or school_days.today_uk()
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
        to_school_id=to_school.id if destination_kind == DestinationKind.SCHOOL else None,
        destination_kind=destination_kind,
        status=_status_for(destination_kind),
        leaving_date=leaving_date,
        due_date=school_days.due_date(pupil.school_id, leaving_date),
        recorded_by_id=by.id,
    )
    db.session.add(transfer)
    _event(transfer, TransferEventKind.RECORDED, by, school_id=transfer.to_school_id)
    db.session.flush()
    audit.record("transfer.leaver_record", object_type="transfer", object_id=transfer.id, detail=destination_kind)
    return transfer


@transactional
def change_destination(transfer: Transfer, *, by, destination_kind: str, to_school: School | None = None) -> Transfer:
    """Where the pupil went, when it was not known, or after the receiver sent it back."""
    require("transfers:send", transfer)
    if transfer.status not in OPEN_STATUSES:
        raise TransferStateError("the destination can change only before the file is sent")
    errors = _clean_destination(destination_kind, to_school, transfer.from_school_id)
    if transfer.status == TransferStatus.REJECTED and to_school is not None and to_school.id == transfer.to_school_id:
        errors["school"] = "That school sent the file back: choose the pupil’s new school"
    if errors:
        raise TransferInvalid(errors)
    if transfer.snapshot is not None:
        discard_copies(transfer)
    transfer.destination_kind = destination_kind
    transfer.to_school_id = to_school.id if destination_kind == DestinationKind.SCHOOL else None
    transfer.status = _status_for(destination_kind)
    _event(transfer, TransferEventKind.DESTINATION_CHANGED, by, school_id=transfer.to_school_id)
    db.session.flush()
    audit.record("transfer.destination_change", object_type="transfer", object_id=transfer.id, detail=destination_kind)
    return transfer


# --- sending --------------------------------------------------------------------------------


@transactional
def send(transfer_id: uuid.UUID, *, by, covering_note: str | None, tell_receiver: bool = True) -> Transfer:
    """Freeze what goes and send it. Refused unless a destination school is set and unsent.

    The receiving school's leads are emailed that a file waits (the demo seed, which invents the
    data, tells nobody)."""
    transfer = get_transfer_for(by, transfer_id, "transfers:send", lock=True)
    if transfer.status != TransferStatus.TO_SEND or transfer.to_school_id is None:
        raise TransferStateError("only a transfer with a destination school and not yet sent can be sent")
    note = (covering_note or "").strip()
    if len(note) > NOTE_MAX:
        raise TransferInvalid({"covering_note": f"The covering note must be {NOTE_MAX} characters or fewer"})
    pupil = sending_pupil(transfer)
    now = utcnow()
    freeze(transfer, pupil, by, now)
    transfer.covering_note = note or None
    transfer.status = TransferStatus.PENDING
    transfer.sent_by_id = by.id
    transfer.sent_at = now
    for name in ("viewed_by_id", "viewed_at", "accepted_by_id", "accepted_at", "rejected_by_id", "rejected_at"):
        setattr(transfer, name, None)
    transfer.rejection_reason = None
    _event(transfer, TransferEventKind.SENT, by, school_id=transfer.to_school_id, at=now)
    for target in db.session.execute(
        select(TransferRequestTarget).where(
            TransferRequestTarget.holder_pupil_id == transfer.pupil_id,
            TransferRequestTarget.status == RequestTargetStatus.OPEN,
        )
    ).scalars():
        request = db.session.get(TransferRequest, target.request_id)
        if request.requesting_school_id == transfer.to_school_id:
            _answer(target, RequestTargetStatus.SENT, by, transfer_id=transfer.id)
    db.session.flush()
    audit.record("transfer.send", object_type="transfer", object_id=transfer.id,
                 detail="cross_la" if _crosses_la(transfer) else "same_la")
    if tell_receiver:
        notices.file_sent(transfer)
    return transfer


def _crosses_la(transfer: Transfer) -> bool:
    schools = {s.id: s for s in db.session.execute(
        select(School).where(School.id.in_([transfer.from_school_id, transfer.to_school_id]))
    ).scalars()}
    ids = {s.local_authority_id for s in schools.values()}
    return len(ids) > 1


# --- receiving ------------------------------------------------------------------------------


def mark_viewed(transfer: Transfer, *, by) -> bool:
    """The receiving DSL opened the waiting transfer: pending becomes viewed (once). Part of
    `open_transfer`'s unit of work."""
    require("transfers:receive", transfer)
    if transfer.status != TransferStatus.PENDING:
        return False
    transfer.status = TransferStatus.VIEWED
    transfer.viewed_by_id = by.id
    transfer.viewed_at = utcnow()
    _event(transfer, TransferEventKind.VIEWED, by, school_id=transfer.to_school_id, at=transfer.viewed_at)
    audit.record("transfer.view_waiting", object_type="transfer", object_id=transfer.id)
    return True


@transactional
def accept(transfer_id: uuid.UUID, *, by) -> tuple[Transfer, bool]:
    """Confirm receipt: from now the receiving school sees the child and the history, and the
    sending school is told. Returns the transfer and whether it was accepted now (False: it
    already was, a second click)."""
    transfer = get_transfer_for(by, transfer_id, "transfers:receive", lock=True)
    if transfer.status == TransferStatus.ACCEPTED:
        return transfer, False
    if transfer.status not in WAITING_STATUSES:
        raise TransferStateError("only a waiting transfer can be accepted")
    now = utcnow()
    if transfer.viewed_at is None:
        transfer.viewed_by_id, transfer.viewed_at = by.id, now
    transfer.status = TransferStatus.ACCEPTED
    transfer.accepted_by_id = by.id
    transfer.accepted_at = now
    _event(transfer, TransferEventKind.ACCEPTED, by, school_id=transfer.to_school_id, at=now)
    # A request made from a pupil's record already says who the child is here.
    request_pupil = _requested_pupil(transfer)
    if request_pupil is not None:
        _set_match(transfer, request_pupil, by)
    db.session.flush()
    # The sending school's record becomes read-only (portal.pupils.subscribers).
    publish(TransferAccepted(transfer=transfer, accepted_by=by))
    audit.record("transfer.accept", object_type="transfer", object_id=transfer.id)
    notices.file_accepted(transfer)
    return transfer, True


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


@transactional
def reject(transfer_id: uuid.UUID, *, by, reason: str | None) -> Transfer:
    """Sent to the wrong school: back to the sender with the reason, and the sender is told."""
    transfer = get_transfer_for(by, transfer_id, "transfers:receive", lock=True)
    if transfer.status not in WAITING_STATUSES:
        raise TransferStateError("only a waiting transfer can be rejected")
    reason = " ".join((reason or "").split()) if reason else ""
    if not reason:
        raise TransferInvalid({"reason": "Enter why the file is being sent back"})
    if len(reason) > REASON_MAX:
        raise TransferInvalid({"reason": f"The reason must be {REASON_MAX} characters or fewer"})
    now = utcnow()
    transfer.status = TransferStatus.REJECTED
    transfer.rejected_by_id = by.id
    transfer.rejected_at = now
    transfer.rejection_reason = reason
    _event(transfer, TransferEventKind.REJECTED, by, school_id=transfer.to_school_id, at=now)
    db.session.flush()
    audit.record("transfer.reject", object_type="transfer", object_id=transfer.id)
    notices.file_rejected(transfer)
    return transfer


def snapshot_pupil(transfer: Transfer) -> dict:
    return read_snapshot(transfer).get("pupil", {})


def match_candidates(transfer: Transfer) -> list[Pupil]:
    """Records at the receiving school with the same UPN or NHS number, or surname and date of birth."""
    facts = snapshot_pupil(transfer)
    born = date.fromisoformat(facts["date_of_birth"]) if facts.get("date_of_birth") else None
    return find_by_identifiers(
        school(transfer.to_school_id),
        upn=facts.get("upn"),
        nhs_number=facts.get("nhs_number"),
        surname=facts.get("legal_surname"),
        date_of_birth=born,
    )


# A detail the sending school held that this portal's checks refuse (an old or temporary
# identifier, say) is left out of a new record; the file keeps it.
_DROPPABLE = {"upn", "nhs_number", "postcode", "sex", "sen_status", "year_group", "preferred_name", "gender",
              "ethnicity", "address"}


@transactional
def match(transfer_id: uuid.UUID, *, by, pupil: Pupil | None) -> Pupil:
    """Attach the received history to a pupil record here: `pupil`, or a new record from the file."""
    transfer = get_transfer_for(by, transfer_id, "transferred_history:view", lock=True)
    require("transfers:receive", transfer)
    if transfer.status != TransferStatus.ACCEPTED or transfer.receiving_pupil_id is not None:
        # Matched once: moving the history to another record is not a change anyone may make.
        raise TransferStateError("the transfer is not waiting to be matched")
    if pupil is None:
        facts = snapshot_pupil(transfer)
        details = PupilDetails(
            **{name: facts.get(name) for name in PupilDetails.PERSONAL if name != "date_of_birth"},
            date_of_birth=date.fromisoformat(facts["date_of_birth"]),
            start_date=school_days.today_uk(),
        )
        receiving_school = school(transfer.to_school_id)
        try:
            pupil = add_pupil(receiving_school, details, allow_duplicate=True)
        except PupilInvalid as error:
            if not set(error.errors) <= _DROPPABLE:
                raise
            for name in error.errors:
                setattr(details, name, None)
            pupil = add_pupil(receiving_school, details, allow_duplicate=True)
        detail = "new_record"
    else:
        if pupil.school_id != transfer.to_school_id:
            raise NotFound()
        detail = "existing_record"
    _set_match(transfer, pupil, by)
    db.session.flush()
    audit.record("transfer.match", object_type="transfer", object_id=transfer.id, detail=detail)
    return pupil


def _set_match(transfer: Transfer, pupil: Pupil, by) -> None:
    transfer.receiving_pupil_id = pupil.id
    transfer.matched_by_id = by.id
    transfer.matched_at = utcnow()
    _event(transfer, TransferEventKind.MATCHED, by, school_id=transfer.to_school_id, at=transfer.matched_at)
    # The receiving record shows the school the file came from in its school history.
    if not any(e.school_id == transfer.from_school_id for e in pupil.enrolments):
        started = _sender_start(transfer)
        pupil.enrolments.append(
            Enrolment(school_id=transfer.from_school_id, start_date=started or transfer.leaving_date,
                      end_date=transfer.leaving_date, leaving_reason=DestinationKind.SCHOOL)
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


def _registered_la_codes() -> frozenset[str]:
    return frozenset(db.session.execute(select(LocalAuthority.code)).scalars())


@transactional
def request_file(school: School, *, by, upn: str | None = None, nhs_number: str | None = None,
                 pupil: Pupil | None = None) -> RequestOutcome:
    """Ask for a pupil's file by UPN or NHS number. Only recorded here: the mail worker
    (`match_waiting_requests`, within seconds) puts it on the list of every other school holding a
    record with that identifier and tells its leads, so the answer is the same whether or not
    any school holds one."""
    require("transfers:request", school)
    upn, nhs_number = (upn or "").strip(), (nhs_number or "").strip()
    errors: dict[str, str] = {}
    if bool(upn) == bool(nhs_number):
        errors["upn"] = "Enter the pupil’s UPN or their NHS number (one of them)"
    try:
        if upn:
            upn = validate_upn(upn, _registered_la_codes())
        if nhs_number:
            nhs_number = validate_nhs_number(nhs_number)
    except InvalidIdentifier as error:
        errors["upn" if upn else "nhs_number"] = str(error)
    if pupil is not None and pupil.school_id != school.id:
        raise NotFound()
    if errors:
        raise TransferInvalid(errors)
    request = TransferRequest(
        requesting_school_id=school.id, requested_by_id=by.id, pupil_id=pupil.id if pupil else None,
        identifier_kind=IdentifierKind.UPN if upn else IdentifierKind.NHS_NUMBER,
    )
    request.identifier = upn or nhs_number
    db.session.add(request)
    db.session.flush()
    audit.record("transfer.request", object_type="transfer_request", object_id=request.id)
    return RequestOutcome(request=request, targets=[])


def match_waiting_requests(limit: int = 100) -> int:
    """The mail worker's share (registered in portal.wiring): find the schools holding each new
    request's identifier (through the blind indexes), put it on their lists and tell their
    leads. Done here rather than in the page, so that the requesting school learns nothing, not
    even from the time the answer takes, about whether the child is known anywhere in the
    country until a holder answers. Returns how many requests were matched."""
    with unit_of_work() as session:
        ids = list(session.execute(
            select(TransferRequest.id).where(TransferRequest.matched_at.is_(None))
            .order_by(TransferRequest.requested_at).limit(limit)
        ).scalars())
    return sum(_match_request(request_id) for request_id in ids)


@transactional
def _match_request(request_id: uuid.UUID) -> int:
    # Claimed with a row lock (SKIP LOCKED on PostgreSQL): two workers never both match it.
    request = db.session.execute(
        select(TransferRequest).where(TransferRequest.id == request_id, TransferRequest.matched_at.is_(None))
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if request is None:
        return 0
    elsewhere = [Pupil.school_id != request.requesting_school_id]
    if request.identifier_kind == IdentifierKind.UPN:
        holders = lookup(Pupil.upn_index, upn=request.identifier, where=elsewhere)
    else:
        holders = lookup(Pupil.nhs_number_index, nhs_number=request.identifier, where=elsewhere)
    targets = []
    for holder in holders:
        target = TransferRequestTarget(request_id=request.id, holder_school_id=holder.school_id, holder_pupil_id=holder.id)
        request.targets.append(target)
        targets.append(target)
    request.matched_at = utcnow()
    db.session.flush()
    audit.record("transfer.request_matched", object_type="transfer_request", object_id=request.id,
                 detail=f"found_{len(targets)}", organisation_id=request.requesting_school_id)
    for target in targets:
        notices.file_requested(target)
    return 1


def get_target_for(user, target_id: uuid.UUID, *, lock: bool = False) -> TransferRequestTarget:
    query = select(TransferRequestTarget).where(TransferRequestTarget.id == target_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    target = db.session.execute(query).scalar_one_or_none()
    if target is None:
        raise NotFound()
    require("transfer_requests:answer", target)
    return target


def holder_pupil(target: TransferRequestTarget) -> Pupil:
    """The answering school's own record that matched the request."""
    return db.session.get(Pupil, target.holder_pupil_id)


def requester_of(target: TransferRequestTarget) -> School:
    request = db.session.get(TransferRequest, target.request_id)
    return db.session.get(School, request.requesting_school_id)


def _answer(target: TransferRequestTarget, status: RequestTargetStatus, by, *, transfer_id=None) -> None:
    target.status = status
    target.answered_by_id = by.id
    target.answered_at = utcnow()
    target.transfer_id = transfer_id


@transactional
def answer_no_file(target_id: uuid.UUID, *, by) -> TransferRequestTarget:
    """"We hold no file": the requesting school is told."""
    target = get_target_for(by, target_id, lock=True)
    if target.status != RequestTargetStatus.OPEN:
        raise TransferStateError("the request has been answered")
    _answer(target, RequestTargetStatus.NO_FILE, by)
    db.session.flush()
    audit.record("transfer.request_no_file", object_type="transfer_request", object_id=target.request_id)
    notices.request_answered(db.session.get(TransferRequest, target.request_id))
    return target


@transactional
def prepare_answer_by_send(target_id: uuid.UUID, *, by, leaving_date: date | None = None) -> Transfer:
    """Answer a request by sending: the holder's open transfer now goes to the requesting school
    (or the pupil is recorded as a leaver to it first). The DSL then reviews and sends."""
    target = get_target_for(by, target_id, lock=True)
    if target.status != RequestTargetStatus.OPEN:
        raise TransferStateError("the request has been answered")
    pupil = holder_pupil(target)
    to_school = requester_of(target)
    transfer = open_transfer_of(pupil)
    if transfer is None:
        if pupil.on_roll:
            transfer = record_leaver(pupil, by=by, leaving_date=leaving_date, destination_kind=DestinationKind.SCHOOL,
                                     to_school=to_school)
        else:
            raise TransferStateError("the pupil left without an open transfer")
    elif transfer.to_school_id != to_school.id or transfer.status != TransferStatus.TO_SEND:
        transfer = change_destination(transfer, by=by, destination_kind=DestinationKind.SCHOOL, to_school=to_school)
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
        select(func.count(Transfer.id)).where(Transfer.to_school_id == school_id, Transfer.status.in_(WAITING_STATUSES))
    ).scalar_one()


def overdue(school_id: uuid.UUID, today: date | None = None) -> list[Transfer]:
    today = today or school_days.today_uk()
    return list(db.session.execute(
        select(Transfer)
        .where(Transfer.from_school_id == school_id, Transfer.status.in_(OPEN_STATUSES), Transfer.due_date < today)
        .order_by(Transfer.due_date)
    ).scalars())


def requests_to_answer(school_id: uuid.UUID) -> list[TransferRequestTarget]:
    return list(db.session.execute(
        select(TransferRequestTarget)
        .where(TransferRequestTarget.holder_school_id == school_id)
        .order_by(TransferRequestTarget.status != RequestTargetStatus.OPEN, TransferRequestTarget.id)
    ).scalars())


def my_requests(school_id: uuid.UUID) -> list[TransferRequest]:
    return list(db.session.execute(
        select(TransferRequest).where(TransferRequest.requesting_school_id == school_id)
        .order_by(TransferRequest.requested_at.desc())
    ).scalars())


def request_state(request: TransferRequest) -> str:
    """In words, for the requesting school, without naming the schools that hold a record, and
    without saying whether any does until one answers (the same words for a child held nowhere)."""
    if not request.targets:
        return "Waiting for an answer"
    sent = sum(t.status == RequestTargetStatus.SENT for t in request.targets)
    no_file = sum(t.status == RequestTargetStatus.NO_FILE for t in request.targets)
    waiting = len(request.targets) - sent - no_file
    parts = []
    if sent:
        parts.append("file sent")
    if no_file:
        parts.append("answered: no file held" if no_file == 1 else f"{no_file} schools answered: no file held")
    if waiting:
        parts.append("waiting for an answer")
    return "; ".join(parts).capitalize()


@dataclass
class HomePanel:
    waiting: int
    overdue: int
    requests: int


def home_panel(school_id: uuid.UUID) -> HomePanel:
    """For the home page: files waiting for receipt, overdue transfers, requests to answer."""
    return HomePanel(
        waiting=waiting_count(school_id),
        overdue=len(overdue(school_id)),
        requests=sum(1 for t in requests_to_answer(school_id) if t.status == RequestTargetStatus.OPEN),
    )


# --- closed days ------------------------------------------------------------------------------


def closures(school_id: uuid.UUID) -> list[SchoolClosure]:
    return list(db.session.execute(
        select(SchoolClosure).where(SchoolClosure.school_id == school_id).order_by(SchoolClosure.first_day)
    ).scalars())


@transactional
def add_closure(school: School, *, by, first_day: date | None, last_day: date | None) -> SchoolClosure:
    """Days the school is closed: open transfers' due dates move past them."""
    require("transfers:manage", school)
    errors = {}
    if first_day is None:
        errors["first_day"] = "Enter the first day the school is closed"
    if last_day is None:
        errors["last_day"] = "Enter the last day the school is closed"
    if first_day and last_day:
        if last_day < first_day:
            errors["last_day"] = "The last day must be the same as or after the first day"
        elif (last_day - first_day).days >= school_days.MAX_CLOSURE_DAYS:
            errors["last_day"] = f"A closure must be shorter than {school_days.MAX_CLOSURE_DAYS} days"
    if errors:
        raise TransferInvalid(errors)
    closure = SchoolClosure(school_id=school.id, first_day=first_day, last_day=last_day, created_by_id=by.id)
    db.session.add(closure)
    db.session.flush()
    school_days.recompute_open_due_dates(school.id)
    audit.record("transfer.closure_add", object_type="school", object_id=school.id)
    return closure


def council_calendar_of(school: School) -> tuple[bool, list[CouncilHoliday]]:
    """For the closed-days page: whether the school keeps its own term dates, and its council's
    holidays (which it follows unless it does)."""
    holidays = list(db.session.execute(
        select(CouncilHoliday).where(CouncilHoliday.local_authority_id == school.local_authority_id)
        .order_by(CouncilHoliday.first_day)
    ).scalars())
    return keeps_own_term_dates(school.id), holidays


@transactional
def set_own_term_dates(school: School, *, by, own: bool) -> None:
    """Whether the school's term dates are the council's (the default) or its own (an academy
    with different terms): the open transfers' due dates follow."""
    require("transfers:manage", school)
    if own is None:
        raise TransferInvalid({"council_terms": "Select yes if your term dates are the council’s"})
    # Two answers at once (a double click) wait for each other on the school's row.
    db.session.execute(select(School.id).where(School.id == school.id).with_for_update()).first()
    setting = db.session.get(SchoolTermDates, school.id, populate_existing=True)
    if setting is None:
        setting = SchoolTermDates(school_id=school.id, own_term_dates=own, changed_by_id=by.id)
        db.session.add(setting)
    elif setting.own_term_dates == own:
        return
    else:
        setting.own_term_dates = own
        setting.changed_by_id = by.id
    db.session.flush()
    school_days.recompute_open_due_dates(school.id)
    audit.record("transfer.term_dates", object_type="school", object_id=school.id,
                 detail="own" if own else "council")


@transactional
def remove_closure(school: School, closure_id: uuid.UUID) -> None:
    require("transfers:manage", school)
    closure = db.session.get(SchoolClosure, closure_id)
    if closure is None or closure.school_id != school.id:
        raise NotFound()
    db.session.delete(closure)
    db.session.flush()
    school_days.recompute_open_due_dates(school.id)
    audit.record("transfer.closure_remove", object_type="school", object_id=school.id)


def transferred_out(user, pupil: Pupil) -> tuple[Transfer | None, School | None]:
    """If `user` may no longer change this record because it was transferred out (and the
    receiving school accepted it): that transfer and the school it went to, for the pupil's page
    to say so. (None, None) when the record is still theirs to change."""
    if can(user, "pupils:manage", pupil):
        return None, None
    transfer = db.session.execute(
        select(Transfer).where(
            Transfer.pupil_id == pupil.id, Transfer.from_school_id == pupil.school_id,
            Transfer.status == TransferStatus.ACCEPTED,
        ).order_by(Transfer.accepted_at.desc()).limit(1)
    ).scalar_one_or_none()
    to_school = db.session.get(School, transfer.to_school_id) if transfer and transfer.to_school_id else None
    return transfer, to_school


# Built once (the pupil's page asks on every view), on bind parameters.
_FILE_RECEIVED = select(Transfer.id).where(
    Transfer.receiving_pupil_id == bindparam("pupil_id"), Transfer.to_school_id == bindparam("school_id"),
    Transfer.status == TransferStatus.ACCEPTED,
).limit(1)


def file_received(pupil: Pupil) -> bool:
    """Whether a child protection file from another school has come for this record (accepted
    and matched to it): the pupil's page then offers no request for the file they already have."""
    return db.session.execute(
        _FILE_RECEIVED, {"pupil_id": pupil.id, "school_id": pupil.school_id}).first() is not None
