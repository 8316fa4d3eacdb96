"""Partner agencies: an LA admin registers the police, health and other organisations of their
area, edits them, and deactivates one (its people are refused at once: see User.is_active;
nothing is deleted).

The functions that change something are units of work (portal.transaction); rule breaks raise
`OrganisationError` naming the form field.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal import audit
from portal.db import db
from portal.domain_errors import NotFound
from portal.orgs.models import Agency, AgencyKind, AgencyReferralArea, LocalAuthority
from portal.orgs.service import OrganisationError
from portal.policy import require
from portal.transaction import transactional

# A GP practice's ODS code: a letter and five digits (A81001). Other NHS organisations' codes are
# three to six letters and digits (a trust: RXX; a site: RXX01).
GP_ODS_CODE = re.compile(r"[A-Z]\d{5}")
NHS_ODS_CODE = re.compile(r"[A-Z0-9]{3,6}")


@dataclass
class AgencyDetails:
    name: str
    kind: str
    ods_code: str | None = None
    # Neighbouring councils (ids) the agency may also refer to.
    referral_la_ids: list[uuid.UUID] = field(default_factory=list)


def agency_to_manage(agency_id: uuid.UUID) -> Agency:
    """An agency the signed-in LA admin looks after; NotFound for any other."""
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound()
    require("agencies:manage", agency)
    return agency


def list_agencies(la: LocalAuthority) -> list[Agency]:
    query = select(Agency).where(Agency.local_authority_id == la.id).order_by(func.lower(Agency.name))
    return list(db.session.execute(query).scalars())


def neighbouring_authorities(la: LocalAuthority) -> list[LocalAuthority]:
    """The other active councils an agency of this LA could be allowed to refer to."""
    query = (
        select(LocalAuthority)
        .where(LocalAuthority.id != la.id, LocalAuthority.active.is_(True))
        .order_by(LocalAuthority.name)
    )
    return list(db.session.execute(query).scalars())


def _validate(la: LocalAuthority, details: AgencyDetails, existing: Agency | None = None) -> AgencyDetails:
    name = " ".join((details.name or "").split())
    if not name:
        raise OrganisationError("Enter the organisation’s name", "name")
    if len(name) > 200:
        raise OrganisationError("The organisation’s name must be 200 characters or fewer", "name")
    try:
        kind = AgencyKind(details.kind)
    except ValueError:
        raise OrganisationError("Select what kind of organisation it is", "kind") from None
    ods = (details.ods_code or "").strip().upper().replace(" ", "") or None
    if kind is AgencyKind.GP_PRACTICE and (ods is None or not GP_ODS_CODE.fullmatch(ods)):
        raise OrganisationError("Enter the practice’s ODS code: a letter and 5 digits, like A81001", "ods_code")
    if ods is not None and not kind.is_health:
        raise OrganisationError("Only NHS organisations have an ODS code: leave it blank", "ods_code")
    if ods is not None and not NHS_ODS_CODE.fullmatch(ods):
        raise OrganisationError("Enter an ODS code of 3 to 6 letters and numbers, like RXX or A81001", "ods_code")
    same_name = db.session.execute(
        select(Agency).where(Agency.local_authority_id == la.id, func.lower(Agency.name) == name.lower())
    ).scalars().first()
    if same_name is not None and same_name is not existing:
        raise OrganisationError("An organisation with this name is already registered", "name")
    allowed = {area.id for area in neighbouring_authorities(la)}
    chosen = []
    for la_id in details.referral_la_ids or []:
        if la_id not in allowed:
            raise OrganisationError("Select councils from the list", "referral_la_ids")
        if la_id not in chosen:
            chosen.append(la_id)
    return AgencyDetails(name=name, kind=kind.value, ods_code=ods, referral_la_ids=chosen)


def _set_areas(agency: Agency, la_ids: list[uuid.UUID]) -> None:
    keep = set(la_ids)
    agency.referral_areas = [area for area in agency.referral_areas if area.local_authority_id in keep]
    have = {area.local_authority_id for area in agency.referral_areas}
    agency.referral_areas += [AgencyReferralArea(local_authority_id=la_id) for la_id in la_ids if la_id not in have]


@transactional
def add_agency(la: LocalAuthority, details: AgencyDetails, *, audited: bool = True) -> Agency:
    clean = _validate(la, details)
    agency = Agency(kind=clean.kind, name=clean.name, ods_code=clean.ods_code, local_authority_id=la.id)
    db.session.add(agency)
    _set_areas(agency, clean.referral_la_ids)
    db.session.flush()
    if audited:
        audit.record("agency.add", object_type="agency", object_id=agency.id, detail=clean.kind)
    return agency


@transactional
def edit_agency(agency: Agency, details: AgencyDetails) -> Agency:
    require("agencies:manage", agency)
    clean = _validate(agency.local_authority, details, existing=agency)
    if agency.kind_enum.is_police and not AgencyKind(clean.kind).is_police:
        # Its people may hold the police-only Encompass notifier role, and its notices stay
        # police notices: a police organisation stays one (register the other kind separately).
        raise OrganisationError("A police organisation cannot become another kind: register a new organisation", "kind")
    agency.name = clean.name
    agency.kind = clean.kind
    agency.ods_code = clean.ods_code
    _set_areas(agency, clean.referral_la_ids)
    db.session.flush()
    audit.record("agency.edit", object_type="agency", object_id=agency.id, detail=clean.kind)
    return agency


@transactional
def set_agency_active(agency: Agency, active: bool) -> None:
    """Deactivating an agency refuses its people at once (User.is_active); nothing is deleted."""
    require("agencies:manage", agency)
    agency.active = active
    db.session.flush()
    audit.record("agency.reactivate" if active else "agency.deactivate", object_type="agency", object_id=agency.id)
