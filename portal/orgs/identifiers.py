"""Validation of organisation identifiers as the DfE issues them."""

from __future__ import annotations

import re

LA_CODE = re.compile(r"^\d{3}$")
URN = re.compile(r"^\d{6}$")
ESTABLISHMENT_NUMBER = re.compile(r"^\d{4}$")

# "PhaseOfEducation (name)" values used by Get Information About Schools.
PHASES = (
    "Nursery",
    "Primary",
    "Middle deemed primary",
    "Secondary",
    "Middle deemed secondary",
    "16 plus",
    "All-through",
    "Not applicable",
)


def is_la_code(value: str) -> bool:
    return bool(LA_CODE.match(value or ""))


def is_urn(value: str) -> bool:
    return bool(URN.match(value or ""))


def is_establishment_number(value: str) -> bool:
    return bool(ESTABLISHMENT_NUMBER.match(value or ""))


def laestab(la_code: str, establishment_number: str) -> str:
    """LAESTAB is the LA code followed by the 4-digit establishment number."""
    return f"{la_code}{establishment_number}"


def normalise_phase(value: str) -> str | None:
    """The GIAS phase name, matched without regard to case; None if it is not one."""
    wanted = (value or "").strip().lower()
    for phase in PHASES:
        if phase.lower() == wanted:
            return phase
    return None
