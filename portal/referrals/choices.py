"""The answer lists of the referral form, and the words shown for their codes.

One vocabulary per question ("other" means something different in each). The form definition
(portal.referrals.form_definition) offers them, check your answers shows their words, and the
connector's snapshot sends the words where the contract asks for text.
"""

from __future__ import annotations

from portal.concerns.options import CATEGORIES

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

ANSWER_LABELS = {"yes": "Yes", "no": "No", "not_known": "Not known"}
NO_CONSENT_LABELS = dict(NO_CONSENT_REASONS)
AGENCY_LABELS = {**dict(AGENCIES), NO_AGENCIES: "None that we know of"}
LEVEL_LABELS = {code: text for code, text, _ in LEVELS_OF_NEED}
CATEGORY_LABELS = dict(CATEGORIES)


def label(code: str | None, labels: dict[str, str] = ANSWER_LABELS) -> str:
    if not code:
        return ""
    return labels.get(code, code)
