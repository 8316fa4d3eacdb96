"""Shared updates: what the LA tells a school (or a partner agency about its referral), and who
has read it.

`create_shared_update` is called by the LA's triage pages and by the connector when the case
system sends news. It emails the school's DSLs and deputies (or, for an agency's referral, the
professional who made it and the agency's safeguarding leads) that there is something to read —
a link and the council's name only, never a child's details — once the update has committed.
`addressed_to(referral)` says who an update about a referral goes to: Working Together 2023 asks
the council to tell every referrer the outcome, whoever they are.

Content (encrypted) is a dict: {"title": str, "body": str, "facts": [{"label", "value"}, ...]};
any other string values are shown too, labelled by their key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal import audit
from portal.auth.links import external_url
from portal.auth.models import User
from portal.paging import PageNumbers, clamp_page, page_count
from portal.db import db, utcnow
from portal.domain_errors import Invalid, NotFound
from portal.notify.outbox import queue_email
from portal.orgs.models import Agency, LocalAuthority, School
from portal.policy import can
from portal.pupils.models import Pupil
from portal.pupils.roll_names import display_names
from portal.referrals.models import Referral
from portal.transaction import transactional
from portal.updates.models import KINDS, SharedUpdate, SharedUpdateRead, UpdateKind

KIND_LABELS = {
    UpdateKind.ACKNOWLEDGEMENT: "Acknowledgement",
    UpdateKind.DECISION: "Decision",
    UpdateKind.CASE_SUMMARY: "Case summary",
    UpdateKind.NOTE: "Note",
}


class UpdateRefused(Invalid, ValueError):
    """The update does not fit together (wrong school for the pupil or referral, unknown kind)."""


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def addressed_to(referral: Referral) -> dict:
    """Who hears about this referral: its school, or the partner agency that made it (keyword
    arguments for `create_shared_update`)."""
    if referral.agency_id is not None:
        return {"agency_id": referral.agency_id}
    return {"school_id": referral.school_id}


@transactional
def create_shared_update(*, school_id: uuid.UUID | None = None, local_authority_id: uuid.UUID, kind: str,
                         content: dict, pupil_id: uuid.UUID | None = None, referral_id: uuid.UUID | None = None,
                         created_by=None, agency_id: uuid.UUID | None = None) -> SharedUpdate:
    """Record an update for a school (or, `agency_id`, for a partner agency about its referral),
    audit it, and email its readers (after commit). A unit of work (joined when the triage
    decision or the connector's pull calls it inside theirs).

    `created_by` is the LA user who wrote it (a User or an id), or None for the case system.
    Raises UpdateRefused when the pupil or referral is not the school's (or the agency's): an
    update must never reach an organisation it was not meant for.
    """
    if kind not in KINDS:
        raise UpdateRefused("unknown kind of update")
    if not isinstance(content, dict) or not str(content.get("title") or "").strip():
        raise UpdateRefused("an update needs a title")
    if (school_id is None) == (agency_id is None):
        raise UpdateRefused("an update goes to one school or one agency")
    if agency_id is not None:
        return _create_agency_update(agency_id=agency_id, local_authority_id=local_authority_id, kind=kind,
                                     content=content, pupil_id=pupil_id, referral_id=referral_id,
                                     created_by=created_by)
    school = db.session.get(School, school_id)
    la = db.session.get(LocalAuthority, local_authority_id)
    if school is None or la is None:
        raise UpdateRefused("unknown school or local authority")
    if pupil_id is not None:
        pupil = db.session.get(Pupil, pupil_id)
        if pupil is None or pupil.school_id != school.id:
            raise UpdateRefused("the pupil is not this school's")
    if referral_id is not None:
        referral = db.session.get(Referral, referral_id)
        if referral is None or referral.school_id is None or referral.school_id != school.id \
                or referral.local_authority_id != la.id:
            raise UpdateRefused("the referral is not this school's, or was not sent to this LA")
        if pupil_id is None:
            pupil_id = referral.pupil_id
        elif pupil_id != referral.pupil_id:
            raise UpdateRefused("the referral is about another pupil")
    created_by_id = getattr(created_by, "id", created_by)
    update = SharedUpdate(school_id=school.id, local_authority_id=la.id, pupil_id=pupil_id,
                          referral_id=referral_id, kind=kind, created_by_id=created_by_id)
    update.content = dict(content)
    db.session.add(update)
    db.session.flush()
    audit.record("update.create", object_type="shared_update", object_id=update.id, detail=kind,
                 actor_id=created_by_id, organisation_id=la.id)
    _queue_emails(update, school, la)
    return update


def _create_agency_update(*, agency_id, local_authority_id, kind, content, pupil_id, referral_id,
                          created_by) -> SharedUpdate:
    """An update for a partner agency: always about one of its referrals (never a pupil record)."""
    agency = db.session.get(Agency, agency_id)
    la = db.session.get(LocalAuthority, local_authority_id)
    if agency is None or la is None:
        raise UpdateRefused("unknown agency or local authority")
    if pupil_id is not None or referral_id is None:
        raise UpdateRefused("an agency hears only about its own referrals")
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.agency_id != agency.id or referral.local_authority_id != la.id:
        raise UpdateRefused("the referral is not this agency's, or was not sent to this LA")
    created_by_id = getattr(created_by, "id", created_by)
    update = SharedUpdate(agency_id=agency.id, local_authority_id=la.id, referral_id=referral.id, kind=kind,
                          created_by_id=created_by_id)
    update.content = dict(content)
    db.session.add(update)
    db.session.flush()
    audit.record("update.create", object_type="shared_update", object_id=update.id, detail=kind,
                 actor_id=created_by_id, organisation_id=la.id)
    _queue_agency_emails(update, agency, la, referral)
    return update


def _queue_agency_emails(update: SharedUpdate, agency: Agency, la: LocalAuthority, referral: Referral) -> None:
    """The referrer and the agency's safeguarding leads: whoever may read the update."""
    readers = db.session.execute(
        select(User).where(User.agency_id == agency.id, User.active.is_(True), User.password_hash.is_not(None))
    ).scalars()
    link = external_url("agencies.update", update_id=update.id)
    body = (
        f"{la.name} has sent {agency.name} a new update about a referral in Safeguard Portal "
        f"({kind_label(update.kind).lower()}).\n\n"
        f"Sign in to read it:\n{link}\n\n"
        "This email does not contain any details about children. Do not reply to it."
    )
    for user in readers:
        if can(user, "agency_updates:view", update) and can(user, "agency_referrals:manage", referral):
            queue_email(user.email, f"New update from {la.name}", body)


def _queue_emails(update: SharedUpdate, school: School, la: LocalAuthority) -> None:
    """Into the mail outbox, in the update's transaction: sent once it has committed, never for a
    rolled-back update, and retried if the mail server is down (the inbox has it either way)."""
    readers = db.session.execute(
        select(User).where(User.school_id == school.id, User.active.is_(True), User.password_hash.is_not(None))
    ).scalars()
    link = external_url("updates.show", update_id=update.id)
    body = (
        f"{la.name} has sent {school.name} a new update in Safeguard Portal "
        f"({kind_label(update.kind).lower()}).\n\n"
        f"Sign in to read it:\n{link}\n\n"
        "This email does not contain any details about children. Do not reply to it."
    )
    for user in readers:
        if can(user, "updates:view", update):
            queue_email(user.email, f"New update from {la.name}", body)


# --- reading -------------------------------------------------------------------------------------


def unread_by(user_id):
    """An update this person has not opened (`user_id` a value or a bind parameter)."""
    return ~exists().where(SharedUpdateRead.update_id == SharedUpdate.id, SharedUpdateRead.user_id == user_id)


def _unread_clause(user):
    return unread_by(user.id)


# A school user's unread updates: the navigation's count on every page they see, and the DSL's
# home counts and lists them with the same condition. Built once, with the school and the user
# as bind parameters "school_id" and "user_id" (building the statement and its cache key cost
# about as much as running it).
UNREAD_BY_USER = unread_by(bindparam("user_id"))
SCHOOL_UNREAD = (SharedUpdate.school_id == bindparam("school_id"), UNREAD_BY_USER)
SCHOOL_UNREAD_COUNT = select(func.count(SharedUpdate.id)).where(*SCHOOL_UNREAD)


def unread_count(user) -> int:
    """Updates for the user's school (or, for a partner agency's referrer, about the referrals
    they may see) this person has not opened yet (0 for anyone who may not see them)."""
    if can(user, "agency_updates:view"):
        return db.session.execute(
            select(func.count(SharedUpdate.id)).where(*_agency_scope(user), _unread_clause(user))
        ).scalar_one()
    if not can(user, "updates:view") or user.school_id is None:
        return 0
    return db.session.execute(SCHOOL_UNREAD_COUNT, {"school_id": user.school_id, "user_id": user.id}).scalar_one()


INBOX_PAGE_SIZE = 50


@dataclass
class InboxRow:
    """One line of the inbox: what kind of update, about which child and referral, from whom."""

    update_id: uuid.UUID
    kind: str
    at: datetime
    unread: bool
    sender: str
    child: str | None
    reference: str | None

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


@dataclass
class InboxPage(PageNumbers):
    rows: list[InboxRow]
    total: int
    unread: int
    page: int = 1
    pages: int = 1
    page_size: int = INBOX_PAGE_SIZE


# The inbox's statements, built once on the bind parameters school_id, user_id, and the page's
# skip and size (as SCHOOL_UNREAD above).
_INBOX_COUNTS = (
    select(func.count(SharedUpdate.id), func.coalesce(func.sum(case((UNREAD_BY_USER, 1), else_=0)), 0))
    .where(SharedUpdate.school_id == bindparam("school_id"))
)
_INBOX_ROWS = (
    select(SharedUpdate.id, SharedUpdate.kind, SharedUpdate.created_at, SharedUpdate.pupil_id,
           UNREAD_BY_USER.label("unread"), LocalAuthority.name.label("sender"), Referral.reference)
    .join(LocalAuthority, LocalAuthority.id == SharedUpdate.local_authority_id)
    .outerjoin(Referral, (Referral.id == SharedUpdate.referral_id) & (Referral.school_id == bindparam("school_id")))
    .where(SharedUpdate.school_id == bindparam("school_id"))
    .order_by(SharedUpdate.created_at.desc(), SharedUpdate.id)
    .offset(bindparam("skip")).limit(bindparam("size"))
)


@transactional
def inbox(user, *, page: int = 1, page_size: int = INBOX_PAGE_SIZE) -> InboxPage:
    """One page of the school's updates, newest first, each with whether this person has yet to
    read it, its child (this school's record only), its referral's reference and its sender.

    The same handful of statements whatever the number of updates: the counts, the page's rows
    (columns only, so nothing is left for a commit to expire and reload), and the names of the
    page's children. Audited when it names children."""
    if not can(user, "updates:view"):
        return InboxPage(rows=[], total=0, unread=0)
    school_id = user.school_id
    parameters = {"school_id": school_id, "user_id": user.id}
    total, unread_total = db.session.execute(_INBOX_COUNTS, parameters).one()
    total, unread_total = int(total), int(unread_total)
    pages = page_count(total, page_size)
    page = clamp_page(page, pages)
    rows = db.session.execute(_INBOX_ROWS, {**parameters, "skip": (page - 1) * page_size, "size": page_size}).all()
    names = display_names({row.pupil_id for row in rows if row.pupil_id}, school_id)
    if names:
        audit.record("update.inbox_view", object_type="school", object_id=school_id, actor=user,
                     detail=f"page_{page}_children_{len(names)}")
    return InboxPage(
        rows=[InboxRow(update_id=row.id, kind=row.kind, at=row.created_at, unread=bool(row.unread),
                       sender=row.sender, child=names.get(row.pupil_id), reference=row.reference)
              for row in rows],
        total=total, unread=unread_total, page=page, pages=pages, page_size=page_size,
    )


def updates_for_referral(user, referral) -> list[tuple[SharedUpdate, bool]]:
    unread = _unread_clause(user).label("unread")
    if referral.from_agency:
        if not (can(user, "agency_updates:view") and can(user, "agency_referrals:manage", referral)):
            return []
        to_recipient = SharedUpdate.agency_id == referral.agency_id
    else:
        if not can(user, "updates:view", referral):
            return []
        to_recipient = SharedUpdate.school_id == referral.school_id
    rows = db.session.execute(
        select(SharedUpdate, unread).where(SharedUpdate.referral_id == referral.id, to_recipient)
        .order_by(SharedUpdate.created_at.desc())
    ).all()
    return [(row[0], bool(row[1])) for row in rows]


# --- a partner agency's updates --------------------------------------------------------------------


def _agency_scope(user) -> list:
    """The updates a partner agency's user reads: the agency's, and for a professional only those
    about referrals they made (the safeguarding lead reads all of the agency's)."""
    where = [SharedUpdate.agency_id == user.agency_id, SharedUpdate.agency_id.is_not(None)]
    if not can(user, "agency_referrals:oversee"):
        mine = select(Referral.id).where(Referral.agency_id == user.agency_id, Referral.created_by_id == user.id)
        where.append(SharedUpdate.referral_id.in_(mine))
    return where


@transactional
def agency_inbox(user, *, page: int = 1, page_size: int = INBOX_PAGE_SIZE) -> InboxPage:
    """One page of a partner agency's updates as this user may read them, newest first, each with
    the child as the agency named them and the referral's reference. Audited when it names
    children."""
    if not can(user, "agency_updates:view") or user.agency_id is None:
        return InboxPage(rows=[], total=0, unread=0)
    scope = _agency_scope(user)
    unread = _unread_clause(user)
    total, unread_total = db.session.execute(
        select(func.count(SharedUpdate.id), func.coalesce(func.sum(case((unread, 1), else_=0)), 0)).where(*scope)
    ).one()
    total, unread_total = int(total), int(unread_total)
    pages = page_count(total, page_size)
    page = clamp_page(page, pages)
    rows = db.session.execute(
        select(SharedUpdate.id, SharedUpdate.kind, SharedUpdate.created_at, SharedUpdate.referral_id,
               unread.label("unread"), LocalAuthority.name.label("sender"), Referral.reference)
        .join(LocalAuthority, LocalAuthority.id == SharedUpdate.local_authority_id)
        .outerjoin(Referral, (Referral.id == SharedUpdate.referral_id) & (Referral.agency_id == user.agency_id))
        .where(*scope)
        .order_by(SharedUpdate.created_at.desc(), SharedUpdate.id)
        .offset((page - 1) * page_size).limit(page_size)
    ).all()
    referral_ids = {row.referral_id for row in rows if row.referral_id}
    names = {}
    if referral_ids:
        names = {r.id: r.child_display_name for r in db.session.execute(
            select(Referral).where(Referral.id.in_(referral_ids), Referral.agency_id == user.agency_id)).scalars()}
    if names:
        audit.record("update.inbox_view", object_type="agency", object_id=user.agency_id, actor=user,
                     detail=f"page_{page}_children_{len(names)}")
    return InboxPage(
        rows=[InboxRow(update_id=row.id, kind=row.kind, at=row.created_at, unread=bool(row.unread),
                       sender=row.sender, child=names.get(row.referral_id) or None, reference=row.reference)
              for row in rows],
        total=total, unread=unread_total, page=page, pages=pages, page_size=page_size,
    )


@transactional
def read_agency_update(user, update_id: uuid.UUID) -> OpenedUpdate:
    """A partner agency's update (404 unless this user may read it: their agency's, and for a
    professional about a referral they made), marked read by them; the view is audited."""
    update = db.session.get(SharedUpdate, update_id)
    referral = db.session.get(Referral, update.referral_id) if update is not None and update.referral_id else None
    if update is None or referral is None or not can(user, "agency_updates:view", update) \
            or not can(user, "agency_referrals:manage", referral):
        raise NotFound("No such update")
    mark_read(update, user)
    audit.record("update.view", object_type="shared_update", object_id=update.id, actor=user)
    return OpenedUpdate(update=update, la=db.session.get(LocalAuthority, update.local_authority_id), pupil=None,
                        referral=referral, facts=facts(update))


@transactional
def open_update(user, update_id: uuid.UUID) -> SharedUpdate:
    """The update (404 unless it is for the user's school), marked read by them; the view is audited."""
    update = db.session.get(SharedUpdate, update_id)
    if update is None or update.school_id is None or not can(user, "updates:view", update):
        raise NotFound("No such update")
    mark_read(update, user)
    audit.record("update.view", object_type="shared_update", object_id=update.id, actor=user)
    return update


@dataclass
class OpenedUpdate:
    """An update as its page shows it: the pupil and referral only when the reader may see them."""

    update: SharedUpdate
    la: LocalAuthority
    pupil: Pupil | None
    referral: Referral | None
    facts: list[tuple[str, str]]


@transactional
def read_update(user, update_id: uuid.UUID) -> OpenedUpdate:
    """`open_update` with what its page shows beside it."""
    update = open_update(user, update_id)
    pupil = db.session.get(Pupil, update.pupil_id) if update.pupil_id else None
    referral = db.session.get(Referral, update.referral_id) if update.referral_id else None
    return OpenedUpdate(
        update=update,
        la=db.session.get(LocalAuthority, update.local_authority_id),
        pupil=pupil if pupil is not None and pupil.school_id == user.school_id else None,
        referral=referral if referral is not None and can(user, "referrals:manage", referral) else None,
        facts=facts(update),
    )


def mark_read(update: SharedUpdate, user) -> None:
    """Record that this person has read it (once: opening it in two tabs at once is harmless)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(SharedUpdateRead.__table__)
        .values(id=uuid.uuid4(), update_id=update.id, user_id=user.id, read_at=utcnow())
        .on_conflict_do_nothing(index_elements=["update_id", "user_id"])
    )


def facts(update: SharedUpdate) -> list[tuple[str, str]]:
    """The update's labelled details, in order: its "facts", then any other text values."""
    content = update.content
    rows = [(str(f.get("label", "")), str(f.get("value", ""))) for f in content.get("facts") or [] if isinstance(f, dict)]
    for key, value in content.items():
        if key in ("title", "body", "facts") or value in (None, "") or isinstance(value, (dict, list)):
            continue
        rows.append((key.replace("_", " ").capitalize(), str(value)))
    return rows
