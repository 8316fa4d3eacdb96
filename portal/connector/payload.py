"""Contract v1 payloads: the referral the portal sends, the updates it pulls back, and their vocabulary.

docs/connector-contract.md describes every field for the people who write an adapter for their
council's case system; this module is the same description in code, and the simulator answers 422
to a body that fails REFERRAL_SCHEMA. Field names are plain English; where the Standard
Safeguarding Dataset (data-to-insight/ssd-data-model) has the item, the document gives its name so
an adapter can map to Liquidlogic or Mosaic fields.
"""

from __future__ import annotations

import json
import re

from portal.connector.schema import (
    Array,
    Bool,
    Const,
    IsoDate,
    IsoDateTime,
    Int,
    Obj,
    Problem,
    Str,
    UuidStr,
    validate,
)
from portal.orgs.models import AgencyKind, AgencySector
from portal.pupils.identifiers import UPN_ALPHABET, upn_check_letter
from portal.triage.models import SHAREABLE_SUMMARY_FIELDS

SCHEMA_VERSION = 1
CONTRACT_VERSION = "v1"

# CIN census referral source code: 2A is "Schools" (SSD cont_contact_source_code, CONT004A).
REFERRAL_SOURCE_SCHOOL = "2A"
# A partner agency's referral: the CIN census code for its kind (2B education services, 3A-3F
# health services: GP, health visitor, school nurse, other health services; 5B other council
# services; 6 police; 8 other). The agency itself is named in `referrer.organisation`.
AGENCY_SOURCE_CODES = {
    AgencyKind.POLICE_FORCE: "6",
    AgencyKind.POLICE_TEAM: "6",
    AgencyKind.GP_PRACTICE: "3A",
    AgencyKind.HEALTH_VISITING: "3B",
    AgencyKind.SCHOOL_NURSING: "3C",
    AgencyKind.HOSPITAL_SAFEGUARDING: "3F",
    AgencyKind.CAMHS: "3F",
    AgencyKind.EARLY_YEARS: "2B",
    AgencyKind.FURTHER_EDUCATION: "2B",
    AgencyKind.VOLUNTARY: "8",
    AgencyKind.OTHER_LA_SERVICE: "5B",
}
assert set(AGENCY_SOURCE_CODES) == set(AgencyKind)
SOURCE_CODES = (REFERRAL_SOURCE_SCHOOL, *sorted(set(AGENCY_SOURCE_CODES.values())))
AGENCY_KINDS = tuple(kind.value for kind in AgencyKind)
AGENCY_SECTORS = tuple(sector.value for sector in AgencySector if sector is not AgencySector.SCHOOL)

CONCERN_CATEGORIES = (
    "physical_abuse",
    "emotional_abuse",
    "sexual_abuse",
    "neglect",
    "child_on_child_abuse",
    "child_sexual_exploitation",
    "child_criminal_exploitation",
    "domestic_abuse",
    "female_genital_mutilation",
    "forced_marriage",
    "honour_based_abuse",
    "radicalisation",
    "online_safety",
    "mental_health",
    "self_harm",
    "missing_education_or_home",
    "family_member_in_prison",
    "homelessness",
    "modern_slavery",
    "serious_violence",
    "young_carer",
    "other",
)

# The school's view of the child's level of need (the LA's threshold document's four levels).
LEVELS_OF_NEED = ("universal", "early_help", "child_in_need", "child_protection")
SEX_CODES = ("F", "M", "I", "U")  # SSD pers_gender expected data: female, male, indeterminate, unknown
SEN_PROVISION = ("none", "sen_support", "ehcp")

# --- updates -----------------------------------------------------------------------------------

KIND_REFERRAL_STATUS = "referral_status"
KIND_CASE_SUMMARY = "case_summary"
UPDATE_KINDS = (KIND_REFERRAL_STATUS, KIND_CASE_SUMMARY)

REFERRAL_STATUSES = ("acknowledged", "in_triage", "decided", "closed")
DECISION_OUTCOMES = (
    "no_further_action",
    "advice_and_signposting",
    "early_help",
    "child_and_family_assessment",  # section 17
    "section_47_enquiry",  # strategy discussion / section 47 enquiry
    "referred_to_another_la",
)
RAG_RATINGS = ("red", "amber", "green")

CASE_STATUSES = ("open_early_help", "child_in_need", "child_protection_plan", "looked_after", "closed")
CP_CATEGORIES = ("neglect", "physical_abuse", "emotional_abuse", "sexual_abuse", "multiple")

# The fields of a case summary that an LA's sharing policy may let schools see. Anything else a
# case system sends (case notes, risk assessments...) is outside the contract and must be dropped.
# The case-summary fields a council may let schools see (the triage manager's sharing policy
# chooses among them): defined beside that policy, part of this contract.
CASE_SUMMARY_SHAREABLE_FIELDS = SHAREABLE_SUMMARY_FIELDS

_EMAIL = r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+"
_POSTCODE = r"(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2})"
_UPN_SHAPE = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
LONG_TEXT = 20_000


def is_valid_upn(value: str) -> bool:
    """Shape and check letter. Any LA code is accepted: the child may come from anywhere in England."""
    if not _UPN_SHAPE.match(value) or value[0] not in UPN_ALPHABET:
        return False
    if value[12].isalpha() and value[12] not in UPN_ALPHABET:
        return False
    return upn_check_letter(value[1:]) == value[0]


def is_valid_nhs_number(value: str) -> bool:
    if not re.fullmatch(r"\d{10}", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1)))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(value[9])


def _address(**kw) -> Obj:
    return Obj(
        {
            "lines": Array(Str(200), min_items=1, max_items=6),
            # Optional: a child's or a relative's postcode is not always known (homeless, "no fixed abode").
            "postcode": Str(8, pattern=_POSTCODE, required=False, nullable=True),
        },
        **kw,
    )


def _contact_person(**kw) -> Obj:
    return Obj(
        {
            "name": Str(200),
            "email": Str(254, pattern=_EMAIL, required=False, nullable=True),
            "phone": Str(40, pattern=r"[0-9 +()\-]{6,40}", required=False, nullable=True),
        },
        **kw,
    )


def _consent_reason_when_not_given(consent: dict, path: str, problems: list[Problem]) -> None:
    # "Consent given? If not, why": a referral without consent must say why it was not sought.
    if consent.get("consent_given") is not True and not (consent.get("reason_not_sought") or "").strip():
        problems.append(Problem(f"{path}.reason_not_sought", "required"))


def _one_source(referral: dict, path: str, problems: list[Problem]) -> None:
    # A school's referral names its school (and nothing else); a partner agency's names the
    # agency in referrer.organisation, with its own source code, and may have no school.
    from_agency = isinstance(referral.get("referrer"), dict) and "organisation" in referral["referrer"]
    if from_agency:
        if referral.get("source_code") == REFERRAL_SOURCE_SCHOOL:
            problems.append(Problem(_path(path, "source_code"), "not_allowed"))
        if "school" in referral:
            problems.append(Problem(_path(path, "school"), "not_allowed"))
    else:
        if referral.get("source_code") != REFERRAL_SOURCE_SCHOOL:
            problems.append(Problem(_path(path, "source_code"), "not_allowed"))
        if "school" not in referral:
            problems.append(Problem(_path(path, "school"), "required"))


def _other_category_described(reasons: dict, path: str, problems: list[Problem]) -> None:
    if "other" in reasons.get("categories", []) and not (reasons.get("other_category") or "").strip():
        problems.append(Problem(f"{path}.other_category", "required"))


REFERRAL_SCHEMA = Obj(
    {
        "schema_version": Const(SCHEMA_VERSION),
        "referral_id": UuidStr(),
        "la_code": Str(3, pattern=r"\d{3}"),
        "submitted_at": IsoDateTime(),
        # "2A" (schools) for a school's referral; a partner agency's kind's code for theirs.
        "source_code": Str(3, choices=SOURCE_CODES),
        "urgent": Bool(),
        # The referring school: present exactly when a school referred (see _one_source).
        "school": Obj(
            {
                "urn": Str(6, pattern=r"\d{6}"),
                "laestab": Str(7, pattern=r"\d{7}"),
                "name": Str(200),
            },
            required=False,
        ),
        "referrer": Obj(
            {
                "name": Str(200),
                "role": Str(100),
                "email": Str(254, pattern=_EMAIL),
                "phone": Str(40, pattern=r"[0-9 +()\-]{6,40}", required=False, nullable=True),
                # Added within v1 (optional): the partner agency that referred, when it was not a school.
                "organisation": Obj(
                    {
                        "kind": Str(30, choices=AGENCY_KINDS),
                        "sector": Str(20, choices=AGENCY_SECTORS),
                        "name": Str(200),
                        # An NHS organisation's ODS code (a GP practice: a letter and five digits).
                        "ods_code": Str(10, pattern=r"[A-Z0-9]{3,10}", required=False, nullable=True),
                    },
                    required=False,
                ),
            }
        ),
        "child": Obj(
            {
                "legal_forenames": Str(200),
                "legal_surname": Str(200),
                "preferred_name": Str(200, required=False, nullable=True),
                "date_of_birth": IsoDate(),
                "sex": Str(1, choices=SEX_CODES, required=False, nullable=True),
                "gender": Str(100, required=False, nullable=True),
                "upn": Str(13, check=is_valid_upn, required=False, nullable=True),
                "nhs_number": Str(10, check=is_valid_nhs_number, required=False, nullable=True),
                "ethnicity": Str(100, required=False, nullable=True),
                "year_group": Str(20, required=False, nullable=True),
                "sen_provision": Str(20, choices=SEN_PROVISION, required=False, nullable=True),
                "first_language": Str(100, required=False, nullable=True),
                "address": _address(required=False, nullable=True),
                # Added within v1 (optional): the child's school as a partner agency gave it (the
                # URN when they chose one of the council's schools, else its name alone).
                "school": Obj(
                    {
                        "name": Str(200),
                        "urn": Str(6, pattern=r"\d{6}", required=False, nullable=True),
                    },
                    required=False,
                    nullable=True,
                ),
            }
        ),
        "household": Array(
            Obj(
                {
                    "name": Str(200),
                    "relationship": Str(100),
                    "date_of_birth": IsoDate(required=False, nullable=True),
                    # An approximate age in years, when the school does not know the date of birth.
                    "age": Int(minimum=0, maximum=120, required=False, nullable=True),
                    "lives_with_child": Bool(),
                    "parental_responsibility": Bool(required=False, nullable=True),
                    "phone": Str(40, pattern=r"[0-9 +()\-]{6,40}", required=False, nullable=True),
                    "address": _address(required=False, nullable=True),
                }
            ),
            max_items=30,
        ),
        "reasons": Obj(
            {
                "summary": Str(LONG_TEXT),
                "categories": Array(Str(40, choices=CONCERN_CATEGORIES), min_items=1, max_items=len(CONCERN_CATEGORIES)),
                "other_category": Str(200, required=False, nullable=True),
                "actions_taken": Str(LONG_TEXT, required=False, nullable=True),
            },
            rules=[_other_category_described],
        ),
        "level_of_need": Str(20, choices=LEVELS_OF_NEED),
        "level_of_need_reason": Str(LONG_TEXT, required=False, nullable=True),
        "consent": Obj(
            {
                "parents_aware": Bool(),
                "consent_given": Bool(nullable=True),
                "reason_not_sought": Str(LONG_TEXT, required=False, nullable=True),
            },
            rules=[_consent_reason_when_not_given],
        ),
        "child_voice": Str(LONG_TEXT, nullable=True),
        "child_wishes": Str(LONG_TEXT, required=False, nullable=True),
        "other_agencies": Array(
            Obj(
                {
                    "name": Str(200),
                    "role": Str(200, required=False, nullable=True),
                    "contact": Str(300, required=False, nullable=True),
                }
            ),
            max_items=30,
        ),
        "other_agencies_details": Str(LONG_TEXT, required=False, nullable=True),
        "concerns": Array(
            Obj(
                {
                    "concern_id": UuidStr(),
                    "occurred_at": IsoDateTime(),
                    "recorded_at": IsoDateTime(),
                    "categories": Array(Str(40, choices=CONCERN_CATEGORIES), min_items=1, max_items=len(CONCERN_CATEGORIES)),
                    "summary": Str(LONG_TEXT),
                    "action_taken": Str(LONG_TEXT, required=False, nullable=True),
                }
            ),
            max_items=500,
        ),
    },
    rules=[_one_source],
)

# Updates are validated for the fields the portal uses; extra fields are tolerated here (a case
# system may send more) and dropped by the sharing policy filter before anything is stored.
_DECISION = Obj(
    {
        "outcome": Str(40, choices=DECISION_OUTCOMES),
        "rag": Str(5, choices=RAG_RATINGS, required=False, nullable=True),
        "reasons": Str(LONG_TEXT, required=False, nullable=True),
        "feedback_for_school": Str(LONG_TEXT, required=False, nullable=True),
    },
    allow_extra=True,
)


def _decision_when_decided(update: dict, path: str, problems: list[Problem]) -> None:
    if update.get("status") == "decided" and not update.get("decision"):
        problems.append(Problem(_path(path, "decision"), "required"))


def _cp_category_with_plan(update: dict, path: str, problems: list[Problem]) -> None:
    if update.get("status") == "child_protection_plan" and not update.get("cp_category"):
        problems.append(Problem(_path(path, "cp_category"), "required"))


def _path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


REFERRAL_STATUS_UPDATE_SCHEMA = Obj(
    {
        "id": UuidStr(),
        "kind": Const(KIND_REFERRAL_STATUS),
        "created_at": IsoDateTime(),
        "referral_id": UuidStr(),
        "case_reference": Str(40),
        "person_id": Str(40, required=False, nullable=True),
        "status": Str(20, choices=REFERRAL_STATUSES),
        "decision": Obj(_DECISION.fields, allow_extra=True, required=False, nullable=True),
    },
    allow_extra=True,
    rules=[_decision_when_decided],
)

CASE_SUMMARY_UPDATE_SCHEMA = Obj(
    {
        "id": UuidStr(),
        "kind": Const(KIND_CASE_SUMMARY),
        "created_at": IsoDateTime(),
        "person_id": Str(40),
        "case_reference": Str(40, required=False, nullable=True),
        "status": Str(30, choices=CASE_STATUSES),
        "cp_category": Str(20, choices=CP_CATEGORIES, required=False, nullable=True),
        "start_date": IsoDate(),
        "allocated_worker": _contact_person(required=False, nullable=True, allow_extra=True),
        "team": _contact_person(required=False, nullable=True, allow_extra=True),
        "next_review_date": IsoDate(required=False, nullable=True),
        "note_for_school": Str(LONG_TEXT, required=False, nullable=True),
    },
    allow_extra=True,
    rules=[_cp_category_with_plan],
)


def validate_referral_payload(payload) -> list[Problem]:
    """Problems with a referral body (empty when it follows contract v1)."""
    return validate(REFERRAL_SCHEMA, payload)


def validate_update(update) -> list[Problem]:
    """Problems with one pulled update; an unknown kind is a single `kind: not_allowed` problem."""
    if not isinstance(update, dict):
        return [Problem("$", "wrong_type")]
    kind = update.get("kind")
    if kind == KIND_REFERRAL_STATUS:
        return validate(REFERRAL_STATUS_UPDATE_SCHEMA, update)
    if kind == KIND_CASE_SUMMARY:
        return validate(CASE_SUMMARY_UPDATE_SCHEMA, update)
    return [Problem("kind", "not_allowed")]


def canonical_json(payload: dict) -> bytes:
    """The bytes sent for a payload: sorted keys, no spaces, UTF-8.

    One payload always gives the same bytes, so a retry sends an identical body (the contract's
    "same key and same body"), and both sides can hash a body the same way.
    """
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
