"""Importing a Common Transfer File into a school's roll: upload, preview, confirm.

Nothing new is kept in the schema: the uploaded CTF itself is kept encrypted in the file store
(portal.files) between the upload and the DSL's confirmation, and the preview is recomputed from
it each time (so the confirmation applies exactly what the roll and the file say at that moment).

Matching, in this order: the UPN; then the former UPN (the pupil's UPN changed); then surname and
date of birth through the blind index, which is only ever a *probable* match: the DSL decides, a
probable match is never merged silently. Re-importing the same file changes nothing, and an
import is one transaction: interrupted, it leaves the roll as it was and can be run again.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from portal import audit
from portal.db import db
from portal.domain_errors import Invalid, NotFound
from portal.files.models import StoredFile
from portal.files.service import FileRefused, delete_stored, read_chunks, store_upload
from portal.orgs.models import School
from portal.policy import require
from portal.pupils.models import Pupil
from portal.pupils.service import (
    PupilDetails,
    PupilInvalid,
    add_pupil,
    clean_details,
    edit_pupil,
    find_by_identifiers,
)
from portal.rolls.ctf import MAX_CTF_BYTES, CtfFile, CtfPupil, CtfRefused, parse
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
}
TAKEN_DESCRIPTION = ("UPN, former UPN, legal and preferred names, date of birth, sex, address and postcode, "
                     "NHS number, ethnicity, SEN status, year group and entry date")
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
    fields: list[str]  # names of the fields that change
    by_former_upn: bool = False


@dataclass
class Probable:
    ctf: CtfPupil
    details: PupilDetails
    candidates: list[Pupil]


@dataclass
class Plan:
    ctf: CtfFile
    full_roll: bool
    new: list[tuple[CtfPupil, PupilDetails]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    probable: list[Probable] = field(default_factory=list)
    invalid: list[tuple[CtfPupil, dict[str, str]]] = field(default_factory=list)
    missing: list[Pupil] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.new or self.changed or self.probable)


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    left: int = 0
    unchanged: int = 0
    not_imported: int = 0


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


def build_plan(school: School, ctf: CtfFile) -> Plan:
    """What importing `ctf` would do to the school's records. Reads only; changes nothing."""
    plan = Plan(ctf=ctf, full_roll=ctf.source.laestab == school.laestab, ignored=list(ctf.ignored))
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
                if changes:
                    plan.changed.append(Change(existing, pupil, details, changes, by_former))
                else:
                    plan.unchanged += 1
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
        plan.missing = sorted((p for p in on_roll if p.id not in seen),
                              key=lambda p: (p.legal_surname.casefold(), p.legal_forename.casefold()))
    return plan


def _read(stored: StoredFile) -> bytes:
    return b"".join(read_chunks(stored))


def _stored_for(user, school: School, file_id: uuid.UUID) -> StoredFile:
    """The CTF this user uploaded for this school, still waiting; anything else is NotFound."""
    require("rolls:import", school)
    stored = db.session.get(StoredFile, file_id)
    if stored is None or stored.uploaded_by_id != user.id:
        raise NotFound()
    return stored


def _parse(school: School, content: bytes) -> CtfFile:
    try:
        return parse(content, laestab=school.laestab)
    except CtfRefused as refused:
        raise CtfInvalid(str(refused)) from None


def upload_ctf(user, school: School, filename: str | None, content: bytes) -> uuid.UUID:
    """Check a CTF and keep it (encrypted) for its preview. A refused file leaves nothing behind
    and raises CtfInvalid; the refusal is audited (never the file's name or contents)."""
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
    audit.record("rolls.ctf_upload", object_type="school", object_id=school.id, detail=f"pupils_{pupils}")
    return stored.id


@transactional
def _refused(school: School, why: str) -> None:
    audit.record("rolls.ctf_upload", object_type="school", object_id=school.id, outcome="refused", detail=why)


@transactional
def preview(user, school: School, file_id: uuid.UUID) -> Plan:
    """What the import would do; the existing records shown are audited, one event each."""
    stored = _stored_for(user, school, file_id)
    plan = build_plan(school, _parse(school, _read(stored)))
    shown = {c.pupil.id for c in plan.changed} | {p.id for pr in plan.probable for p in pr.candidates}
    shown |= {p.id for p in plan.missing}
    audit.record("rolls.ctf_preview", object_type="school", object_id=school.id,
                 detail=f"new_{len(plan.new)}_changed_{len(plan.changed)}_probable_{len(plan.probable)}")
    for pupil_id in sorted(shown, key=str):
        audit.record("pupil.ctf_preview_view", object_type="pupil", object_id=pupil_id)
    return plan


@transactional
def confirm(user, school: School, file_id: uuid.UUID, decisions: dict[int, str]) -> ImportResult:
    """Apply the import as the preview showed it: new pupils added, changed details updated, each
    probable match as the DSL decided (`decisions`: the pupil's place in the file -> "leave",
    "new", or the id of the existing record that is the same child). One transaction."""
    stored = _stored_for(user, school, file_id)
    plan = build_plan(school, _parse(school, _read(stored)))
    result = ImportResult(unchanged=plan.unchanged, not_imported=len(plan.invalid))
    for _pupil, details in plan.new:
        add_pupil(school, details, allow_duplicate=True)
        result.added += 1
    for change in plan.changed:
        edit_pupil(change.pupil, change.details)
        result.updated += 1
    for probable in plan.probable:
        decision = decisions.get(probable.ctf.position, LEAVE)
        if decision == NEW:
            add_pupil(school, probable.details, allow_duplicate=True)
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
        result.updated += 1
    delete_stored(stored)
    audit.record("rolls.ctf_import", object_type="school", object_id=school.id,
                 detail=f"added_{result.added}_updated_{result.updated}_left_{result.left}")
    return result


@transactional
def cancel(user, school: School, file_id: uuid.UUID) -> None:
    """The DSL does not import the file: it is deleted."""
    stored = _stored_for(user, school, file_id)
    delete_stored(stored)
    audit.record("rolls.ctf_cancel", object_type="school", object_id=school.id)
