"""Words for the codes the chronology shows: categories, roles, outcomes, statuses, kinds.

The codes themselves are the contract's vocabulary (portal.connector.payload), so a category a
school records is the category the council's case system receives; here they get the words a DSL,
a social worker or a court reads.
"""

from __future__ import annotations

from portal.connector.payload import CONCERN_CATEGORIES

CATEGORY_LABELS: dict[str, str] = {
    "physical_abuse": "Physical abuse",
    "emotional_abuse": "Emotional abuse",
    "sexual_abuse": "Sexual abuse",
    "neglect": "Neglect",
    "child_on_child_abuse": "Child-on-child abuse",
    "child_sexual_exploitation": "Child sexual exploitation",
    "child_criminal_exploitation": "Child criminal exploitation",
    "domestic_abuse": "Domestic abuse",
    "female_genital_mutilation": "Female genital mutilation",
    "forced_marriage": "Forced marriage",
    "honour_based_abuse": "Honour-based abuse",
    "radicalisation": "Radicalisation (Prevent)",
    "online_safety": "Online safety",
    "mental_health": "Mental health",
    "self_harm": "Self-harm",
    "missing_education_or_home": "Missing education or from home",
    "family_member_in_prison": "Family member in prison",
    "homelessness": "Homelessness",
    "modern_slavery": "Modern slavery",
    "serious_violence": "Serious violence",
    "young_carer": "Young carer",
    "other": "Other",
}
assert set(CATEGORY_LABELS) == set(CONCERN_CATEGORIES), "a concern category has no label"

# In the order the categories are listed in KCSIE (and in the filter's checkboxes).
CATEGORY_CHOICES: list[tuple[str, str]] = [(code, CATEGORY_LABELS[code]) for code in CONCERN_CATEGORIES]

ROLE_LABELS = {
    "subject": "Subject of the concern",
    "alleged_victim": "Alleged victim",
    "alleged_perpetrator": "Alleged perpetrator",
    "witness": "Witness",
}

REVIEW_OUTCOME_LABELS = {
    "no_further_action": "No further action",
    "monitor": "Monitor",
    "early_help": "Early help",
    "refer_to_la": "Refer to the local authority",
}

REFERRAL_STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "acknowledged": "Acknowledged",
    "in_triage": "In triage",
    "decided": "Decided",
    "closed": "Closed",
}

DECISION_LABELS = {
    "no_further_action": "No further action",
    "advice_and_signposting": "Advice and signposting",
    "early_help": "Early help",
    "child_and_family_assessment": "Child and family assessment (section 17)",
    "section_47_enquiry": "Strategy discussion / section 47 enquiry",
    "referred_to_another_la": "Referred to another local authority",
}

CASE_STATUS_LABELS = {
    "open_early_help": "Open to early help",
    "child_in_need": "Child in need",
    "child_protection_plan": "Child protection plan",
    "looked_after": "Looked after",
    "closed": "Closed",
}

UPDATE_KIND_LABELS = {
    "acknowledgement": "Acknowledgement from the local authority",
    "decision": "Decision from the local authority",
    "case_summary": "Case summary",
    "note": "Note from the local authority",
}


def label(labels: dict[str, str], code: str | None) -> str:
    """The words for a code; an unknown code is shown as itself (tidied), never hidden."""
    if not code:
        return ""
    return labels.get(code) or code.replace("_", " ").capitalize()


def category_labels(codes, other: str | None = None) -> list[str]:
    words = []
    for code in codes or ():
        text = label(CATEGORY_LABELS, code)
        if code == "other" and other:
            text = f"Other: {other}"
        words.append(text)
    return words
