"""Local authorities and schools: creation, edits, activation and the GIAS CSV import.

The functions that change something are units of work (portal.transaction); rule breaks raise
`OrganisationError` (an `Invalid` naming the form field).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select

from portal import audit
from portal.db import db
from portal.domain_errors import Invalid, NotFound
from portal.orgs.identifiers import (
    is_establishment_number,
    is_la_code,
    is_urn,
    laestab,
    normalise_phase,
)
from portal.orgs.models import LocalAuthority, School
from portal.policy import require
from portal.transaction import transactional


class OrganisationError(Invalid):
    """A rule about organisations was broken. `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field)


# --- local authorities ----------------------------------------------------------------------


def get_local_authority_by_code(code: str) -> LocalAuthority | None:
    return db.session.execute(select(LocalAuthority).where(LocalAuthority.code == code)).scalar_one_or_none()


@transactional
def ensure_local_authority(code: str, name: str) -> LocalAuthority:
    """The LA with this code, created if it does not exist (used by the demo and the CLI)."""
    if not is_la_code(code):
        raise OrganisationError("An LA code is 3 digits, like 938", "code")
    la = get_local_authority_by_code(code)
    if la is None:
        la = LocalAuthority(code=code, name=name.strip())
        db.session.add(la)
        db.session.flush()
    return la


# --- schools --------------------------------------------------------------------------------


@dataclass
class SchoolDetails:
    urn: str
    establishment_number: str
    name: str
    phase: str


def get_school(school_id: uuid.UUID) -> School | None:
    return db.session.get(School, school_id)


def school_to_manage(school_id: uuid.UUID) -> School:
    """A school the signed-in LA admin manages; NotFound for any other."""
    school = get_school(school_id)
    if school is None:
        raise NotFound()
    require("schools:manage", school)
    return school


# Built once: pages ask it on every view (the pupil's previous schools, a chronology's transfers).
_SCHOOL_NAMES = select(School.id, School.name).where(School.id.in_(bindparam("ids", expanding=True)))


def school_names(ids) -> dict[uuid.UUID, str]:
    """The names of these schools (any council's: a pupil's previous school, a transfer's other
    end), by id. Names only: a school's name is not personal data."""
    ids = [school_id for school_id in set(ids) if school_id is not None]
    return dict(db.session.execute(_SCHOOL_NAMES, {"ids": ids}).all()) if ids else {}


def get_school_by_urn(urn: str) -> School | None:
    return db.session.execute(select(School).where(School.urn == urn)).scalar_one_or_none()


def list_schools(la: LocalAuthority, include_inactive: bool = True) -> list[School]:
    query = select(School).where(School.local_authority_id == la.id).order_by(func.lower(School.name))
    if not include_inactive:
        query = query.where(School.active.is_(True))
    return list(db.session.execute(query).scalars())


def _validate(la: LocalAuthority, details: SchoolDetails, existing: School | None = None) -> SchoolDetails:
    urn = (details.urn or "").strip()
    number = (details.establishment_number or "").strip()
    name = " ".join((details.name or "").split())
    phase = normalise_phase(details.phase)
    if not is_urn(urn):
        raise OrganisationError("Enter a URN of 6 digits, like 100000", "urn")
    if not is_establishment_number(number):
        raise OrganisationError("Enter an establishment number of 4 digits, like 2001", "establishment_number")
    if not name:
        raise OrganisationError("Enter the school’s name", "name")
    if len(name) > 200:
        raise OrganisationError("The school’s name must be 200 characters or fewer", "name")
    if phase is None:
        raise OrganisationError("Select the phase of education", "phase")
    other = get_school_by_urn(urn)
    if other is not None and other is not existing:
        raise OrganisationError("A school with this URN is already registered", "urn")
    code = laestab(la.code, number)
    clash = db.session.execute(select(School).where(School.laestab == code)).scalar_one_or_none()
    if clash is not None and clash is not existing:
        raise OrganisationError(
            f"Another school in this LA already has establishment number {number}", "establishment_number"
        )
    return SchoolDetails(urn=urn, establishment_number=number, name=name, phase=phase)


@transactional
def add_school(la: LocalAuthority, details: SchoolDetails, *, audited: bool = True) -> School:
    clean = _validate(la, details)
    school = School(
        urn=clean.urn,
        local_authority_id=la.id,
        establishment_number=clean.establishment_number,
        laestab=laestab(la.code, clean.establishment_number),
        name=clean.name,
        phase=clean.phase,
    )
    db.session.add(school)
    db.session.flush()
    if audited:
        audit.record("school.add", object_type="school", object_id=school.id)
    return school


@transactional
def edit_school(school: School, details: SchoolDetails) -> School:
    la = school.local_authority
    clean = _validate(la, details, existing=school)
    school.urn = clean.urn
    school.establishment_number = clean.establishment_number
    school.laestab = laestab(la.code, clean.establishment_number)
    school.name = clean.name
    school.phase = clean.phase
    db.session.flush()
    audit.record("school.edit", object_type="school", object_id=school.id)
    return school


@transactional
def set_school_active(school: School, active: bool) -> None:
    """Deactivating a school refuses its users at once (see User.is_active); nothing is deleted."""
    school.active = active
    db.session.flush()
    audit.record("school.reactivate" if active else "school.deactivate", object_type="school", object_id=school.id)


# --- GIAS CSV import ------------------------------------------------------------------------

GIAS_COLUMNS = {
    "urn": "URN",
    "la_code": "LA (code)",
    "establishment_number": "EstablishmentNumber",
    "name": "EstablishmentName",
    "phase": "PhaseOfEducation (name)",
}


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{self.added} added, {self.updated} updated, {len(self.errors)} rows with errors"


@transactional
def import_schools_csv(text: str, *, only_la: LocalAuthority | None = None) -> ImportReport:
    """Import schools from a CSV in the DfE Get Information About Schools layout.

    Good rows are imported (a known URN is updated), bad rows are reported with their line
    number in the file and skipped. Each row is validated on its own, so one bad row never stops
    the others. The LA of each row must already exist (LAs are created deliberately, not by an
    import); `only_la` restricts the import to one LA's schools.
    """
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [column for column in GIAS_COLUMNS.values() if column not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, "missing columns: " + ", ".join(missing)))
        return report
    for row in reader:
        line = reader.line_num
        values = {key: (row.get(column) or "").strip() for key, column in GIAS_COLUMNS.items()}
        la = get_local_authority_by_code(values["la_code"]) if is_la_code(values["la_code"]) else None
        if la is None:
            report.errors.append((line, f"unknown LA code '{values['la_code']}'"))
            continue
        if only_la is not None and la.id != only_la.id:
            report.errors.append((line, f"school belongs to LA {la.code}, not {only_la.code}"))
            continue
        details = SchoolDetails(
            urn=values["urn"],
            establishment_number=values["establishment_number"],
            name=values["name"],
            phase=values["phase"],
        )
        existing = get_school_by_urn(values["urn"]) if is_urn(values["urn"]) else None
        try:
            with db.session.begin_nested():
                if existing is None:
                    add_school(la, details, audited=False)
                    report.added += 1
                elif existing.local_authority_id != la.id:
                    raise OrganisationError(f"URN {values['urn']} is registered to another LA")
                else:
                    clean = _validate(la, details, existing=existing)
                    existing.establishment_number = clean.establishment_number
                    existing.laestab = laestab(la.code, clean.establishment_number)
                    existing.name = clean.name
                    existing.phase = clean.phase
                    report.updated += 1
        except OrganisationError as error:
            report.errors.append((line, str(error)))
    audit.record("school.import", detail=f"added_{report.added}_updated_{report.updated}")
    return report
