"""Concerns: submitting, finding, showing, correcting and reviewing them.

    concern, created = submit(user, draft, token, answers)  # idempotent by the flow's token; audits;
                                                            # the DSLs are emailed once it commits
    concern = view_concern(user, concern_id)                # NotFound unless allowed; audits the view
    save_correction(user, concern, posted, correction)      # a new version; the old ones are kept
    review(user, concern, outcome, reasons)                 # audits
    review_queue(school) / awaiting_review_count(school)

The functions that change anything, or audit a read, are units of work (`@transactional`): each
commits its own transaction. Every function that reads a concern goes through the policy
("concern:view", "concern:correct", "concerns:review"), which answers NotFound for another
school's concern.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from typing import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.auth.links import external_url
from portal.auth.models import User
from portal.concerns import drafts, options
from portal.concerns.flow import Answers
from portal.concerns.models import (
    AWAITING_REVIEW,
    Concern,
    ConcernAttachment,
    ConcernDraft,
    ConcernPupil,
    ConcernReview,
    ConcernStatus,
    ConcernVersion,
    PupilRole,
    ReviewOutcome,
)
from portal.db import db
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.files.models import StoredFile
from portal.notify.outbox import queue_email
from portal.orgs.models import School
from portal.policy import can, require
from portal.pupils.models import Pupil
from portal.transaction import transactional, unit_of_work


class StaleSubmission(Conflict):
    """A submit for a flow that is no longer the user's draft and made no concern."""


# --- submitting -------------------------------------------------------------------------------


def concern_by_token(token: str) -> Concern | None:
    if not token or len(token) > 64:
        return None
    return db.session.execute(select(Concern).where(Concern.submission_token == token)).scalar_one_or_none()


def submit(user, draft: ConcernDraft | None, token: str, answers: Answers | None) -> tuple[Concern, bool]:
    """Make the concern from checked answers, once per flow.

    A second submit of the same flow (a double click, the back button, a retry after a lost
    response) finds the concern the first one made: (concern, False). The concern is made in a
    unit of work of its own (so this is called outside one: the losing side of a race must see
    its transaction rolled back before it looks for the winner's concern), with the emails to
    the school's DSLs queued in it (sent once it commits).
    """
    existing = concern_by_token(token)
    if existing is not None:
        if existing.logged_by_id != user.id:
            raise StaleSubmission()
        return existing, False
    if draft is None or answers is None or drafts.token(draft) != token:
        raise StaleSubmission()
    try:
        with unit_of_work():
            concern = _make(user, draft, token, answers)
    except (IntegrityError, StaleDataError):
        # Two submits of one flow at once: the other made the concern (same token) and removed
        # the draft first. The unit of work has rolled back.
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
    notify_leads(concern)
    return concern


def record_concern(user, answers: Answers, token: str) -> Concern:
    """The rows of a new concern (no policy check, no audit: for `submit` and the demo data)."""
    concern = Concern(
        school_id=user.school_id,
        pupil_id=answers.pupil.id,
        logged_by_id=user.id,
        occurred_at=answers.occurred_at,
        urgent=answers.urgent,
        status=ConcernStatus.AWAITING_REVIEW,
        current_version=1,
        submission_token=token,
    )
    db.session.add(concern)
    db.session.flush()
    version = ConcernVersion(concern_id=concern.id, version=1, created_by_id=user.id)
    version.content = answers.content
    version.change_reason = None
    db.session.add(version)
    _link(concern, answers.pupil, PupilRole.SUBJECT)
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
    """Queue an email to every DSL and deputy of the school. No child details: only a link to
    sign in.

    In the unit of work that makes the concern: the emails go out once it commits (the mail
    outbox retries a failure; the home page's count shows the concern meanwhile). Returns how
    many emails were queued.
    """
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
        queue_email(lead.email, subject, body)
        sent += 1
    return sent


# --- finding and showing ------------------------------------------------------------------------


def get_concern(concern_id: uuid.UUID) -> Concern | None:
    return db.session.get(Concern, concern_id)


def get_concern_for(user, concern_id: uuid.UUID, *, action: str = "concern:view") -> Concern:
    """The concern if `user` may do `action` to it (else NotFound). Not audited: see view_concern."""
    concern = get_concern(concern_id)
    if concern is None:
        raise NotFound()
    require(action, concern)
    return concern


@transactional
def view_concern(user, concern_id: uuid.UUID) -> Concern:
    """The concern if `user` may see it (else NotFound); the view is audited."""
    concern = get_concern_for(user, concern_id)
    audit.record("concern.view", object_type="concern", object_id=concern.id)
    return concern


@transactional
def concerns_page(user) -> tuple[list[Concern], dict[uuid.UUID, Pupil]]:
    """The concerns `user` may see (see visible_concerns) and their pupils; the list is audited."""
    concerns = visible_concerns(user)
    pupils = pupils_by_id(c.pupil_id for c in concerns)
    audit.record("concern.list", object_type="school", object_id=user.school_id)
    return concerns, pupils


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
        raise NotFound()
    return db.session.get(StoredFile, attachment.stored_file_id)


def files_of(concern: Concern) -> dict[uuid.UUID, StoredFile]:
    """Each attachment's stored file, by attachment id."""
    return {a.id: db.session.get(StoredFile, a.stored_file_id) for a in concern.attachments}


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


@transactional
def save_correction(user, concern: Concern, posted: Mapping, correction: dict | None = None) -> ConcernVersion | None:
    """The correction page as posted, into the user's draft of it (nothing typed is lost); with
    `correction` (the checked `occurred_at`, `content` and `reason`) the new version is made and
    the draft removed."""
    draft = drafts.draft_for(user, concern=concern)
    drafts.fill_from(draft, concern)
    drafts.save_step(draft, drafts.CORRECTION_STEP, posted)
    if correction is None:
        return None
    version = correct(user, concern, occurred_at=correction["occurred_at"], content=correction["content"],
                      reason=correction["reason"])
    db.session.delete(draft)
    return version


# --- reviewing --------------------------------------------------------------------------------


def review_queue(school_id: uuid.UUID) -> list[Concern]:
    """Concerns awaiting review: urgent ones first, then the longest waiting first."""
    query = (
        select(Concern)
        .where(Concern.school_id == school_id, AWAITING_REVIEW)  # ix_concern_awaiting_review
        .order_by(Concern.urgent.desc(), Concern.logged_at.asc())
    )
    return list(db.session.execute(query).scalars())


def awaiting_review_count(school_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Concern).where(Concern.school_id == school_id, AWAITING_REVIEW)
    return db.session.execute(query).scalar_one()


@transactional
def review_queue_page(user) -> tuple[list[Concern], dict[uuid.UUID, Pupil], dict[uuid.UUID, User]]:
    """The school's review queue with the pupils and who logged each; the read is audited."""
    concerns = review_queue(user.school_id)
    pupils = pupils_by_id(c.pupil_id for c in concerns)
    people = users_by_id(c.logged_by_id for c in concerns)
    audit.record("concern.review_queue", object_type="school", object_id=user.school_id)
    return concerns, pupils, people


@transactional
def open_review(user, concern_id: uuid.UUID) -> Concern:
    """The concern for its review page (NotFound unless `user` may review it); the read is audited."""
    concern = get_concern_for(user, concern_id, action="concerns:review")
    audit.record("concern.view", object_type="concern", object_id=concern.id, detail="review_page")
    return concern


@transactional
def review(user, concern: Concern, outcome: str, reasons: str) -> ConcernReview:
    require("concerns:review", concern)
    if outcome not in options.OUTCOME_LABELS:
        raise Invalid("Select an outcome", field="outcome")
    outcome = ReviewOutcome(outcome)
    record = ConcernReview(concern_id=concern.id, reviewer_id=user.id, outcome=outcome)
    record.reasons = reasons
    db.session.add(record)
    concern.status = ConcernStatus.REVIEWED
    db.session.flush()
    db.session.expire(concern, ["reviews"])
    audit.record("concern.review", object_type="concern", object_id=concern.id, detail=outcome)
    return record
