"""Words for the codes the chronology shows: categories, roles, outcomes, statuses, kinds.

Concern categories, pupils' roles and review outcomes are the concerns area's own lists
(portal.concerns.options): those are the codes stored in every concern, so the filter and the
labels here always match what was recorded. The case-system contract spells six categories
differently (portal.connector.payload); `portal_category` reads either spelling, so a category
arriving in the contract's words (a referral's reasons, a transferred history) still filters.
"""

from __future__ import annotations

from portal.concerns.options import CATEGORIES, OUTCOME_LABELS, ROLE_LABELS  # noqa: F401  (re-exported)

CATEGORY_LABELS: dict[str, str] = dict(CATEGORIES)
# In the order staff see them when logging a concern (and in the filter's checkboxes).
CATEGORY_CHOICES: list[tuple[str, str]] = list(CATEGORIES)

# The contract's spelling -> the portal's.
_CONTRACT_CATEGORY_CODES = {
    "child_on_child_abuse": "child_on_child",
    "child_sexual_exploitation": "cse",
    "child_criminal_exploitation": "cce",
    "female_genital_mutilation": "fgm",
    "missing_education_or_home": "missing",
    "family_member_in_prison": "family_in_prison",
}


def portal_category(code: str) -> str:
    return _CONTRACT_CATEGORY_CODES.get(code, code)


def portal_categories(codes) -> frozenset[str]:
    return frozenset(portal_category(str(c)) for c in codes or () if c)


REVIEW_OUTCOME_LABELS = OUTCOME_LABELS

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
        code = portal_category(code)
        text = label(CATEGORY_LABELS, code)
        if code == "other" and other:
            text = f"Other: {other}"
        words.append(text)
    return words
