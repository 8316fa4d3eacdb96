"""The referral's task list: which sections are done, and the words for a referral's status.

The sections themselves, their questions and answer lists are declared once in
portal.referrals.form_definition (and portal.referrals.choices); the names below are kept for the
callers that read the task list (the triage demo marks every section completed).
"""

from __future__ import annotations

from portal.referrals.choices import (  # noqa: F401
    AGENCIES,
    AGENCY_LABELS,
    ANSWER_LABELS,
    CATEGORY_LABELS,
    LEVEL_LABELS,
    LEVELS_OF_NEED,
    NO_AGENCIES,
    NO_CONSENT_LABELS,
    NO_CONSENT_REASONS,
    YES_NO,
    YES_NO_NOT_KNOWN,
    label,
)
from portal.referrals.form_definition import (  # noqa: F401
    COMPLETED,
    IN_PROGRESS,
    SECTION_KEYS,
    SECTIONS,
    SECTIONS_BY_KEY,
    Section,
    incomplete_sections,
    section_status,
    sections_for,
)
from portal.referrals.models import ReferralStatus

STATUS_TEXT = {
    ReferralStatus.DRAFT: "Draft",
    ReferralStatus.SUBMITTED: "Submitted",
    ReferralStatus.ACKNOWLEDGED: "Acknowledged",
    ReferralStatus.IN_TRIAGE: "In triage",
    ReferralStatus.DECIDED: "Decided",
    ReferralStatus.CLOSED: "Closed",
}
STATUS_TAG_CLASSES = {
    ReferralStatus.DRAFT: "govuk-tag--grey",
    ReferralStatus.SUBMITTED: "govuk-tag--blue",
    ReferralStatus.ACKNOWLEDGED: "govuk-tag--light-blue",
    ReferralStatus.IN_TRIAGE: "govuk-tag--yellow",
    ReferralStatus.DECIDED: "govuk-tag--green",
    ReferralStatus.CLOSED: "govuk-tag--grey",
}
