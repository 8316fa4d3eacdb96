"""Records for chronology tests, made directly with the models (invented details only).

The pages that create these records belong to other areas; these factories depend on nothing
but the data model, so the chronology's tests stand on their own.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import date, datetime, timedelta

from portal.concerns.models import Concern, ConcernPupil, ConcernReview, ConcernVersion
from portal.db import utcnow
from portal.db import db
from portal.pupils.models import Pupil
from portal.referrals.models import Referral, ReferralConcern, ReferralEvent
from portal.updates.models import SharedUpdate

_counter = itertools.count(1)

FORENAMES = ["Isla", "Noah", "Priya", "Kwame", "Zofia", "Oisin", "Maya", "Tariq"]
SURNAMES = ["Brightwater", "Okonjo-Reyes", "Pennyfeather", "Castellane", "Lindqvist", "Moorcroft"]


def make_pupil(school, **fields) -> Pupil:
    n = next(_counter)
    pupil = Pupil(
        school_id=school.id,
        legal_forename=fields.pop("legal_forename", FORENAMES[n % len(FORENAMES)]),
        legal_surname=fields.pop("legal_surname", f"{SURNAMES[n % len(SURNAMES)]}{n}"),
        date_of_birth=fields.pop("date_of_birth", date(2014, 1, 1) + timedelta(days=n)),
        **fields,
    )
    db.session.add(pupil)
    db.session.commit()
    return pupil


def _content(**overrides) -> dict:
    content = {
        "location": "Playground",
        "categories": ["neglect"],
        "other_category": None,
        "account": "Said they had not eaten since yesterday lunchtime.",
        "action_taken": "Gave breakfast; told the DSL.",
        "people_informed": "The DSL",
        "body_map": [],
    }
    content.update(overrides)
    return content


def make_concern(
    school,
    pupil,
    logged_by,
    *,
    occurred_at: datetime | None = None,
    logged_at: datetime | None = None,
    others=(),
    urgent: bool = False,
    commit: bool = True,
    **content,
) -> Concern:
    """A concern about `pupil` (role "subject"); `others` are (pupil, role) pairs."""
    logged_at = logged_at or utcnow()
    concern = Concern(
        school_id=school.id,
        pupil_id=pupil.id,
        logged_by_id=logged_by.id,
        logged_at=logged_at,
        occurred_at=occurred_at or logged_at,
        urgent=urgent,
        submission_token=secrets.token_hex(16),
    )
    db.session.add(concern)
    db.session.flush()
    version = ConcernVersion(concern_id=concern.id, version=1, created_by_id=logged_by.id, created_at=logged_at)
    version.content = _content(**content)
    db.session.add(version)
    db.session.add(ConcernPupil(concern_id=concern.id, pupil_id=pupil.id, role="subject"))
    for other, role in others:
        db.session.add(ConcernPupil(concern_id=concern.id, pupil_id=other.id, role=role))
    if commit:
        db.session.commit()
    return concern


def correct_concern(concern, by, *, reason: str, at: datetime | None = None, **changes) -> ConcernVersion:
    latest = db.session.query(ConcernVersion).filter_by(concern_id=concern.id).order_by(ConcernVersion.version.desc()).first()
    content = dict(latest.content)
    content.update(changes)
    version = ConcernVersion(
        concern_id=concern.id, version=latest.version + 1, created_by_id=by.id, created_at=at or utcnow()
    )
    version.content = content
    version.change_reason = reason
    concern.current_version = version.version
    db.session.add(version)
    db.session.commit()
    return version


def make_review(concern, reviewer, *, outcome: str = "monitor", reasons: str = "Keep a close eye at lunchtimes.",
                at: datetime | None = None, commit: bool = True) -> ConcernReview:
    review = ConcernReview(concern_id=concern.id, reviewer_id=reviewer.id, outcome=outcome, reviewed_at=at or utcnow())
    review.reasons = reasons
    concern.status = "reviewed"
    db.session.add(review)
    if commit:
        db.session.commit()
    return review


def make_referral(
    school,
    pupil,
    by,
    *,
    status: str = "submitted",
    submitted_at: datetime | None = None,
    concerns=(),
    events=(),
    urgent: bool = False,
    summary: str = "Repeated signs of neglect over the term.",
    categories=("neglect",),
    commit: bool = True,
) -> Referral:
    """A referral; `events` are (status, at, by_user) after submission."""
    n = next(_counter)
    submitted = status != "draft"
    at = submitted_at or utcnow()
    referral = Referral(
        school_id=school.id,
        pupil_id=pupil.id,
        local_authority_id=school.local_authority_id if submitted else None,
        created_by_id=by.id,
        created_at=at - timedelta(hours=1),
        status=status,
        urgent=urgent,
        submitted_at=at if submitted else None,
        submitted_by_id=by.id if submitted else None,
        reference=f"900-2026-{n:06d}" if submitted else None,
    )
    referral.form = {"reasons": {"summary": summary, "categories": list(categories), "other_category": None}}
    db.session.add(referral)
    db.session.flush()
    for concern in concerns:
        db.session.add(ReferralConcern(referral_id=referral.id, concern_id=concern.id))
    if submitted:
        db.session.add(ReferralEvent(referral_id=referral.id, status="submitted", at=at, by_user_id=by.id))
    for event_status, event_at, event_by in events:
        db.session.add(
            ReferralEvent(referral_id=referral.id, status=event_status, at=event_at, by_user_id=event_by.id if event_by else None)
        )
    if commit:
        db.session.commit()
    return referral


def make_update(school, pupil, *, kind: str = "note", created_at: datetime | None = None, referral=None, by=None,
                commit: bool = True, **content) -> SharedUpdate:
    update = SharedUpdate(
        school_id=school.id,
        local_authority_id=school.local_authority_id,
        pupil_id=pupil.id,
        referral_id=referral.id if referral else None,
        kind=kind,
        created_at=created_at or utcnow(),
        created_by_id=by.id if by else None,
    )
    update.content = {"title": content.pop("title", "A note from the council"), "body": content.pop("body", "Thank you."), **content}
    db.session.add(update)
    if commit:
        db.session.commit()
    return update
