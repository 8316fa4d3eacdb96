"""The multi-agency referral form: its sections, answer lists and task statuses.

The whole form is one JSON document (Referral.form, encrypted):

    {
      "status": {"<section>": "in_progress" | "completed"},     # absent: not yet started
      "risk":      {"immediate_risk": "yes" | "no"},
      "child":     {"legal_forename", "legal_surname", "preferred_name", "date_of_birth" (ISO),
                    "sex", "gender", "upn", "nhs_number", "address", "postcode", "ethnicity",
                    "first_language", "sen_status", "year_group"},   # as on the pupil record
      "household": {"members": [{"id", "name", "relationship", "date_of_birth" (ISO) | None,
                                 "age" | None, "lives_with_child", "address", "phone",
                                 "parental_responsibility"}]},
      "referrer":  {"name", "role", "phone", "email"},
      "reasons":   {"summary", "categories": [concern category codes], "other_category",
                    "actions_taken"},                     # linked concerns: ReferralConcern rows
      "consent":   {"parents_aware", "consent_given", "no_consent_reason", "no_consent_details"},
      "voice":     {"child_voice", "wishes"},
      "agencies":  {"involved": [codes], "details"},
      "need":      {"level", "why"},
    }

The order below is the task list's order. Immediate risk comes first on purpose: if the child is
in danger now, the person filling in the form must be told to phone before anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.concerns.options import CATEGORIES

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    endpoint: str


SECTIONS = (
    Section("risk", "Immediate risk", "referrals.immediate_risk"),
    Section("child", "The child", "referrals.child"),
    Section("household", "Household members", "referrals.household"),
    Section("referrer", "Referrer (you)", "referrals.referrer"),
    Section("reasons", "Reasons for referral and linked concerns", "referrals.reasons"),
    Section("consent", "Consent", "referrals.consent"),
    Section("voice", "The child’s voice and wishes", "referrals.voice"),
    Section("agencies", "Other agencies involved", "referrals.agencies"),
    Section("need", "Level of need", "referrals.level_of_need"),
)
SECTION_KEYS = tuple(section.key for section in SECTIONS)
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_NOT_KNOWN = [("yes", "Yes"), ("no", "No"), ("not_known", "Not known")]

# Why parents or carers were not told, or did not consent. Working Together 2023 and the
# information-sharing advice: consent is not needed, and parents should not be told first, when
# telling them would put the child (or anyone else) at risk or prejudice an investigation.
NO_CONSENT_REASONS = [
    ("risk_to_child", "Telling them would put the child, or someone else, at risk of harm"),
    ("prejudice_investigation", "Telling them could prejudice a police investigation"),
    ("could_not_contact", "We tried but could not contact them"),
    ("refused", "They refused consent"),
    ("other", "Another reason"),
]

AGENCIES = [
    ("gp", "GP"),
    ("health_visitor_school_nurse", "Health visitor or school nurse"),
    ("camhs", "Child and adolescent mental health services (CAMHS)"),
    ("police", "Police"),
    ("early_help", "Early help team"),
    ("social_care", "Children’s social care (already open)"),
    ("youth_justice", "Youth justice service"),
    ("housing", "Housing"),
    ("adult_services", "Adult mental health or substance misuse services"),
    ("other", "Another agency"),
]
NO_AGENCIES = "none"

# The school's view of the child's level of need, on the four-level continuum most English
# safeguarding partnerships publish in their threshold document (Northshire's is invented but
# follows the common pattern: universal, early help, targeted, specialist). The stored codes are
# the connector contract's (portal.connector.payload.LEVELS_OF_NEED): level 3 is "child in need"
# (section 17) and level 4 "child protection" (section 47) in the LA's case system.
LEVELS_OF_NEED = [
    ("universal", "Level 1: universal", "Needs met by universal services such as school and GP"),
    ("early_help", "Level 2: early help", "Additional needs, met by a single agency or an early help plan"),
    ("child_in_need", "Level 3: targeted (child in need)",
     "Complex needs: several agencies working together, a child and family assessment (section 17)"),
    ("child_protection", "Level 4: specialist (child protection)",
     "Significant harm or the risk of it: statutory social care (section 47)"),
]

# Words for the codes, one vocabulary per question ("other" means something different in each).
ANSWER_LABELS = {"yes": "Yes", "no": "No", "not_known": "Not known"}
NO_CONSENT_LABELS = dict(NO_CONSENT_REASONS)
AGENCY_LABELS = {**dict(AGENCIES), NO_AGENCIES: "None that we know of"}
LEVEL_LABELS = {code: text for code, text, _ in LEVELS_OF_NEED}
CATEGORY_LABELS = dict(CATEGORIES)

STATUS_TEXT = {
    "draft": "Draft",
    "submitted": "Submitted",
    "acknowledged": "Acknowledged",
    "in_triage": "In triage",
    "decided": "Decided",
    "closed": "Closed",
}
STATUS_TAG_CLASSES = {
    "draft": "govuk-tag--grey",
    "submitted": "govuk-tag--blue",
    "acknowledged": "govuk-tag--light-blue",
    "in_triage": "govuk-tag--yellow",
    "decided": "govuk-tag--green",
    "closed": "govuk-tag--grey",
}


def label(code: str | None, labels: dict[str, str] = ANSWER_LABELS) -> str:
    if not code:
        return ""
    return labels.get(code, code)


def section_status(form: dict, key: str) -> str | None:
    return (form.get("status") or {}).get(key)


def incomplete_sections(form: dict) -> list[Section]:
    return [section for section in SECTIONS if section_status(form, section.key) != COMPLETED]
