"""The roles a user can hold. A user has exactly one role in one organisation."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SCHOOL_STAFF = "school_staff"
    DSL = "dsl"
    DEPUTY_DSL = "deputy_dsl"
    TRIAGE_WORKER = "triage_worker"
    TRIAGE_MANAGER = "triage_manager"
    LA_ADMIN = "la_admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_school_role(self) -> bool:
        return self in SCHOOL_ROLES

    @property
    def is_la_role(self) -> bool:
        return self in LA_ROLES


ROLE_LABELS = {
    Role.SCHOOL_STAFF: "School staff",
    Role.DSL: "Designated safeguarding lead (DSL)",
    Role.DEPUTY_DSL: "Deputy DSL",
    Role.TRIAGE_WORKER: "Triage worker",
    Role.TRIAGE_MANAGER: "Triage manager",
    Role.LA_ADMIN: "Local authority administrator",
}

SCHOOL_ROLES = frozenset({Role.SCHOOL_STAFF, Role.DSL, Role.DEPUTY_DSL})
LA_ROLES = frozenset({Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER, Role.LA_ADMIN})
# DSLs and deputies may do everything about their school's pupils.
SAFEGUARDING_LEADS = frozenset({Role.DSL, Role.DEPUTY_DSL})
TRIAGE_ROLES = frozenset({Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER})
