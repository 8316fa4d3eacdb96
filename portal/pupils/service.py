"""Pupils: adding, editing, finding, importing a roll, and enrolment history.

Every personal field is encrypted, so finding a pupil works in two ways only:
- exact identifiers (UPN, NHS number, surname + date of birth) through the blind indexes, and
- a name fragment, by decrypting one school's current roll (never the whole table).

The functions that change anything (`add_pupil`, `edit_pupil`, `add_previous_enrolment`,
`import_roll_csv`, and `view_pupil`, which audits the view) are units of work: each commits its
own transaction, or joins the caller's when called from another service's unit of work.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import date

from sqlalchemy import select

from portal import audit
from portal.crypto import lookup
from portal.crypto.normalise import normalise_text
from portal.db import db
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.orgs.models import LocalAuthority, School
from portal.policy import can, require
from portal.transaction import transactional
from portal.pupils.identifiers import (
    InvalidIdentifier,
    validate_date_of_birth,
    validate_nhs_number,
    validate_postcode,
    validate_upn,
)
from portal.pupils.models import Enrolment, Pupil

SEXES = ("Female", "Male", "Not known")
SEN_STATUSES = ("No special educational needs", "SEN support", "Education, health and care plan")
YEAR_GROUPS = ("Nursery", "Reception") + tuple(f"Year {n}" for n in range(1, 14))
NAME_MAX = 100


class PupilInvalid(Invalid):
    """One or more fields are wrong. `errors` maps field name to a GOV.UK error message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("pupil details are not valid")  # no values: messages go to the form only
        self.errors = errors


class PossibleDuplicate(Conflict):
    """The school already has a pupil with this UPN, or this surname and date of birth."""

    def __init__(self, existing: list[Pupil]):
        super().__init__("a pupil with these identifiers already exists at this school")
        self.existing = existing


@dataclass
class PupilDetails:
    legal_forename: str
    legal_surname: str
    date_of_birth: date | None
    preferred_name: str | None = None
    sex: str | None = None
    gender: str | None = None
    upn: str | None = None
    nhs_number: str | None = None
    address: str | None = None
    postcode: str | None = None
    ethnicity: str | None = None
    sen_status: str | None = None
    year_group: str | None = None
    start_date: date | None = None  # first day on this school's roll

    PERSONAL = (
        "legal_forename", "legal_surname", "preferred_name", "date_of_birth", "sex", "gender", "upn",
        "nhs_number", "address", "postcode", "ethnicity", "sen_status", "year_group",
    )

    @classmethod
    def of(cls, pupil: Pupil) -> PupilDetails:
        return cls(**{name: getattr(pupil, name) for name in cls.PERSONAL})


def _text(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def _registered_la_codes() -> frozenset[str]:
    return frozenset(db.session.execute(select(LocalAuthority.code)).scalars())


def clean_details(details: PupilDetails, today: date | None = None) -> PupilDetails:
    """Validated, normalised details, or PupilInvalid listing every problem at once."""
    errors: dict[str, str] = {}
    clean = replace(details)
    for name in ("legal_forename", "legal_surname", "preferred_name", "gender", "ethnicity", "address"):
        setattr(clean, name, _text(getattr(details, name)))
    if not clean.legal_forename:
        errors["legal_forename"] = "Enter the pupil’s legal first name"
    if not clean.legal_surname:
        errors["legal_surname"] = "Enter the pupil’s legal last name"
    for name in ("legal_forename", "legal_surname", "preferred_name"):
        if getattr(clean, name) and len(getattr(clean, name)) > NAME_MAX:
            errors[name] = f"Name must be {NAME_MAX} characters or fewer"
    if clean.date_of_birth is None:
        errors["date_of_birth"] = "Enter the pupil’s date of birth"
    else:
        try:
            validate_date_of_birth(clean.date_of_birth, today)
        except InvalidIdentifier as error:
            errors["date_of_birth"] = str(error)
    checks = {
        "upn": lambda v: validate_upn(v, _registered_la_codes()),
        "nhs_number": validate_nhs_number,
        "postcode": validate_postcode,
    }
    for name, check in checks.items():
        value = _text(getattr(details, name))
        setattr(clean, name, None)
        if value:
            try:
                setattr(clean, name, check(value))
            except InvalidIdentifier as error:
                errors[name] = str(error)
    for name, allowed in (("sex", SEXES), ("sen_status", SEN_STATUSES), ("year_group", YEAR_GROUPS)):
        value = _text(getattr(details, name))
        setattr(clean, name, value)
        if value and value not in allowed:
            errors[name] = f"Select one of the options for {name.replace('_', ' ')}"
    if clean.start_date and clean.date_of_birth and clean.start_date < clean.date_of_birth:
        errors["start_date"] = "Start date must be after the date of birth"
    if errors:
        raise PupilInvalid(errors)
    return clean


def find_by_identifiers(
    school: School,
    *,
    upn: str | None = None,
    nhs_number: str | None = None,
    surname: str | None = None,
    date_of_birth: date | None = None,
) -> list[Pupil]:
    """Exact matches at this school through the blind indexes (on or off roll), newest first."""
    where = [Pupil.school_id == school.id]
    found: dict[uuid.UUID, Pupil] = {}
    if upn:
        for pupil in lookup(Pupil.upn_index, upn=upn, where=where):
            found[pupil.id] = pupil
    if nhs_number:
        for pupil in lookup(Pupil.nhs_number_index, nhs_number=nhs_number, where=where):
            found[pupil.id] = pupil
    if surname and date_of_birth:
        for pupil in lookup(Pupil.surname_dob_index, surname, date_of_birth, where=where):
            found[pupil.id] = pupil
    return sorted(found.values(), key=lambda p: p.created_at, reverse=True)


def possible_duplicates(school: School, details: PupilDetails, *, ignore: Pupil | None = None) -> list[Pupil]:
    matches = find_by_identifiers(
        school, upn=details.upn, surname=details.legal_surname, date_of_birth=details.date_of_birth
    )
    return [p for p in matches if ignore is None or p.id != ignore.id]


@transactional
def add_pupil(school: School, details: PupilDetails, *, allow_duplicate: bool = False, audited: bool = True) -> Pupil:
    """Validate and add a pupil to the school's roll, with a first enrolment.

    Raises PupilInvalid, or PossibleDuplicate (unless `allow_duplicate`) so the DSL is offered the
    existing record instead of making a second one.
    """
    clean = clean_details(details)
    if not allow_duplicate:
        existing = possible_duplicates(school, clean)
        if existing:
            raise PossibleDuplicate(existing)
    pupil = Pupil(school_id=school.id, on_roll=True)
    for name in PupilDetails.PERSONAL:
        setattr(pupil, name, getattr(clean, name))
    pupil.enrolments.append(Enrolment(school_id=school.id, start_date=clean.start_date or date.today()))
    db.session.add(pupil)
    db.session.flush()
    if audited:
        audit.record("pupil.add", object_type="pupil", object_id=pupil.id)
    return pupil


@transactional
def edit_pupil(pupil: Pupil, details: PupilDetails) -> Pupil:
    clean = clean_details(details)
    for name in PupilDetails.PERSONAL:
        if getattr(pupil, name) != getattr(clean, name):
            setattr(pupil, name, getattr(clean, name))
    db.session.flush()
    audit.record("pupil.edit", object_type="pupil", object_id=pupil.id)
    return pupil


def get_pupil_for(user, pupil_id: uuid.UUID, *, action: str = "pupil:view") -> Pupil:
    """The pupil, if `user` may do `action` to them (else NotFound). Not audited: for pages
    that go on to change the record (whose change is audited) or show nothing of it yet."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None:
        raise NotFound()
    require(action, pupil)
    return pupil


@transactional
def view_pupil(user, pupil_id: uuid.UUID, *, action: str = "pupil:view") -> Pupil:
    """The pupil, if `user` may do `action` to them (else NotFound); the view is audited."""
    pupil = get_pupil_for(user, pupil_id, action=action)
    audit.record("pupil.view", object_type="pupil", object_id=pupil.id)
    return pupil


def school_roll(school: School, *, text: str | None = None, on_roll_only: bool = True) -> list[Pupil]:
    """This school's pupils sorted by surname; `text` keeps those whose names contain it.

    Decrypts one school's roll only (a few hundred to two thousand names), never the table.
    """
    query = select(Pupil).where(Pupil.school_id == school.id)
    if on_roll_only:
        query = query.where(Pupil.on_roll.is_(True))
    pupils = list(db.session.execute(query).scalars())
    if text:
        wanted = normalise_text(text)
        pupils = [
            p for p in pupils
            if wanted in normalise_text(" ".join(filter(None, (p.legal_forename, p.preferred_name, p.legal_surname))))
        ]
    return sorted(pupils, key=lambda p: (p.legal_surname.casefold(), p.legal_forename.casefold()))


@transactional
def add_previous_enrolment(pupil: Pupil, *, school_name: str, start_date: date, end_date: date | None) -> Enrolment:
    """History typed in by the DSL: a school before this one (in or outside the portal)."""
    name = _text(school_name)
    errors = {}
    if not name:
        errors["school_name"] = "Enter the name of the school"
    if end_date and end_date < start_date:
        errors["end_date"] = "End date must be after the start date"
    if errors:
        raise PupilInvalid(errors)
    enrolment = Enrolment(pupil_id=pupil.id, school_id=None, start_date=start_date, end_date=end_date)
    enrolment.other_school_name = name
    db.session.add(enrolment)
    db.session.flush()
    audit.record("pupil.enrolment_add", object_type="pupil", object_id=pupil.id)
    return enrolment


def enrolment_school_names(pupil: Pupil) -> dict[uuid.UUID, str]:
    ids = {e.school_id for e in pupil.enrolments if e.school_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(School.id, School.name).where(School.id.in_(ids))).all())


# --- roll import -------------------------------------------------------------------------------

ROLL_COLUMNS = {
    "legal_forename": "Legal forename",
    "legal_surname": "Legal surname",
    "preferred_name": "Preferred name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "upn": "UPN",
    "nhs_number": "NHS number",
    "address": "Address",
    "postcode": "Postcode",
    "ethnicity": "Ethnicity",
    "sen_status": "SEN status",
    "year_group": "Year group",
    "start_date": "Start date",
}
REQUIRED_ROLL_COLUMNS = ("Legal forename", "Legal surname", "Date of birth")


@dataclass
class RollImportReport:
    added: int = 0
    already_there: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _parse_date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    for parse in (date.fromisoformat, lambda v: date(int(v[6:10]), int(v[3:5]), int(v[0:2]))):
        try:
            return parse(value)
        except (ValueError, IndexError):
            continue
    raise ValueError


@transactional
def import_roll_csv(school: School, text: str) -> RollImportReport:
    """Import a school's roll. Good rows are added, rows matching an existing pupil (UPN, or
    surname + date of birth) are left alone, bad rows are reported with their line number and a
    message that names the column but never repeats the value."""
    report = RollImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_ROLL_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, "missing columns: " + ", ".join(missing)))
        return report
    for row in reader:
        line = reader.line_num
        values = {name: (row.get(column) or "").strip() for name, column in ROLL_COLUMNS.items()}
        try:
            born = _parse_date(values.pop("date_of_birth"))
            start = _parse_date(values.pop("start_date"))
        except ValueError:
            report.errors.append((line, "dates must be written as YYYY-MM-DD or DD/MM/YYYY"))
            continue
        details = PupilDetails(date_of_birth=born, start_date=start, **{k: v or None for k, v in values.items()})
        try:
            with db.session.begin_nested():
                add_pupil(school, details, audited=False)
            report.added += 1
        except PupilInvalid as error:
            columns = ", ".join(f"{ROLL_COLUMNS.get(k, k)}: {m}" for k, m in error.errors.items())
            report.errors.append((line, columns))
        except PossibleDuplicate:
            report.already_there += 1
    audit.record("pupil.import", object_type="school", object_id=school.id, detail=f"added_{report.added}")
    return report


