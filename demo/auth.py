"""Demo accounts (development only): known password and TOTP secret, listed in the README."""

from __future__ import annotations

from flask import current_app

from portal.auth import passwords, totp, users
from portal.auth.models import SecondFactorPolicy, SingleSignOnProvider, SingleSignOnSettings, User
from portal.auth.roles import Role
from portal.db import db
from portal.orgs import agencies
from portal.orgs import service as orgs
from portal.orgs.models import Agency, AgencyKind

DEMO_PASSWORD = "demo-Portal-2026"
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"

# Partner agencies of Northshire (938): (LA code, name, kind, ODS code).
DEMO_AGENCIES = [
    ("938", "Northshire Police", AgencyKind.POLICE_FORCE, None),
    ("938", "Elm Street Surgery", AgencyKind.GP_PRACTICE, "A81001"),
]

# (email, display name, role, LA code, school URN, or "agency:" and the agency's name)
DEMO_USERS = [
    ("dsl@oakfield.demo", "Priya Shah", Role.DSL, "938001"),
    ("staff@oakfield.demo", "Tom Baker", Role.SCHOOL_STAFF, "938001"),
    ("dsl@riverside.demo", "Grace Okafor", Role.DSL, "938002"),
    ("dsl@hillcrest.demo", "Daniel Hughes", Role.DSL, "939001"),
    ("triage@northshire.demo", "Amira Khan", Role.TRIAGE_WORKER, "938"),
    ("manager@northshire.demo", "Helen Price", Role.TRIAGE_MANAGER, "938"),
    ("admin@northshire.demo", "Sam Fletcher", Role.LA_ADMIN, "938"),
    ("cme@northshire.demo", "Bethan Morris", Role.CME_OFFICER, "938"),
    ("triage@southmoor.demo", "Owen Davies", Role.TRIAGE_WORKER, "939"),
    ("admin@southmoor.demo", "Ruth Adeyemi", Role.LA_ADMIN, "939"),
    ("encompass@northshire.demo", "Lucy Harper", Role.ENCOMPASS_KEY_CONTACT, "938"),
    ("notifier@northshire-police.demo", "PC Jordan Reeves", Role.ENCOMPASS_NOTIFIER, "agency:Northshire Police"),
    ("lead@northshire-police.demo", "DS Karen Whitlock", Role.AGENCY_LEAD, "agency:Northshire Police"),
    ("gp@elmstreet.demo", "Dr Nadia Osei", Role.AGENCY_PROFESSIONAL, "agency:Elm Street Surgery"),
    ("lead@elmstreet.demo", "Dr Martin Cole", Role.AGENCY_LEAD, "agency:Elm Street Surgery"),
]


def seed_demo_agencies() -> None:
    """Northshire's demo police force and GP practice (in the caller's unit of work). Idempotent."""
    for la_code, name, kind, ods_code in DEMO_AGENCIES:
        la = orgs.get_local_authority_by_code(la_code)
        if la is None or _demo_agency(name) is not None:
            continue
        agencies.add_agency(la, agencies.AgencyDetails(name=name, kind=kind.value, ods_code=ods_code), audited=False)


def _demo_agency(name: str) -> Agency | None:
    return db.session.query(Agency).filter_by(name=name).one_or_none()


def _organisation(code: str):
    if code.startswith("agency:"):
        return _demo_agency(code.removeprefix("agency:"))
    return orgs.get_local_authority_by_code(code) if len(code) == 3 else orgs.get_school_by_urn(code)


def seed_demo_users() -> None:
    """Create the demo accounts that do not exist yet (in the caller's unit of work: the demo
    seed's). Refused in production."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise RuntimeError("demo accounts are refused in production")
    password_hash = None
    for email, name, role, code in DEMO_USERS:
        if users.find_user(email) is not None:
            continue
        org = _organisation(code)
        if org is None:
            continue
        password_hash = password_hash or passwords.hash_password(DEMO_PASSWORD)
        user = User(
            email=email,
            display_name=name,
            role=role.value,
            school_id=org.id if role.is_school_role else None,
            local_authority_id=org.id if role.is_la_role else None,
            agency_id=org.id if role.is_agency_role else None,
            password_hash=password_hash,
        )
        db.session.add(user)
        db.session.flush()
        totp.set_secret(user, DEMO_TOTP_SECRET)
    db.session.flush()


# --- single sign-on --------------------------------------------------------------------------
# `make demo` starts the local OpenID Connect provider (tests/oidc/provider) on this port; its
# demo identities are Oakfield's people (and a Hillcrest DSL, whose school has no single sign-on,
# so they are refused). The client id and secret are the provider's demo registration.
DEMO_OIDC_ISSUER = "http://127.0.0.1:5200"
DEMO_OIDC_CLIENT_ID = "portal"
DEMO_OIDC_CLIENT_SECRET = "demo-client-secret"


def seed_demo_single_sign_on() -> None:
    """Oakfield signs in with its organisation's account (the local provider) as well as a
    password; the portal's own code is still asked afterwards. Idempotent."""
    oakfield = orgs.get_school_by_urn("938001")
    issuer = current_app.config["PORTAL_SETTINGS"].extra.get("PORTAL_DEMO_OIDC_ISSUER", DEMO_OIDC_ISSUER)
    settings = db.session.query(SingleSignOnSettings).filter_by(school_id=oakfield.id).one_or_none()
    if settings is not None:
        return
    settings = SingleSignOnSettings(
        school_id=oakfield.id, enabled=True, provider=SingleSignOnProvider.OIDC, issuer=issuer, tenant=None,
        email_domains="oakfield.demo", client_id=DEMO_OIDC_CLIENT_ID, second_factor=SecondFactorPolicy.PORTAL_CODE,
        password_sign_in=True,
    )
    settings.client_secret = DEMO_OIDC_CLIENT_SECRET
    db.session.add(settings)
