"""The LA's sharing policies: which case-summary fields its schools may see, and (separately)
which the partner agencies that referred the child may see.

    permitted_summary_fields(local_authority_id, audience="schools") -> set[str]   # read by the connector
    filter_case_summary(local_authority_id, summary, audience="schools") -> dict    # keeps only permitted fields

A council often shares more with a school, which sees the child every day, than with a GP
practice or a police team that referred once, or the other way round: each audience has its own
policy (Audience: "schools", "agencies"), changed and recorded on its own.

Deny by default: an LA that has not set a policy shares no case-summary field. A change applies
to what is stored for schools from then on (the connector filters each summary as it arrives), is
audited, and is kept in a history table so the LA can show what schools could see, and when.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from portal import audit
from portal.db import db, utcnow
from portal.domain_errors import Invalid
from portal.transaction import transactional
from portal.triage.models import AUDIENCES, SHAREABLE_SUMMARY_FIELDS, Audience, SharingPolicy, SharingPolicyChange

FIELD_LABELS = {
    "status": "Status (open to early help, child in need, child protection plan, looked after, closed)",
    "cp_category": "Child protection plan category",
    "start_date": "Start date",
    "allocated_worker": "Allocated worker and their contact details",
    "team": "Team and its contact details",
    "next_review_date": "Next review or conference date",
    "note_for_school": "Note for the school",
}
assert tuple(FIELD_LABELS) == SHAREABLE_SUMMARY_FIELDS


AUDIENCE_LABELS = {Audience.SCHOOLS: "schools", Audience.AGENCIES: "partner agencies"}


def _audience(audience: str) -> Audience:
    if audience not in AUDIENCES:
        raise Invalid("unknown audience")
    return Audience(audience)


def permitted_summary_fields(local_authority_id: uuid.UUID, audience: str = Audience.SCHOOLS) -> set[str]:
    policy = db.session.execute(
        select(SharingPolicy).where(SharingPolicy.local_authority_id == local_authority_id,
                                    SharingPolicy.audience == _audience(audience).value)
    ).scalar_one_or_none()
    if policy is None:
        return set()
    return {f for f in policy.fields or [] if f in SHAREABLE_SUMMARY_FIELDS}


def filter_case_summary(local_authority_id: uuid.UUID, summary: dict, audience: str = Audience.SCHOOLS) -> dict:
    """Only the fields the LA lets schools (or agencies) see (anything outside the contract is
    always dropped)."""
    allowed = permitted_summary_fields(local_authority_id, audience)
    return {k: v for k, v in summary.items() if k in allowed}


class UnknownSummaryField(Invalid, ValueError):
    """A field outside the case system contract's shareable fields."""


@transactional
def set_sharing_policy(user, local_authority_id: uuid.UUID, fields,
                       audience: str = Audience.SCHOOLS) -> SharingPolicyChange | None:
    """Replace the LA's policy for schools (or for partner agencies); returns the change
    recorded, or None when nothing changed."""
    audience = _audience(audience)
    unknown = set(fields) - set(SHAREABLE_SUMMARY_FIELDS)
    if unknown:
        raise UnknownSummaryField("Choose only fields the case system can share", field="fields")
    after = [f for f in SHAREABLE_SUMMARY_FIELDS if f in set(fields)]
    policy = db.session.execute(
        select(SharingPolicy).where(SharingPolicy.local_authority_id == local_authority_id,
                                    SharingPolicy.audience == audience.value).with_for_update()
    ).scalar_one_or_none()
    before = [f for f in SHAREABLE_SUMMARY_FIELDS if policy is not None and f in set(policy.fields or [])]
    if policy is not None and before == after:
        return None
    now = utcnow()
    if policy is None:
        policy = SharingPolicy(local_authority_id=local_authority_id, audience=audience.value)
        db.session.add(policy)
    policy.fields = after
    policy.updated_at = now
    policy.updated_by_id = user.id
    change = SharingPolicyChange(local_authority_id=local_authority_id, audience=audience.value,
                                 changed_by_id=user.id, changed_at=now, fields_before=before, fields_after=after)
    db.session.add(change)
    db.session.flush()
    audit.record("triage.sharing_policy_change", object_type="sharing_policy", object_id=policy.id,
                 detail=f"fields_{len(before)}_to_{len(after)}"
                 + ("" if audience is Audience.SCHOOLS else f"_{audience.value}"), actor=user)
    return change


def policy_history(local_authority_id: uuid.UUID, audience: str = Audience.SCHOOLS) -> list[SharingPolicyChange]:
    return list(db.session.execute(
        select(SharingPolicyChange).where(SharingPolicyChange.local_authority_id == local_authority_id,
                                          SharingPolicyChange.audience == _audience(audience).value)
        .order_by(SharingPolicyChange.changed_at.desc())
    ).scalars())
