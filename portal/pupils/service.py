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
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import select

from portal import audit
from portal.auth import identity_kept
from portal.crypto import lookup
from portal.crypto.fields import open_fields
from portal.paging import PageNumbers, clamp_page, page_count
from portal.db import db
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.orgs.models import LocalAuthority, School
from portal.orgs.service import school_names
from portal.policy import require
from portal.transaction import transactional, unit_of_work
from portal.pupils.identifiers import (
    InvalidIdentifier,
    validate_date_of_birth,
    validate_nhs_number,
    validate_postcode,
    validate_upn,
)
from portal.pupils.models import Enrolment, Pupil, PupilContact
from portal.pupils.roll_names import roll_names

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


# --- contacts (from the school's MIS, through the Common Transfer File) ------------------------


@dataclass(frozen=True)
class ContactDetails:
    """A parent, carer or other contact as the MIS gives them."""

    name: str
    relationship: str | None = None
    parental_responsibility: bool | None = None
    phones: tuple[str, ...] = ()

    @classmethod
    def of(cls, contact: PupilContact) -> ContactDetails:
        return cls(contact.name, contact.relationship_to_pupil, contact.parental_responsibility,
                   tuple(contact.phones or ()))

    def summary(self) -> str:
        """One line for a preview: name (relationship, parental responsibility)."""
        facts = [self.relationship] if self.relationship else []
        if self.parental_responsibility:
            facts.append("parental responsibility")
        return f"{self.name} ({', '.join(facts)})" if facts else self.name


def contacts_of(pupil: Pupil) -> list[ContactDetails]:
    """The pupil's contacts in the MIS's order (not audited: for a service that audits its page)."""
    return [ContactDetails.of(c) for c in pupil.contacts]


@transactional
def replace_contacts(pupil: Pupil, contacts: list[ContactDetails] | tuple[ContactDetails, ...]) -> bool:
    """The pupil's contacts become exactly `contacts` (an import from the MIS). Nothing is
    written, and False returned, when they are already the same: importing twice changes nothing."""
    require("pupils:manage", pupil)
    wanted = list(contacts)
    if contacts_of(pupil) == wanted:
        return False
    pupil.contacts.clear()
    db.session.flush()
    for position, contact in enumerate(wanted, start=1):
        pupil.contacts.append(PupilContact(
            position=position, name=contact.name, relationship_to_pupil=contact.relationship,
            parental_responsibility=contact.parental_responsibility, phones=list(contact.phones) or None,
        ))
    db.session.flush()
    audit.record("pupil.contacts_replace", object_type="pupil", object_id=pupil.id)
    return True


def get_pupil_for(user, pupil_id: uuid.UUID, *, action: str = "pupil:view") -> Pupil:
    """The pupil, if `user` may do `action` to them (else NotFound). Not audited: for pages
    that go on to change the record (whose change is audited) or show nothing of it yet."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None:
        raise NotFound()
    require(action, pupil)
    return pupil


@transactional
def view_pupil(user, pupil_id: uuid.UUID, *, action: str = "pupil:view", with_contacts: bool = False) -> Pupil:
    """The pupil, if `user` may do `action` to them (else NotFound); the view is audited, and with
    `with_contacts` the view of their contacts too (the pupil's page shows both), in one commit:
    `pupil.contacts` is then read after it, once."""
    pupil = get_pupil_for(user, pupil_id, action=action)
    identity_kept.keep_also(pupil)  # the page shows it after the audit commit: not read twice
    audit.record("pupil.view", object_type="pupil", object_id=pupil.id)
    if with_contacts:
        audit.record("pupil.contacts_view", object_type="pupil", object_id=pupil.id)
    return pupil


ROLL_PAGE_SIZE = 50


# The fields the roll's and the search's rows show (templates/pupils/roll.html).
ROLL_SHOWN_FIELDS = ("legal_surname", "legal_forename", "preferred_name", "date_of_birth", "year_group")


def _load_in_order(ids: list[uuid.UUID]) -> list[Pupil]:
    if not ids:
        return []
    found = {p.id: p for p in db.session.execute(select(Pupil).where(Pupil.id.in_(ids))).scalars()}
    return [found[i] for i in ids if i in found]


def _rows_shown(ids: list[uuid.UUID]) -> list[Pupil]:
    """The roll's or the search's rows: their shown fields opened column by column, not value by
    value as the page reads them (issue 22)."""
    pupils = _load_in_order(ids)
    open_fields(pupils, ROLL_SHOWN_FIELDS)
    return pupils


def sorted_roll_ids(school: School, *, text: str | None = None, on_roll_only: bool = True) -> list[uuid.UUID]:
    """This school's pupil ids sorted by surname then forename; with `text`, only those whose
    names (legal forename, preferred name, legal surname) contain it. Reads the name columns of
    one school's pupils only, never the table and never their other fields (portal/pupils/roll_names.py)."""
    names = roll_names(school)
    if text:
        return names.matching(text, on_roll_only=on_roll_only)
    return names.roll_ids() if on_roll_only else list(names.ids)


def school_roll(school: School, *, text: str | None = None, on_roll_only: bool = True) -> list[Pupil]:
    """This school's pupils sorted by surname; `text` keeps those whose names contain it. Not
    audited and not paged: for code that needs the whole list (a page uses `roll_page`)."""
    return _load_in_order(sorted_roll_ids(school, text=text, on_roll_only=on_roll_only))


@dataclass
class RollPage(PageNumbers):
    pupils: list[Pupil]
    total: int
    page: int = 1
    pages: int = 1
    page_size: int = ROLL_PAGE_SIZE


@transactional
def _record_shown(action: str, *, object_type: str, object_id, detail: str | None = None) -> None:
    audit.record(action, object_type=object_type, object_id=object_id, detail=detail)


def roll_page(school: School, *, page: int = 1, page_size: int = ROLL_PAGE_SIZE) -> RollPage:
    """One page of the school's current roll, sorted by surname; the view is audited (the
    school, the page and how many pupils it showed). Only this page's pupils are loaded."""
    ids = sorted_roll_ids(school)
    pages = page_count(len(ids), page_size)
    page = clamp_page(page, pages)
    shown = ids[(page - 1) * page_size: page * page_size]
    # Audited (and committed) before the page's rows are loaded, so that the commit does not
    # expire the objects the page is about to render.
    _record_shown("pupil.roll_view", object_type="school", object_id=school.id,
                  detail=f"page_{page}_shown_{len(shown)}")
    return RollPage(_rows_shown(shown), len(ids), page, pages, page_size)


def search_by_name(school: School, text: str, *, page_size: int = ROLL_PAGE_SIZE) -> RollPage:
    """Pupils of the school (on roll or not) whose names contain `text`, the first `page_size` of
    them; audited (the school and how many matched, never what was typed)."""
    ids = sorted_roll_ids(school, text=text, on_roll_only=False)
    shown = ids[:page_size]
    _record_shown("pupil.name_search", object_type="school", object_id=school.id,
                  detail=f"matched_{len(ids)}_shown_{len(shown)}")
    return RollPage(_rows_shown(shown), len(ids), 1, 1, page_size)


def search_by_identifiers(school: School, *, upn=None, nhs_number=None, surname=None,
                          date_of_birth=None) -> list[Pupil]:
    """Exact matches through the blind indexes; audited: one event per pupil shown (an exact
    search finds one or two), or one on the school when nothing matched."""
    found = find_by_identifiers(school, upn=upn, nhs_number=nhs_number, surname=surname,
                                date_of_birth=date_of_birth)
    ids = [p.id for p in found]
    with unit_of_work():
        if not ids:
            audit.record("pupil.identifier_search", object_type="school", object_id=school.id, detail="matched_0")
        for pupil_id in ids:
            audit.record("pupil.identifier_search", object_type="pupil", object_id=pupil_id)
    return _load_in_order(ids)


@transactional
def record_form_view(pupils: Pupil | list[Pupil], form: str) -> None:
    """A form showing these pupils' details (edit, previous school, the possible duplicates
    offered) is shown: one view event per pupil."""
    for pupil in pupils if isinstance(pupils, list) else [pupils]:
        audit.record(f"pupil.{form}_view", object_type="pupil", object_id=pupil.id)


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
    return school_names(e.school_id for e in pupil.enrolments)


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


