"""Contract v1's Operation Encompass notice: the schema of `POST {base}/v1/encompass-notices`.

A message kind of its own, at a path of its own, so a case system (or adapter) that does not take
notices yet never sees one in its referrals (docs/connector-contract.md, "Operation Encompass
notices"). Built from the field kinds of portal.connector.schema, like the referral's schema:
problems name a path and a code, never a value.
"""

from __future__ import annotations

from portal.connector.payload import SCHEMA_VERSION, is_valid_upn
from portal.connector.schema import (
    Array,
    Bool,
    Const,
    Int,
    IsoDate,
    IsoDateTime,
    Obj,
    Problem,
    Str,
    UuidStr,
    validate,
)

NOTICES_PATH = "/v1/encompass-notices"
MESSAGE_KIND = "encompass_notice"
POLICE_KINDS = ("police_force", "police_team")
INJURED = ("yes", "no", "not_known")
# Where the portal sent a child's notice: to the school where the child is on roll ("school"), or
# to the council's Operation Encompass key contact, to route by hand ("held").
ROUTED_TO = ("school", "held")
HELD_REASONS = ("no_match", "several_matches")
CHILDREN_MAX = 12
TEXT_MAX = 5000


def _school_when_routed_to_a_school(child: dict, path: str, problems: list[Problem]) -> None:
    school, held_reason = child.get("school"), child.get("held_reason")
    if child.get("routed_to") == "school":
        if school is None:
            problems.append(Problem(f"{path}.school", "required"))
        if held_reason is not None:
            problems.append(Problem(f"{path}.held_reason", "not_allowed"))
    else:
        if school is not None:
            problems.append(Problem(f"{path}.school", "not_allowed"))
        if held_reason is None:
            problems.append(Problem(f"{path}.held_reason", "required"))


def _some_exposure(affected: dict, path: str, problems: list[Problem]) -> None:
    if not any(affected.get(name) for name in ("present", "saw", "heard")):
        problems.append(Problem(path, "too_few"))


CHILD_SCHEMA = Obj(
    {
        "position": Int(minimum=1, maximum=CHILDREN_MAX),
        "forename": Str(100),
        "surname": Str(100),
        "date_of_birth": IsoDate(),
        "address": Str(500, nullable=True),
        "upn": Str(13, check=is_valid_upn, required=False, nullable=True),
        # The school as the police named it, if they did (free text).
        "school_given": Str(200, nullable=True),
        "affected": Obj({"present": Bool(), "saw": Bool(), "heard": Bool()}, rules=[_some_exposure]),
        "injured": Str(10, choices=INJURED),
        "injuries": Str(TEXT_MAX, nullable=True),
        "child_words": Str(TEXT_MAX, nullable=True),
        "routed_to": Str(6, choices=ROUTED_TO),
        # The school the portal delivered the notice to (present exactly with "school"): the
        # council may know which school; the police never learn it.
        "school": Obj(
            {"urn": Str(6, pattern=r"\d{6}"), "laestab": Str(7, pattern=r"\d{7}"), "name": Str(200)},
            nullable=True,
        ),
        "held_reason": Str(20, choices=HELD_REASONS, nullable=True),
        "routed_at": IsoDateTime(),
    },
    rules=[_school_when_routed_to_a_school],
)

NOTICE_SCHEMA = Obj(
    {
        "schema_version": Const(SCHEMA_VERSION),
        "kind": Const(MESSAGE_KIND),
        "notice_id": UuidStr(),
        "la_code": Str(3, pattern=r"\d{3}"),
        "sent_at": IsoDateTime(),
        "police": Obj({"name": Str(200), "kind": Str(20, choices=POLICE_KINDS)}),
        "police_reference": Str(50),
        "incident_at": IsoDateTime(),
        "other_agencies": Str(TEXT_MAX, nullable=True),
        "children": Array(CHILD_SCHEMA, min_items=1, max_items=CHILDREN_MAX),
    }
)


def validate_notice_payload(payload) -> list[Problem]:
    """Problems with an Encompass notice body (empty when it follows contract v1)."""
    return validate(NOTICE_SCHEMA, payload)
