"""The roles a user can hold. A user has exactly one role in one organisation: a school, a local
authority, or a partner agency (police, health and the others the LA registers)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SCHOOL_STAFF = "school_staff"
    DSL = "dsl"
    DEPUTY_DSL = "deputy_dsl"
    TRIAGE_WORKER = "triage_worker"
    TRIAGE_MANAGER = "triage_manager"
    LA_ADMIN = "la_admin"
    # The LA's children missing education officer: off-roll notices from schools, enquiries.
    CME_OFFICER = "cme_officer"
    # The LA's Operation Encompass key contact: routes by hand the notices the portal could not.
    ENCOMPASS_KEY_CONTACT = "encompass_key_contact"
    # Partner agencies. A professional refers and sees their own organisation's referrals and
    # the feedback on them; the organisation's safeguarding lead sees all of them and its users.
    AGENCY_PROFESSIONAL = "agency_professional"
    AGENCY_LEAD = "agency_lead"
    # A police officer or staff member who records Operation Encompass notices (police only).
    ENCOMPASS_NOTIFIER = "encompass_notifier"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_school_role(self) -> bool:
        return self in SCHOOL_ROLES

    @property
    def is_la_role(self) -> bool:
        return self in LA_ROLES

    @property
    def is_agency_role(self) -> bool:
        return self in AGENCY_ROLES


ROLE_LABELS = {
    Role.SCHOOL_STAFF: "School staff",
    Role.DSL: "Designated safeguarding lead (DSL)",
    Role.DEPUTY_DSL: "Deputy DSL",
    Role.TRIAGE_WORKER: "Triage worker",
    Role.TRIAGE_MANAGER: "Triage manager",
    Role.LA_ADMIN: "Local authority administrator",
    Role.CME_OFFICER: "Children missing education officer",
    Role.ENCOMPASS_KEY_CONTACT: "Operation Encompass key contact",
    Role.AGENCY_PROFESSIONAL: "Professional",
    Role.AGENCY_LEAD: "Safeguarding lead",
    Role.ENCOMPASS_NOTIFIER: "Operation Encompass notifier",
}

SCHOOL_ROLES = frozenset({Role.SCHOOL_STAFF, Role.DSL, Role.DEPUTY_DSL})
LA_ROLES = frozenset(
    {
        Role.TRIAGE_WORKER,
        Role.TRIAGE_MANAGER,
        Role.LA_ADMIN,
        Role.CME_OFFICER,
        Role.ENCOMPASS_KEY_CONTACT,
    }
)
AGENCY_ROLES = frozenset({Role.AGENCY_PROFESSIONAL, Role.AGENCY_LEAD, Role.ENCOMPASS_NOTIFIER})
# DSLs and deputies may do everything about their school's pupils.
SAFEGUARDING_LEADS = frozenset({Role.DSL, Role.DEPUTY_DSL})
TRIAGE_ROLES = frozenset({Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER})
# The agency roles that refer to the front door (the notifier only records Encompass notices).
AGENCY_REFERRERS = frozenset({Role.AGENCY_PROFESSIONAL, Role.AGENCY_LEAD})
