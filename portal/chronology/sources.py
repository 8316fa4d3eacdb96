"""Adapters: each kind of record becomes chronology entries.

An adapter is a function `(ctx: Context) -> Iterable[Entry]` registered with `@source(name)`. It
asks the context for this pupil's records (each kind loaded with ONE query, restricted to this
pupil and this pupil's school, so only this pupil's ciphertexts are ever decrypted), keeps those
inside the date window and those the viewer may see (portal.policy, record by record), and says
what each means. Adding a kind of record — the LA's decisions, transfers — is one such function
in this module and nothing else.

Encrypted fields decrypt when read, so a record outside the window or the filter is never
decrypted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from typing import Callable, Iterable

from sqlalchemy import and_, bindparam, select, union

from portal.chronology.entries import Entry
from portal.chronology.vocabulary import (
    CASE_STATUS_LABELS,
    DECISION_LABELS,
    REFERRAL_STATUS_LABELS,
    REVIEW_OUTCOME_LABELS,
    ROLE_LABELS,
    UPDATE_KIND_LABELS,
    CATEGORY_LABELS,
    category_labels,
    label,
    portal_categories,
)
from portal.concerns.models import Concern, ConcernPupil, ConcernReview, ConcernStatus, ConcernVersion, PupilRole
from portal.db import db
from portal.policy import can
from portal.pupils.models import Pupil
from portal.referrals.models import Referral, ReferralConcern, ReferralEvent, ReferralStatus
from portal.templating import uk_date, uk_datetime
from portal.updates.models import SharedUpdate

Source = Callable[["Context"], Iterable[Entry]]
SOURCES: dict[str, Source] = {}


def source(name: str):
    """Register an adapter. The name is for reading and for tests; order does not matter."""

    def register(fn: Source) -> Source:
        if name in SOURCES:
            raise RuntimeError(f"two chronology sources called {name}")
        SOURCES[name] = fn
        return fn

    return register


def kind(code: str, label: str) -> None:
    """Name a kind of entry that an area above this one adds with its own adapter (registered
    from portal.wiring, so the chronology never imports that area): an Operation Encompass
    notice, say."""
    from portal.chronology.entries import KIND_LABELS

    if KIND_LABELS.get(code, label) != label:
        raise RuntimeError(f"two labels for the chronology kind {code}")
    KIND_LABELS[code] = label


# --- what the adapters share ----------------------------------------------------------------


@dataclass
class PupilConcern:
    """A concern as it concerns this pupil: with this pupil's own role and every version."""

    concern: Concern
    role: str
    versions: list[ConcernVersion] = field(default_factory=list)

    @property
    def latest(self) -> ConcernVersion | None:
        return self.versions[-1] if self.versions else None

    @cached_property
    def content(self) -> dict:
        latest = self.latest
        return latest.content if latest is not None else {}

    @cached_property
    def categories(self) -> frozenset[str]:
        return portal_categories(self.content.get("categories"))


@dataclass
class PupilReferral:
    referral: Referral
    concern_ids: list[uuid.UUID] = field(default_factory=list)
    # Filled by Context.referrals from the concerns this referral links (already loaded).
    linked_categories: frozenset[str] = frozenset()

    @cached_property
    def reasons(self) -> dict:
        form = self.referral.form or {}
        reasons = form.get("reasons") if isinstance(form, dict) else None
        return reasons if isinstance(reasons, dict) else {}

    @cached_property
    def categories(self) -> frozenset[str]:
        return self.linked_categories | portal_categories(self.reasons.get("categories"))


@dataclass
class Context:
    """The question being asked (whose chronology, seen by whom, between which moments) and
    this pupil's records, each kind loaded once and shared between adapters."""

    pupil: Pupil
    viewer: object
    start: datetime | None = None  # inclusive, UTC
    end: datetime | None = None  # exclusive, UTC

    def within(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        if self.start is not None and moment < self.start:
            return False
        return self.end is None or moment < self.end

    @cached_property
    def parameters(self) -> dict:
        """The values of the statements' bind parameters (see "The statements" below)."""
        return {"pupil_id": self.pupil.id, "school_id": self.pupil.school_id, "start": self.start, "end": self.end}

    @property
    def bounds(self) -> tuple[bool, bool]:
        """Which ends the date window has: picks the statement that filters by them (`windowed`)."""
        return self.start is not None, self.end is not None

    def may(self, action: str, obj) -> bool:
        return can(self.viewer, action, obj)

    # --- concerns: one query for the concerns and this pupil's role, one for every version ----

    @cached_property
    def concerns(self) -> dict[uuid.UUID, PupilConcern]:
        rows = db.session.execute(_CONCERNS, self.parameters).all()
        found: dict[uuid.UUID, PupilConcern] = {}
        for concern, linked in rows:
            if not self.may("concern:view", concern):
                continue
            # The subject always has a ConcernPupil row; without one the pupil is the subject.
            role = linked.role if linked is not None else PupilRole.SUBJECT
            found[concern.id] = PupilConcern(concern=concern, role=role)
        if found:
            versions = db.session.execute(_CONCERN_VERSIONS, self.parameters).scalars()
            for version in versions:
                if version.concern_id in found:
                    found[version.concern_id].versions.append(version)
        return found

    # --- referrals: one query for the referrals, one for the concerns they link ----------------

    @cached_property
    def referrals(self) -> dict[uuid.UUID, PupilReferral]:
        rows = db.session.execute(_REFERRALS, self.parameters).scalars()
        found = {r.id: PupilReferral(referral=r) for r in rows if self.may("referrals:manage", r)}
        if found:
            links = db.session.execute(_REFERRAL_CONCERNS, self.parameters).all()
            for referral_id, concern_id in links:
                if referral_id in found:
                    found[referral_id].concern_ids.append(concern_id)
            for item in found.values():
                item.linked_categories = frozenset().union(
                    *(self.concerns[c].categories for c in item.concern_ids if c in self.concerns)
                )
        return found


# --- the statements -------------------------------------------------------------------------
#
# Built once, on the bind parameters `pupil_id`, `school_id` (the pupil's school) and, for the
# kinds loaded by their own date, `start` and `end` (`Context.parameters`): building a statement
# and working out its cache key on every request cost the page more than running it (issue 22).
# An adapter in another area builds its own the same way (`windowed`, `Context.parameters`).


def window_conditions(column, has_start: bool, has_end: bool) -> list:
    """The date window as conditions on `column`, on the bind parameters `start` and `end`."""
    conditions = []
    if has_start:
        conditions.append(column >= bindparam("start"))
    if has_end:
        conditions.append(column < bindparam("end"))
    return conditions


def windowed(build: Callable[[bool, bool], object]) -> Callable[["Context"], object]:
    """A statement with the date window, built once for each of the window's four shapes (open or
    bounded at either end): `build(has_start, has_end)`; call the result with the context."""
    made = cache(build)
    return lambda ctx: made(*ctx.bounds)


# This pupil's concerns (as the subject, or linked) at the pupil's school, as a subquery so bulk
# loads need no long list of ids. A union of two index lookups (the pupil's link rows, and
# concerns naming the pupil as subject) rather than an OR across the school's concerns: its cost
# follows the pupil's record, not the size of the school.
_MINE = union(
    select(ConcernPupil.concern_id.label("id")).where(ConcernPupil.pupil_id == bindparam("pupil_id")),
    select(Concern.id.label("id")).where(Concern.pupil_id == bindparam("pupil_id")),
).subquery()
CONCERN_IDS = select(Concern.id).where(Concern.id.in_(select(_MINE.c.id)), Concern.school_id == bindparam("school_id"))
_CONCERNS = (
    select(Concern, ConcernPupil)
    .outerjoin(ConcernPupil, and_(ConcernPupil.concern_id == Concern.id, ConcernPupil.pupil_id == bindparam("pupil_id")))
    .where(Concern.id.in_(CONCERN_IDS))
)
_CONCERN_VERSIONS = (
    select(ConcernVersion)
    .where(ConcernVersion.concern_id.in_(CONCERN_IDS))
    .order_by(ConcernVersion.concern_id, ConcernVersion.version)
)
_REFERRALS = select(Referral).where(
    Referral.pupil_id == bindparam("pupil_id"),
    Referral.school_id == bindparam("school_id"),
    # A draft has been sent to nobody: it is work in progress, not part of the record.
    Referral.submitted_at.is_not(None),
    Referral.status != ReferralStatus.DRAFT,
)
REFERRAL_IDS = select(Referral.id).where(
    Referral.pupil_id == bindparam("pupil_id"), Referral.school_id == bindparam("school_id"),
    Referral.submitted_at.is_not(None),
)
_REFERRAL_CONCERNS = select(ReferralConcern.referral_id, ReferralConcern.concern_id).where(
    ReferralConcern.referral_id.in_(REFERRAL_IDS)
)
_REVIEWS = windowed(lambda has_start, has_end: select(ConcernReview).where(
    ConcernReview.concern_id.in_(CONCERN_IDS), *window_conditions(ConcernReview.reviewed_at, has_start, has_end)))
_REFERRAL_EVENTS = windowed(lambda has_start, has_end: select(ReferralEvent).where(
    ReferralEvent.referral_id.in_(REFERRAL_IDS),
    # Submission is the referral's own entry; a draft was never anyone else's business.
    ReferralEvent.status.not_in((ReferralStatus.DRAFT, ReferralStatus.SUBMITTED)),
    *window_conditions(ReferralEvent.at, has_start, has_end),
))
_SHARED_UPDATES = windowed(lambda has_start, has_end: select(SharedUpdate).where(
    SharedUpdate.pupil_id == bindparam("pupil_id"),
    SharedUpdate.school_id == bindparam("school_id"),
    *window_conditions(SharedUpdate.created_at, has_start, has_end),
))


def _text(value) -> str:
    """A stored answer as text: lists joined, blanks empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(_text(v) for v in value if _text(v))
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_text(v)}" for k, v in value.items() if _text(v))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).strip()


def _iso_date(value) -> str | None:
    """An ISO date from the case system, written the GOV.UK way (left as it came if it is not one)."""
    if not value:
        return None
    try:
        return uk_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _details(*pairs: tuple[str, object]) -> tuple[tuple[str, str], ...]:
    """(label, text) pairs, leaving out the blank ones."""
    return tuple((name, _text(value)) for name, value in pairs if _text(value))


def _concern_summary(item: PupilConcern) -> str:
    words = category_labels(sorted(item.categories, key=_category_order), item.content.get("other_category"))
    return ", ".join(words) if words else "Concern"


def _category_order(code: str) -> int:
    codes = list(CATEGORY_LABELS)
    return codes.index(code) if code in codes else len(codes)


# --- concerns, their corrections and their reviews ------------------------------------------


@source("concerns")
def concern_entries(ctx: Context) -> Iterable[Entry]:
    for item in ctx.concerns.values():
        concern = item.concern
        # A backdated concern takes its place by when it happened.
        if not ctx.within(concern.occurred_at):
            continue
        content = item.content
        body_map = content.get("body_map") or []
        yield Entry(
            at=concern.occurred_at,
            kind="concern",
            summary=_concern_summary(item),
            object_type="concern",
            object_id=concern.id,
            who_id=concern.logged_by_id,
            categories=item.categories,
            urgent=concern.urgent,
            link=f"/concerns/{concern.id}",
            details=_details(
                # This pupil's own role only: a concern about several pupils shows each theirs.
                ("Role of this pupil", label(ROLE_LABELS, item.role)),
                ("Where", content.get("location")),
                ("What was seen or heard", content.get("account")),
                ("Action taken", content.get("action_taken")),
                ("Who was told", content.get("people_informed")),
                ("Body map", f"{len(body_map)} mark{'s' if len(body_map) != 1 else ''} recorded" if body_map else None),
                ("Recorded", uk_datetime(concern.logged_at)),
                ("Version", f"{concern.current_version} (corrected)" if concern.current_version > 1 else None),
                ("Status", "Awaiting DSL review" if concern.status == ConcernStatus.AWAITING_REVIEW else None),
            ),
        )


@source("concern corrections")
def correction_entries(ctx: Context) -> Iterable[Entry]:
    for item in ctx.concerns.values():
        for version in item.versions:
            if version.version <= 1 or not ctx.within(version.created_at):
                continue
            yield Entry(
                at=version.created_at,
                kind="concern_correction",
                summary=f"Concern of {uk_date(item.concern.occurred_at)} corrected (version {version.version})",
                object_type="concern",
                object_id=item.concern.id,
                who_id=version.created_by_id,
                categories=item.categories,
                link=f"/concerns/{item.concern.id}",
                sequence=version.version,
                details=_details(("Reason for the correction", version.change_reason)),
            )


@source("reviews")
def review_entries(ctx: Context) -> Iterable[Entry]:
    if not ctx.concerns:
        return
    reviews = db.session.execute(_REVIEWS(ctx), ctx.parameters).scalars()
    for review in reviews:
        item = ctx.concerns.get(review.concern_id)
        if item is None:
            continue
        yield Entry(
            at=review.reviewed_at,
            kind="concern_review",
            summary=f"{label(REVIEW_OUTCOME_LABELS, review.outcome)} (concern of {uk_date(item.concern.occurred_at)})",
            object_type="concern",
            object_id=item.concern.id,
            who_id=review.reviewer_id,
            categories=item.categories,
            link=f"/concerns/{item.concern.id}",
            sequence=100,
            details=_details(("Reasons", review.reasons)),
        )


# --- referrals and their progress -----------------------------------------------------------


@source("referrals")
def referral_entries(ctx: Context) -> Iterable[Entry]:
    for item in ctx.referrals.values():
        referral = item.referral
        if not ctx.within(referral.submitted_at):
            continue
        linked = [ctx.concerns[c] for c in item.concern_ids if c in ctx.concerns]
        linked_text = ", ".join(
            f"{uk_date(p.concern.occurred_at)} ({_concern_summary(p)})"
            for p in sorted(linked, key=lambda p: p.concern.occurred_at)
        )
        reasons = item.reasons
        yield Entry(
            at=referral.submitted_at,
            kind="referral",
            summary=f"Referral {referral.reference} submitted" if referral.reference else "Referral submitted",
            object_type="referral",
            object_id=referral.id,
            who_id=referral.submitted_by_id or referral.created_by_id,
            categories=item.categories,
            urgent=referral.urgent,
            link=f"/referrals/{referral.id}",
            sequence=200,
            details=_details(
                ("Immediate risk", "Yes: flagged urgent" if referral.urgent else None),
                ("Categories", category_labels(sorted(item.categories, key=_category_order), reasons.get("other_category"))),
                ("Reason for referral", reasons.get("reason") or reasons.get("summary")),
                ("Linked concerns", linked_text),
                ("Status now", label(REFERRAL_STATUS_LABELS, referral.status)),
            ),
        )


@source("referral status")
def referral_status_entries(ctx: Context) -> Iterable[Entry]:
    if not ctx.referrals:
        return
    events = db.session.execute(_REFERRAL_EVENTS(ctx), ctx.parameters).scalars()
    for event in events:
        item = ctx.referrals.get(event.referral_id)
        if item is None:
            continue
        reference = item.referral.reference
        yield Entry(
            at=event.at,
            kind="referral_status",
            summary=f"Referral {reference + ' ' if reference else ''}{label(REFERRAL_STATUS_LABELS, event.status).lower()}",
            object_type="referral",
            object_id=item.referral.id,
            who_id=event.by_user_id,
            categories=item.categories,
            link=f"/referrals/{item.referral.id}",
            sequence=300,
        )


# --- what the LA has told the school ---------------------------------------------------------

# The LA's decision reaches a school only as a shared update of kind "decision": the LA's own
# record of it (portal.triage.models.TriageDecision) holds internal reasons and the RAG rating,
# which are never shown to a school, so no adapter reads that table.
_UPDATE_KINDS = {"decision": "decision", "case_summary": "case_summary"}


@source("shared updates")
def shared_update_entries(ctx: Context) -> Iterable[Entry]:
    updates = db.session.execute(_SHARED_UPDATES(ctx), ctx.parameters).scalars()
    for update in updates:
        if not ctx.may("updates:view", update):
            continue
        content = update.content or {}
        referral = ctx.referrals.get(update.referral_id) if update.referral_id else None
        kind = _UPDATE_KINDS.get(update.kind, "shared_update")
        yield Entry(
            at=update.created_at,
            kind=kind,
            summary=_text(content.get("title")) or label(UPDATE_KIND_LABELS, update.kind),
            object_type="shared_update",
            object_id=update.id,
            who_id=update.created_by_id,
            who="" if update.created_by_id else "The local authority",
            categories=referral.categories if referral else frozenset(),
            link=f"/updates/{update.id}",
            sequence=400,
            details=_update_details(content),
        )


# What an update may carry besides its title and body, in the order a reader wants it, with the
# words for each (and how to write its value). Anything else the LA wrote is shown labelled by
# its key (as the updates inbox does), so nothing the school was sent is hidden here.
_UPDATE_FIELDS: tuple[tuple[str, str, Callable[[object], object]], ...] = (
    ("outcome", "Decision", lambda v: label(DECISION_LABELS, v)),
    ("rag", "RAG rating", lambda v: str(v).capitalize()),
    ("status", "Status", lambda v: label(CASE_STATUS_LABELS, v)),
    ("cp_category", "Child protection category", lambda v: label({}, v)),
    ("start_date", "Start date", lambda v: _iso_date(v)),
    ("allocated_worker", "Allocated worker", lambda v: v),
    ("team", "Team", lambda v: v),
    ("next_review_date", "Next review or conference", lambda v: _iso_date(v)),
    ("reasons", "Reasons", lambda v: v),
    ("feedback_for_school", "Feedback for the school", lambda v: v),
    ("note_for_school", "Note for the school", lambda v: v),
)
_UPDATE_SHOWN_ELSEWHERE = {"title", "body", "facts", "decision"} | {key for key, _, _ in _UPDATE_FIELDS}


def _update_details(content: dict) -> tuple[tuple[str, str], ...]:
    # A decision may come as its own object inside the update (the connector's shape).
    fields = dict(content)
    if isinstance(content.get("decision"), dict):
        fields = {**content["decision"], **{k: v for k, v in content.items() if k != "decision"}}
    pairs: list[tuple[str, object]] = [("Message", content.get("body"))]
    for fact in content.get("facts") or ():
        if isinstance(fact, dict):
            pairs.append((_text(fact.get("label")) or "Detail", fact.get("value")))
    for key, name, show in _UPDATE_FIELDS:
        if fields.get(key) not in (None, ""):
            pairs.append((name, show(fields[key])))
    for key, value in content.items():
        if key not in _UPDATE_SHOWN_ELSEWHERE and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            pairs.append((key.replace("_", " ").capitalize(), value))
    return _details(*pairs)
