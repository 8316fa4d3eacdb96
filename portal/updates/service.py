"""Shared updates: what the LA tells a school, and who at the school has read it.

`create_shared_update` is called by the LA's triage pages and by the connector when the case
system sends news. It emails the school's DSLs and deputies that there is something to read —
a link and the council's name only, never a child's details — once the update has committed.

Content (encrypted) is a dict: {"title": str, "body": str, "facts": [{"label", "value"}, ...]};
any other string values are shown too, labelled by their key.
"""

from __future__ import annotations

import logging
import uuid

from flask import abort
from sqlalchemy import event, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.db import utcnow
from portal.db import db
from portal.orgs.models import LocalAuthority, School
from portal.policy import can
from portal.updates.models import KINDS, SharedUpdate, SharedUpdateRead

log = logging.getLogger(__name__)

KIND_LABELS = {
    "acknowledgement": "Acknowledgement",
    "decision": "Decision",
    "case_summary": "Case summary",
    "note": "Note",
}
PENDING_EMAILS = "portal_update_emails"


class UpdateRefused(ValueError):
    """The update does not fit together (wrong school for the pupil or referral, unknown kind)."""


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def create_shared_update(*, school_id: uuid.UUID, local_authority_id: uuid.UUID, kind: str, content: dict,
                         pupil_id: uuid.UUID | None = None, referral_id: uuid.UUID | None = None,
                         created_by=None) -> SharedUpdate:
    """Record an update for a school, audit it, and email its DSLs (after commit). The caller commits.

    `created_by` is the LA user who wrote it (a User or an id), or None for the case system.
    Raises UpdateRefused when the pupil or referral is not the school's: an update must never
    reach a school it was not meant for.
    """
    from portal.pupils.models import Pupil
    from portal.referrals.models import Referral

    if kind not in KINDS:
        raise UpdateRefused("unknown kind of update")
    if not isinstance(content, dict) or not str(content.get("title") or "").strip():
        raise UpdateRefused("an update needs a title")
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
        if referral is None or referral.school_id != school.id or referral.local_authority_id != la.id:
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


def _queue_emails(update: SharedUpdate, school: School, la: LocalAuthority) -> None:
    from portal.auth.links import external_url

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
            db.session.info.setdefault(PENDING_EMAILS, []).append(
                (user.email, f"New update from {la.name}", body)
            )


@event.listens_for(Session, "after_commit")
def _send_after_commit(session):
    """Emails go only once the update exists for good: a rolled-back update sends nothing."""
    emails = session.info.pop(PENDING_EMAILS, [])
    if not emails:
        return
    from portal.notify import EmailNotSent, send_email

    for to, subject, body in emails:
        try:
            send_email(to, subject, body)
        except EmailNotSent:
            # The update is in the inbox either way; the count on the home page shows it.
            log.warning("update email not sent")
        except RuntimeError:  # no app context: nothing can be sent
            log.warning("update email not sent: no application context")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop(PENDING_EMAILS, None)


# --- reading -------------------------------------------------------------------------------------


def _unread_clause(user):
    return ~exists().where(SharedUpdateRead.update_id == SharedUpdate.id, SharedUpdateRead.user_id == user.id)


def unread_count(user) -> int:
    """Updates for the user's school this person has not opened yet (0 for anyone who may not see them)."""
    if not can(user, "updates:view"):
        return 0
    return db.session.execute(
        select(func.count(SharedUpdate.id)).where(SharedUpdate.school_id == user.school_id, _unread_clause(user))
    ).scalar_one()


def inbox(user) -> list[tuple[SharedUpdate, bool]]:
    """The school's updates, newest first, each with whether this person has yet to read it."""
    unread = _unread_clause(user).label("unread")
    rows = db.session.execute(
        select(SharedUpdate, unread).where(SharedUpdate.school_id == user.school_id)
        .order_by(SharedUpdate.created_at.desc(), SharedUpdate.id)
    ).all()
    return [(row[0], bool(row[1])) for row in rows]


def updates_for_referral(user, referral) -> list[tuple[SharedUpdate, bool]]:
    if not can(user, "updates:view", referral):
        return []
    unread = _unread_clause(user).label("unread")
    rows = db.session.execute(
        select(SharedUpdate, unread).where(SharedUpdate.referral_id == referral.id,
                                           SharedUpdate.school_id == referral.school_id)
        .order_by(SharedUpdate.created_at.desc())
    ).all()
    return [(row[0], bool(row[1])) for row in rows]


def open_update(user, update_id: uuid.UUID) -> SharedUpdate:
    """The update (404 unless it is for the user's school), marked read by them; the view is audited."""
    update = db.session.get(SharedUpdate, update_id)
    if update is None or not can(user, "updates:view", update):
        abort(404)
    mark_read(update, user)
    audit.record("update.view", object_type="shared_update", object_id=update.id, actor=user)
    return update


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
