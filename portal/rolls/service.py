"""Importing a Common Transfer File into a school's roll: upload, preview, confirm.

The uploaded CTF is kept encrypted in the file store (portal.files) between the upload and the
DSL's answer, with a `CtfUpload` row saying whose it is; the preview is recomputed from it each
time (so the confirmation applies exactly what the roll and the file say at that moment). A file
never confirmed is deleted after 24 hours (`delete_stale_uploads`).

Matching, in this order: the UPN; then the former UPN (the pupil's UPN changed); then surname and
date of birth through the blind index, which is only ever a *probable* match: the DSL decides, a
probable match is never merged silently. Re-importing the same file changes nothing, and an
import is one transaction: interrupted, it leaves the roll as it was and can be run again.

Contacts (parents, carers) come with each pupil and replace the pupil's contacts when they
differ. Leavers: a pupil on the roll and missing from the school's *full roll* (the rule is
`CtfFile.full_roll_of`), or a pupil whose school history in the file has a leaving date from this
school (today or earlier), leaves the roll with that date (a missing pupil: the date the file was
written) through portal.transfers, which starts the transfer of their child protection file when
they have a safeguarding record, pre-addressed to the destination school when the file names one
in the portal. A joining pupil's file already sent to this school and waiting is offered for
acceptance.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import select

from portal import audit
from portal.db import db, utcnow
from portal.domain_errors import Invalid, NotFound
from portal.files.models import StoredFile
from portal.files.service import FileRefused, delete_stored, read_chunks, store_upload
from portal.orgs.models import School
from portal.policy import require
from portal.cme.service import next_school_name
from portal.pupils.models import Enrolment, Pupil
from portal.pupils.service import (
    ContactDetails,
    PupilDetails,
    PupilInvalid,
    add_pupil,
    clean_details,
    contacts_of,
    edit_pupil,
    find_by_identifiers,
    replace_contacts,
)
from portal.rolls.ctf import MAX_CTF_BYTES, CtfFile, CtfPupil, CtfRefused, CtfSchool, parse
from portal.rolls.models import CONFIRMED, IMPORTED, WAITING, CtfUpload
from portal.transfers import leavers as transfer_leavers
from portal.transfers import school_days
from portal.transfers.models import Transfer
from portal.transaction import transactional

FIELD_LABELS = {
    "legal_forename": "Legal first name",
    "legal_surname": "Legal last name",
    "preferred_name": "Preferred first name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "upn": "UPN",
    "nhs_number": "NHS number",
    "address": "Address",
    "postcode": "Postcode",
    "ethnicity": "Ethnicity",
    "sen_status": "SEN status",
    "year_group": "Year group",
    "contacts": "Contacts",
}
TAKEN_DESCRIPTION = ("UPN, former UPN, legal and preferred names, date of birth, sex, address and postcode, "
                     "NHS number, ethnicity, SEN status, year group, entry and leaving dates, and contacts "
                     "(name, relationship, parental responsibility and phone numbers)")
# A file waiting this long without an answer is deleted.
STALE_AFTER = timedelta(hours=24)
# Decisions on a probable match.
LEAVE, NEW = "leave", "new"


class CtfInvalid(Invalid):
    """The file was refused; `message` is for the DSL (it never repeats a value from the file)."""

    def __init__(self, message: str):
        super().__init__("the common transfer file was refused")
        self.message = message


@dataclass
class Change:
    pupil: Pupil
    ctf: CtfPupil
    details: PupilDetails  # the cleaned details the record will have
    fields: list[str]  # names of the fields that change ("contacts" among them)
    by_former_upn: bool = False
    contacts_before: list[ContactDetails] = field(default_factory=list)
    contacts_after: list[ContactDetails] = field(default_factory=list)

    def shown(self, name: str):
        """The value now and from the file, for the preview's table."""
        if name == "contacts":
            return ("; ".join(c.summary() for c in self.contacts_before) or None,
                    "; ".join(c.summary() for c in self.contacts_after) or None)
        return getattr(self.pupil, name), getattr(self.details, name)

    @property
    def details_change(self) -> bool:
        return any(name != "contacts" for name in self.fields)


@dataclass
class Probable:
    ctf: CtfPupil
    details: PupilDetails
    candidates: list[Pupil]


@dataclass
class Leaver:
    """A pupil on the roll whom the file says has left."""

    pupil: Pupil
    leaving_date: date
    missing: bool  # True: not in the full roll; False: a leaving date in the file
    destination: CtfSchool | None  # the school the file names, in the portal or not
    to_school: School | None  # that school, when it is in the portal
    has_record: bool  # a safeguarding record: the child protection file is to be sent


@dataclass
class Joiner:
    """A pupil in the file whose child protection file was sent here and waits for an answer."""

    ctf: CtfPupil
    transfer: Transfer
    from_school: School | None


@dataclass
class Plan:
    ctf: CtfFile
    full_roll: bool
    new: list[tuple[CtfPupil, PupilDetails]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    probable: list[Probable] = field(default_factory=list)
    invalid: list[tuple[CtfPupil, dict[str, str]]] = field(default_factory=list)
    leavers: list[Leaver] = field(default_factory=list)
    leaving_later: int = 0  # leaving dates after today: not leavers yet
    joined_since: int = 0  # missing from the full roll but joined after it was written
    joiners: list[Joiner] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.new or self.changed or self.probable or self.leavers)

    @property
    def files_to_send(self) -> int:
        return sum(1 for leaver in self.leavers if leaver.has_record)


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    left: int = 0
    unchanged: int = 0
    not_imported: int = 0
    leavers: int = 0
    files_to_send: int = 0
    pre_addressed: int = 0
    handled: int = 0  # pupils in the file, all looked at
    seconds: float = 0.0
    # Waiting transfers to open: [transfer id, the sending school's name] (no child named).
    joiners: list[list[str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(vars(self))


def _details_from(ctf: CtfPupil, base: PupilDetails | None = None) -> PupilDetails:
    """The CTF's values over `base` (an existing record's details): a field the file leaves
    empty keeps what the portal has."""
    preferred = ctf.preferred_forename if ctf.preferred_forename and ctf.preferred_forename != ctf.forename else None
    values = {
        "legal_forename": ctf.forename, "legal_surname": ctf.surname, "date_of_birth": ctf.date_of_birth,
        "preferred_name": preferred, "sex": ctf.sex, "upn": ctf.upn, "nhs_number": ctf.nhs_number,
        "address": ctf.address, "postcode": ctf.postcode, "ethnicity": ctf.ethnicity,
        "sen_status": ctf.sen_status, "year_group": ctf.year_group,
    }
    if base is None:
        return PupilDetails(start_date=ctf.entry_date, **values)
    return replace(base, **{k: v for k, v in values.items() if v is not None})


def _clean(ctf: CtfPupil, base: PupilDetails | None = None) -> PupilDetails:
    if ctf.date_of_birth_invalid:
        raise PupilInvalid({"date_of_birth": "Date of birth must be a real date"})
    return clean_details(_details_from(ctf, base))


def _first(found: list[Pupil]) -> Pupil | None:
    return found[0] if found else None


def _ctf_contacts(pupil: CtfPupil) -> list[ContactDetails]:
    return [ContactDetails(c.name, c.relationship, c.parental_responsibility, c.phones) for c in pupil.contacts]


def _destination(school: School, ctf: CtfFile, pupil: CtfPupil | None) -> CtfSchool | None:
    """Where a leaver went: the school the file is addressed to when the school exported it for
    another school (a leaver's CTF), else the next school in the pupil's history."""
    if ctf.source.laestab == school.laestab and ctf.destination is not None \
            and ctf.destination.laestab != school.laestab:
        return ctf.destination
    return pupil.next_school if pupil is not None else None


def _leaver(school: School, ctf: CtfFile, pupil: Pupil, leaving_date: date, ctf_pupil: CtfPupil | None) -> Leaver:
    destination = _destination(school, ctf, ctf_pupil)
    to_school = transfer_leavers.school_by_laestab(destination.laestab) if destination else None
    if to_school is not None and to_school.id == school.id:
        to_school = None
    return Leaver(pupil, leaving_date, ctf_pupil is None, destination, to_school,
                  transfer_leavers.has_safeguarding_record(pupil))


def build_plan(school: School, ctf: CtfFile, today: date | None = None) -> Plan:
    """What importing `ctf` would do to the school's records. Reads only; changes nothing."""
    today = today or school_days.today_uk()
    plan = Plan(ctf=ctf, full_roll=ctf.full_roll_of(school.laestab), ignored=list(ctf.ignored))
    seen: set[uuid.UUID] = set()
    if any(p.preferred_surname and p.preferred_surname != p.surname for p in ctf.pupils):
        plan.ignored.append("BasicDetails/PreferredSurname (the portal keeps the legal surname)")
    for pupil in ctf.pupils:
        existing = _first(find_by_identifiers(school, upn=pupil.upn)) if pupil.upn else None
        by_former = False
        if existing is None and pupil.former_upn:
            existing = _first(find_by_identifiers(school, upn=pupil.former_upn))
            by_former = existing is not None
        try:
            if existing is not None:
                seen.add(existing.id)
                details = _clean(pupil, PupilDetails.of(existing))
                current = PupilDetails.of(existing)
                changes = [n for n in PupilDetails.PERSONAL if getattr(current, n) != getattr(details, n)]
                before, after = contacts_of(existing), _ctf_contacts(pupil)
                if pupil.contacts_given and before != after:
                    changes.append("contacts")
                if changes:
                    plan.changed.append(Change(existing, pupil, details, changes, by_former, before, after))
                else:
                    plan.unchanged += 1
                if pupil.leaving_date is not None and existing.on_roll and existing.transferred_out_at is None:
                    if pupil.leaving_date <= today:
                        plan.leavers.append(_leaver(school, ctf, existing, pupil.leaving_date, pupil))
                    else:
                        plan.leaving_later += 1
                continue
            details = _clean(pupil)
        except PupilInvalid as error:
            plan.invalid.append((pupil, error.errors))
            continue
        candidates = find_by_identifiers(school, surname=details.legal_surname, date_of_birth=details.date_of_birth)
        if candidates:
            seen.update(c.id for c in candidates)
            plan.probable.append(Probable(pupil, details, candidates))
        else:
            plan.new.append((pupil, details))
    if plan.full_roll:
        on_roll = db.session.execute(
            select(Pupil).where(Pupil.school_id == school.id, Pupil.on_roll.is_(True),
                                Pupil.transferred_out_at.is_(None))).scalars()
        written = min(ctf.exported_on or today, today)
        for missing in sorted((p for p in on_roll if p.id not in seen),
                              key=lambda p: (p.legal_surname.casefold(), p.legal_forename.casefold())):
            if any(e.school_id == school.id and e.end_date is None and e.start_date > written
                   for e in missing.enrolments):
                plan.joined_since += 1  # on the roll here since the file was written: not a leaver
                continue
            plan.leavers.append(_leaver(school, ctf, missing, written, None))
    if ctf.source.laestab != school.laestab:
        # A joining pupil's CTF from their previous school: is their file already waiting here?
        waiting = transfer_leavers.waiting_files_for(school, {p.upn for p in ctf.pupils if p.upn})
        if waiting:
            schools = {s.id: s for s in db.session.execute(
                select(School).where(School.id.in_({t.from_school_id for t in waiting.values()}))).scalars()}
            for pupil in ctf.pupils:
                transfer = waiting.get("".join((pupil.upn or "").split()).upper())
                if transfer is not None:
                    plan.joiners.append(Joiner(pupil, transfer, schools.get(transfer.from_school_id)))
    return plan


def _read(stored: StoredFile) -> bytes:
    return b"".join(read_chunks(stored))


def _upload_for(user, school: School, upload_id: uuid.UUID, states: tuple[str, ...], *,
                lock: bool = False) -> CtfUpload:
    """This user's upload for this school, in one of `states`; anything else is NotFound."""
    require("rolls:import", school)
    query = select(CtfUpload).where(CtfUpload.id == upload_id)
    if lock:
        # Held until the unit of work commits: a second request (a double click, a refresh) waits
        # and then sees the import done.
        query = query.with_for_update().execution_options(populate_existing=True)
    upload = db.session.execute(query).scalar_one_or_none()
    if upload is None or upload.school_id != school.id or upload.uploaded_by_id != user.id \
            or upload.state not in states:
        raise NotFound()
    return upload


def _stored_of(upload: CtfUpload) -> StoredFile:
    stored = db.session.get(StoredFile, upload.stored_file_id) if upload.stored_file_id else None
    if stored is None:
        raise NotFound()
    return stored


def _parse(school: School, content: bytes) -> CtfFile:
    try:
        return parse(content, laestab=school.laestab)
    except CtfRefused as refused:
        raise CtfInvalid(str(refused)) from None


def upload_ctf(user, school: School, filename: str | None, content: bytes) -> uuid.UUID:
    """Check a CTF and keep it (encrypted) for its preview; returns the upload's id. A refused
    file leaves nothing behind and raises CtfInvalid; the refusal is audited (never the file's
    name or contents)."""
    require("rolls:import", school)
    try:
        ctf = _parse(school, content)
    except CtfInvalid:
        _refused(school, "not_valid")
        raise
    try:
        return _keep(user, school, filename, content, len(ctf.pupils))
    except FileRefused:
        _refused(school, "not_text")
        raise CtfInvalid("The selected file is not a Common Transfer File: a CTF is XML saved as UTF-8") from None


@transactional
def _keep(user, school: School, filename: str | None, content: bytes, pupils: int) -> uuid.UUID:
    stored = store_upload(io.BytesIO(content), filename=filename or "common-transfer-file.xml",
                          uploaded_by=user, limit=MAX_CTF_BYTES)
    db.session.flush()
    upload = CtfUpload(stored_file_id=stored.id, school_id=school.id, uploaded_by_id=user.id,
                       pupil_count=pupils, state=WAITING)
    db.session.add(upload)
    db.session.flush()
    audit.record("rolls.ctf_upload", object_type="school", object_id=school.id, detail=f"pupils_{pupils}")
    return upload.id


@transactional
def _refused(school: School, why: str) -> None:
    audit.record("rolls.ctf_upload", object_type="school", object_id=school.id, outcome="refused", detail=why)


@transactional
def preview(user, school: School, upload_id: uuid.UUID) -> Plan:
    """What the import would do; the existing records shown are audited, one event each."""
    upload = _upload_for(user, school, upload_id, (WAITING,))
    plan = build_plan(school, _parse(school, _read(_stored_of(upload))))
    shown = {c.pupil.id for c in plan.changed} | {p.id for pr in plan.probable for p in pr.candidates}
    shown |= {leaver.pupil.id for leaver in plan.leavers}
    audit.record("rolls.ctf_preview", object_type="school", object_id=school.id,
                 detail=f"new_{len(plan.new)}_changed_{len(plan.changed)}_probable_{len(plan.probable)}"
                        f"_leavers_{len(plan.leavers)}")
    for pupil_id in sorted(shown, key=str):
        audit.record("pupil.ctf_preview_view", object_type="pupil", object_id=pupil_id)
    return plan


def _clean_decisions(decisions: dict[int, str]) -> dict[str, str]:
    kept = {}
    for position, decision in decisions.items():
        if decision in (LEAVE, NEW):
            kept[str(position)] = decision
        else:
            try:
                kept[str(position)] = str(uuid.UUID(decision))
            except (TypeError, ValueError):
                kept[str(position)] = LEAVE  # not a choice the page offered: nothing merged
    return kept


@transactional
def confirm(user, school: School, upload_id: uuid.UUID, decisions: dict[int, str]) -> CtfUpload:
    """The DSL confirms the import as the preview showed it, with their decision on each probable
    match (`decisions`: the pupil's place in the file -> "leave", "new", or the id of the
    existing record that is the same child). The import itself runs next (`run_import`), while
    the DSL sees that it is under way. A second confirmation (a double click) changes nothing."""
    upload = _upload_for(user, school, upload_id, (WAITING, CONFIRMED, IMPORTED), lock=True)
    if upload.state == WAITING:
        upload.decisions = _clean_decisions(decisions)
        upload.state = CONFIRMED
        audit.record("rolls.ctf_confirm", object_type="school", object_id=school.id)
    return upload


@transactional
def importing(user, school: School, upload_id: uuid.UUID) -> CtfUpload:
    """The upload being imported, for the page that says so (how many pupils)."""
    return _upload_for(user, school, upload_id, (CONFIRMED, IMPORTED))


@transactional
def run_import(user, school: School, upload_id: uuid.UUID, today: date | None = None) -> ImportResult:
    """Apply the confirmed import in one transaction: new pupils added, changed details and
    contacts updated, each probable match as the DSL decided, leavers off roll (their files'
    transfers started), the file deleted. Run twice, the second run only reads the result."""
    started = utcnow()
    upload = _upload_for(user, school, upload_id, (CONFIRMED, IMPORTED), lock=True)
    if upload.state == IMPORTED:
        return _result_of(upload)
    stored = _stored_of(upload)
    plan = build_plan(school, _parse(school, _read(stored)), today=today)
    result = _apply(user, school, plan, {int(k): v for k, v in (upload.decisions or {}).items()}, today)
    result.seconds = round((utcnow() - started).total_seconds(), 1)
    upload.stored_file_id = None
    delete_stored(stored)
    upload.state = IMPORTED
    upload.result = result.as_dict()
    upload.finished_at = utcnow()
    audit.record("rolls.ctf_import", object_type="school", object_id=school.id,
                 detail=f"added_{result.added}_updated_{result.updated}_left_{result.left}_leavers_{result.leavers}")
    return result


def _result_of(upload: CtfUpload) -> ImportResult:
    result = ImportResult()
    for name, value in (upload.result or {}).items():
        if hasattr(result, name):
            setattr(result, name, value)
    return result


@transactional
def import_result(user, school: School, upload_id: uuid.UUID) -> ImportResult:
    return _result_of(_upload_for(user, school, upload_id, (IMPORTED,)))


def _apply(user, school: School, plan: Plan, decisions: dict[int, str], today: date | None) -> ImportResult:
    result = ImportResult(unchanged=plan.unchanged, not_imported=len(plan.invalid), handled=len(plan.ctf.pupils))
    for ctf_pupil, details in plan.new:
        pupil = add_pupil(school, details, allow_duplicate=True)
        if ctf_pupil.contacts:
            replace_contacts(pupil, _ctf_contacts(ctf_pupil))
        result.added += 1
    for change in plan.changed:
        if change.details_change:
            edit_pupil(change.pupil, change.details)
        if "contacts" in change.fields:
            replace_contacts(change.pupil, change.contacts_after)
        result.updated += 1
    for probable in plan.probable:
        decision = decisions.get(probable.ctf.position, LEAVE)
        if decision == NEW:
            pupil = add_pupil(school, probable.details, allow_duplicate=True)
            if probable.ctf.contacts:
                replace_contacts(pupil, _ctf_contacts(probable.ctf))
            result.added += 1
            continue
        same = next((c for c in probable.candidates if str(c.id) == decision), None)
        if same is None:
            result.left += 1
            continue
        try:
            details = _clean(probable.ctf, PupilDetails.of(same))
        except PupilInvalid:
            result.not_imported += 1
            continue
        edit_pupil(same, details)
        if probable.ctf.contacts_given:
            replace_contacts(same, _ctf_contacts(probable.ctf))
        result.updated += 1
    for leaver in plan.leavers:
        transfer = transfer_leavers.record_leaver_from_roll(
            leaver.pupil, by=user, leaving_date=leaver.leaving_date, to_school=leaver.to_school,
            has_record=leaver.has_record, today=today)
        _record_next_school(school, leaver)
        result.leavers += 1
        if transfer is not None:
            result.files_to_send += 1
            result.pre_addressed += transfer.to_school_id is not None
    result.joiners = [[str(joiner.transfer.id), joiner.from_school.name if joiner.from_school else ""]
                      for joiner in plan.joiners]
    return result


def _record_next_school(school: School, leaver: Leaver) -> None:
    """The school the file says the leaver went to, in their school history from the day they
    left here (a school in the portal by its id, another by its name and LAESTAB, or only its
    local authority): an off-roll notice about them starts its destination question from it
    (portal.cme.service.suggested_destination)."""
    destination, pupil = leaver.destination, leaver.pupil
    if destination is None or destination.laestab == school.laestab:
        return
    ended = [e.end_date for e in pupil.enrolments if e.school_id == pupil.school_id and e.end_date is not None]
    if not ended:
        return
    left_on = max(ended)
    if leaver.to_school is not None:
        if not any(e.school_id == leaver.to_school.id and e.start_date >= left_on for e in pupil.enrolments):
            pupil.enrolments.append(Enrolment(school_id=leaver.to_school.id, start_date=left_on))
    else:
        name = next_school_name(destination.la_code, destination.estab, destination.name)
        if name is None:
            return
        enrolment = Enrolment(school_id=None, start_date=left_on)
        enrolment.other_school_name = name
        pupil.enrolments.append(enrolment)
    db.session.flush()


@transactional
def cancel(user, school: School, upload_id: uuid.UUID) -> None:
    """The DSL does not import the file: it is deleted."""
    upload = _upload_for(user, school, upload_id, (WAITING,))
    stored = _stored_of(upload)
    db.session.delete(upload)
    db.session.flush()
    delete_stored(stored)
    audit.record("rolls.ctf_cancel", object_type="school", object_id=school.id)


@transactional
def delete_stale_uploads(now=None) -> int:
    """Delete the uploads older than STALE_AFTER that were never imported (their files with
    them), and the rows of finished imports as old: a file waits a day at most. Returns how many
    files were deleted."""
    cutoff = (now or utcnow()) - STALE_AFTER
    deleted = 0
    for upload in db.session.execute(select(CtfUpload).where(CtfUpload.uploaded_at < cutoff)).scalars().all():
        stored = db.session.get(StoredFile, upload.stored_file_id) if upload.stored_file_id else None
        db.session.delete(upload)
        db.session.flush()
        if stored is not None:
            delete_stored(stored)
            deleted += 1
    if deleted:
        audit.record("rolls.ctf_sweep", object_type="ctf_upload", detail=f"deleted_{deleted}")
    return deleted


_SWEEP_EVERY = timedelta(minutes=10)
_last_sweep: list = []


def sweep_now_and_then() -> int:
    """`delete_stale_uploads` at most every ten minutes in this process: registered with the mail
    worker, which runs its registered work before each pass (every few seconds)."""
    now = utcnow()
    if _last_sweep and now - _last_sweep[0] < _SWEEP_EVERY:
        return 0
    _last_sweep[:] = [now]
    return delete_stale_uploads(now)
