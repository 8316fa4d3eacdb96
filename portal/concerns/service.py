"""Concerns: submitting, finding, showing, correcting and reviewing them.

    concern, created = submit(user, draft, token)     # idempotent by the flow's token; audits
    notify_leads(concern)                              # after commit: DSLs get an email, no child details
    concern = get_concern_for(user, concern_id)        # 404 unless allowed; audits the view
    correct(user, concern, answers..., reason)         # a new version; the old ones are kept
    review(user, concern, outcome, reasons)            # audits
    review_queue(school) / awaiting_review_count(school)

Callers commit. Every function that reads a concern goes through the policy ("concern:view",
"concern:correct", "concerns:review"), which answers 404 for another school's concern.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.auth.models import User
from portal.concerns import drafts, options
from portal.concerns.flow import Answers
from portal.concerns.models import (
    Concern,
    ConcernAttachment,
    ConcernDraft,
    ConcernPupil,
    ConcernReview,
    ConcernVersion,
)
from portal.db import db
from portal.files.models import StoredFile
from portal.notify import EmailNotSent, send_email
from portal.orgs.models import School
from portal.policy import can, require
from portal.pupils.models import Pupil

log = logging.getLogger(__name__)

AWAITING_REVIEW = "awaiting_review"
REVIEWED = "reviewed"


class StaleSubmission(Exception):
    """A submit for a flow that is no longer the user's draft and made no concern."""


# --- submitting -------------------------------------------------------------------------------


def concern_by_token(token: str) -> Concern | None:
    if not token or len(token) > 64:
        return None
    return db.session.execute(select(Concern).where(Concern.submission_token == token)).scalar_one_or_none()


def submit(user, draft: ConcernDraft | None, token: str, answers: Answers | None) -> tuple[Concern, bool]:
    """Make the concern from checked answers, once per flow.

    A second submit of the same flow (a double click, the back button, a retry after a lost
    response) finds the concern the first one made: (concern, False). Commits.
    """
    existing = concern_by_token(token)
    if existing is not None:
        if existing.logged_by_id != user.id:
            raise StaleSubmission()
        return existing, False
    if draft is None or answers is None or drafts.token(draft) != token:
        raise StaleSubmission()
    try:
        concern = _make(user, draft, token, answers)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        # Two submits of one flow at once: the other made the concern (same token) and removed
        # the draft first.
        db.session.rollback()
        existing = concern_by_token(token)
        if existing is None or existing.logged_by_id != user.id:
            raise
        return existing, False
    return concern, True


def _make(user, draft: ConcernDraft, token: str, answers: Answers) -> Concern:
    require("concern:log", answers.pupil)
    concern = record_concern(user, answers, token)
    db.session.delete(draft)
    db.session.flush()
    audit.record("concern.log", object_type="concern", object_id=concern.id, detail="urgent" if concern.urgent else None)
    return concern


def record_concern(user, answers: Answers, token: str) -> Concern:
    """The rows of a new concern (no policy check, no audit: for `submit` and the demo data)."""
    concern = Concern(
        school_id=user.school_id,
        pupil_id=answers.pupil.id,
        logged_by_id=user.id,
        occurred_at=answers.occurred_at,
        urgent=answers.urgent,
        status=AWAITING_REVIEW,
        current_version=1,
        submission_token=token,
    )
    db.session.add(concern)
    db.session.flush()
    version = ConcernVersion(concern_id=concern.id, version=1, created_by_id=user.id)
    version.content = answers.content
    version.change_reason = None
    db.session.add(version)
    _link(concern, answers.pupil, "subject")
    for pupil, role in answers.others:
        _link(concern, pupil, role)
    for stored in answers.files:
        db.session.add(ConcernAttachment(concern_id=concern.id, stored_file_id=stored.id, added_by_id=user.id, version=1))
    db.session.flush()
    return concern


def _link(concern: Concern, pupil: Pupil, role: str) -> None:
    link = ConcernPupil(concern_id=concern.id, pupil_id=pupil.id)
    link.role = role
    db.session.add(link)


# --- telling the DSLs -------------------------------------------------------------------------


def leads_of(school_id: uuid.UUID, concern: Concern) -> list[User]:
    """The school's active users who review concerns (the policy decides who that is)."""
    users = db.session.execute(select(User).where(User.school_id == school_id)).scalars()
    return [u for u in users if u.is_active and can(u, "concerns:review", concern)]


def notify_leads(concern: Concern) -> int:
    """Email every DSL and deputy of the school. No child details: only a link to sign in.

    Called after the concern is committed; a mail failure never loses the concern (the home
    page's count still shows it). Returns how many emails were sent.
    """
    from portal.auth.links import external_url

    school = db.session.get(School, concern.school_id)
    link = external_url("concerns.review_queue")
    subject = "Urgent: a new safeguarding concern needs review" if concern.urgent else "A new safeguarding concern needs review"
    sent = 0
    for lead in leads_of(concern.school_id, concern):
        body = (
            f"Dear {lead.display_name},\n\n"
            f"A member of staff at {school.name} has logged a safeguarding concern"
            f"{' and marked it urgent' if concern.urgent else ''}.\n\n"
            f"Sign in to Safeguard Portal to review it:\n\n{link}\n\n"
            "For the child's privacy, this email does not say who the concern is about.\n\n"
            "Safeguard Portal\n\nThis is an automatic email: replies are not read."
        )
        try:
            send_email(lead.email, subject, body)
            sent += 1
        except EmailNotSent:
            log.error("concern notification not sent (concern %s)", concern.id)
    return sent


# --- finding and showing ------------------------------------------------------------------------


def get_concern(concern_id: uuid.UUID) -> Concern | None:
    return db.session.get(Concern, concern_id)


def get_concern_for(user, concern_id: uuid.UUID, *, action: str = "concern:view", audited: bool = True) -> Concern:
    """The concern if `user` may do `action` to it (else 404); the view is audited."""
    concern = get_concern(concern_id)
    if concern is None:
        abort(404)
    require(action, concern)
    if audited:
        audit.record("concern.view", object_type="concern", object_id=concern.id)
    return concern


def visible_concerns(user, *, limit: int = 200) -> list[Concern]:
    """Newest first by when it happened: all of the school's for a DSL, a member of staff's own otherwise."""
    query = select(Concern).where(Concern.school_id == user.school_id)
    if not can(user, "concerns:review"):
        query = query.where(Concern.logged_by_id == user.id)
    query = query.order_by(Concern.occurred_at.desc(), Concern.logged_at.desc()).limit(limit)
    return [c for c in db.session.execute(query).scalars() if can(user, "concern:view", c)]


def pupils_by_id(ids) -> dict[uuid.UUID, Pupil]:
    ids = set(ids)
    if not ids:
        return {}
    return {p.id: p for p in db.session.execute(select(Pupil).where(Pupil.id.in_(ids))).scalars()}


def users_by_id(ids) -> dict[uuid.UUID, User]:
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}


def attachment_of(concern: Concern, attachment_id: uuid.UUID) -> StoredFile:
    attachment = db.session.get(ConcernAttachment, attachment_id)
    if attachment is None or attachment.concern_id != concern.id:
        abort(404)
    return db.session.get(StoredFile, attachment.stored_file_id)


# --- correcting -------------------------------------------------------------------------------


def correct(user, concern: Concern, *, occurred_at: datetime, content: dict, reason: str,
            files: list[StoredFile] = ()) -> ConcernVersion:
    """A new version with the reason; earlier versions stay as they were. Audited."""
    require("concern:correct", concern)
    number = concern.current_version + 1
    version = ConcernVersion(concern_id=concern.id, version=number, created_by_id=user.id)
    version.content = content
    version.change_reason = reason
    db.session.add(version)
    for stored in files:
        db.session.add(ConcernAttachment(concern_id=concern.id, stored_file_id=stored.id, added_by_id=user.id, version=number))
    concern.current_version = number
    concern.occurred_at = occurred_at
    db.session.flush()
    db.session.expire(concern, ["versions", "attachments"])
    audit.record("concern.correct", object_type="concern", object_id=concern.id, detail=f"version_{number}")
    return version


# --- reviewing --------------------------------------------------------------------------------


def review_queue(school_id: uuid.UUID) -> list[Concern]:
    """Concerns awaiting review: urgent ones first, then the longest waiting first."""
    query = (
        select(Concern)
        .where(Concern.school_id == school_id, Concern.status == AWAITING_REVIEW)
        .order_by(Concern.urgent.desc(), Concern.logged_at.asc())
    )
    return list(db.session.execute(query).scalars())


def awaiting_review_count(school_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Concern).where(
        Concern.school_id == school_id, Concern.status == AWAITING_REVIEW
    )
    return db.session.execute(query).scalar_one()


def review(user, concern: Concern, outcome: str, reasons: str) -> ConcernReview:
    require("concerns:review", concern)
    if outcome not in options.OUTCOME_LABELS:
        raise ValueError("unknown outcome")
    record = ConcernReview(concern_id=concern.id, reviewer_id=user.id, outcome=outcome)
    record.reasons = reasons
    db.session.add(record)
    concern.status = REVIEWED
    db.session.flush()
    db.session.expire(concern, ["reviews"])
    audit.record("concern.review", object_type="concern", object_id=concern.id, detail=outcome)
    return record
