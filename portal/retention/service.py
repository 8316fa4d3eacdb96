"""Retention: what is destroyed when, and the legal holds that stop it.

Rules (each names itself in the report and in the audit stub of what it destroyed):

- `cp_records_until_25th_birthday`: a child's child protection records are kept until the
  child's 25th birthday (IRMS Information Management Toolkit for Schools, child protection
  files), then destroyed. A partner agency's referral (police, health, ...) is about a child the
  portal holds no pupil record for: it goes on the 25th birthday of the child as the referrer
  named them (or, if they gave no date of birth, 25 years after it was made), with everything that
  depends on it. For a pupil: the pupil record and everything that depends on it, found by following
  the schema's foreign keys downwards from the pupil row (enrolments, concerns with their
  versions, reviews and links, referrals with their events, triage items, decisions and notes,
  case-system outbox rows, shared updates and their reads, transfers with their events and
  requests, correction drafts, released legal holds), plus the stored files (attachments) those
  rows own. A row of another child's record that merely points at this child (the child named as
  another pupil in a concern, the receiving copy of a transfer) loses that link; the other
  child's record stays. A pupil born on 29 February reaches 25 on 1 March in a common year.
- `abandoned_drafts_after_30_days`: a concern draft nobody has touched for 30 days, with the files
  uploaded to it that no concern took up.
- `expired_tokens_after_1_day`: invitation, password-reset and email-change links, half-finished
  sign-ins and password-reset requests, a day after they expired or were used; sessions a day
  after they ended or timed out.
- `sent_notices_after_90_days`: emails in the mail outbox (they carry no child's details) 90 days
  after they were sent or given up on.

A legal hold in force on a pupil (set by the pupil's school's DSL or the council's LA admin, with a
reason) stops the first rule for that pupil, and for any pupil whose concerns name a held pupil.

`run(apply=False)` reports what would go, by kind and rule, without changing anything;
`run(apply=True)` destroys it, one unit of work per pupil (so a failure stops at a clean point and
a second run carries on), each with an audit event `retention.destroyed` naming the kind of
record, when, and the rule (the pupil's opaque id and nothing personal). Audit events are
never destroyed: the chain stays verifiable.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Table, delete, or_, select, update

from portal import audit
from portal.auth.models import AccountToken, PasswordResetRequest, SignInStage, User, UserSession
from portal.crypto import cipher
from portal.crypto.fields import keyring
from portal.concerns.models import ConcernDraft, ConcernPupil
from portal.db import Base, db, utcnow
from portal.domain_errors import Invalid, NotFound
from portal.files.models import StoredFile
from portal.files.service import delete_stored
from portal.jobs.models import BackgroundJob
from portal.notify.models import MailMessage
from portal.orgs.models import School
from portal.policy import can
from portal.pupils.models import Pupil
from portal.referrals.models import Referral
from portal.retention.models import LegalHold
from portal.transaction import transactional
from portal.transfers.models import Transfer
from portal.triage.models import TriageItem

RULE_CP = "cp_records_until_25th_birthday"
RULE_DRAFTS = "abandoned_drafts_after_30_days"
RULE_TOKENS = "expired_tokens_after_1_day"
RULE_NOTICES = "sent_notices_after_90_days"

DRAFT_DAYS = 30
TOKEN_GRACE = timedelta(days=1)
NOTICE_DAYS = 90
KEEP_UNTIL_AGE = 25

# Rows pointing at a destroyed record whose own record is another child's: the link is cleared
# (set to NULL) or the link row alone removed, never the record it belongs to.
_LINKS_TO_CLEAR = {("transfer", "receiving_pupil_id")}
# Never destroyed by following a foreign key (the audit trail is append-only; people and
# organisations are not a child's record).
_NEVER = {"audit_event", "audit_chain_head", "user_account", "school", "local_authority"}

# What the report calls each table's rows.
KINDS = {
    "pupil": "pupils", "enrolment": "enrolments", "concern": "concerns", "concern_version": "concern versions",
    "concern_pupil": "concern links", "concern_review": "concern reviews", "concern_attachment": "concern attachments",
    "concern_draft": "drafts", "referral": "referrals", "referral_concern": "referral links",
    "referral_event": "referral events", "triage_item": "triage items", "triage_decision": "triage decisions",
    "triage_note": "triage notes", "connector_outbox": "case-system deliveries",
    "connector_delivery_failure": "case-system delivery failures", "shared_update": "updates",
    "shared_update_read": "update reads", "transfer": "transfers", "transfer_event": "transfer events",
    "transfer_attachment": "transfer attachments", "transfer_request": "transfer requests",
    "transfer_request_target": "transfer request targets", "legal_hold": "released legal holds",
    "stored_file": "attachments (files)", "account_token": "expired tokens", "sign_in_stage": "expired sign-in stages",
    "password_reset_request": "expired password-reset requests", "user_session": "ended sessions",
    "mail_outbox": "notices (emails)", "background_job": "court bundles (being made or ready)",
}


@dataclass
class RetentionReport:
    applied: bool
    today: date
    counts: dict[str, Counter] = field(default_factory=dict)  # rule -> kind -> rows
    held: int = 0  # pupils due but under a legal hold
    held_by_link: int = 0  # pupils due whose concerns name a held pupil

    def add(self, rule: str, kind: str, n: int) -> None:
        if n:
            self.counts.setdefault(rule, Counter())[KINDS.get(kind, kind)] += n


def twenty_fifth_birthday(born: date) -> date:
    try:
        return born.replace(year=born.year + KEEP_UNTIL_AGE)
    except ValueError:  # 29 February in a common year
        return date(born.year + KEEP_UNTIL_AGE, 3, 1)


def run(*, apply: bool = False, today: date | None = None, now: datetime | None = None) -> RetentionReport:
    """Every rule, in order. Dry run unless `apply`."""
    now = now or utcnow()
    report = RetentionReport(applied=apply, today=today or now.date())
    for pupil_id in due_pupils(report.today):
        _destroy_pupil(pupil_id, report, apply)
    for referral_id in due_agency_referrals(report.today):
        _destroy_agency_referral(referral_id, report, apply)
    _purge_drafts(now, report, apply)
    _purge_tokens(now, report, apply)
    _purge_notices(now, report, apply)
    return report


@transactional
def due_pupils(today: date, batch: int = 5000) -> list[uuid.UUID]:
    """Pupils whose 25th birthday has come. Dates of birth are encrypted: only that column is
    fetched, in batches, and opened through the cipher (no ORM objects)."""
    field_ = Pupil.date_of_birth
    column = field_.ciphertext_column(Pupil)
    ring, table = keyring(), Pupil.__table__.name
    due, after = [], None
    while True:
        query = select(Pupil.id, column).order_by(Pupil.id).limit(batch)
        if after is not None:
            query = query.where(Pupil.id > after)
        rows = db.session.execute(query).all()
        if not rows:
            break
        connection = db.session.connection()
        for pupil_id, stored in rows:
            born = field_.codec.loads(cipher.decrypt(ring, connection, stored, table=table, column=field_.name,
                                                     row_id=pupil_id))
            if twenty_fifth_birthday(born) <= today:
                due.append(pupil_id)
        after = rows[-1][0]
    return due


def _held_ids() -> set[uuid.UUID]:
    return set(db.session.scalars(select(LegalHold.pupil_id).where(LegalHold.released_at.is_(None))))


def _tables() -> dict[str, Table]:
    return {t.name: t for t in Base.metadata.sorted_tables}


def dependants(pupil_id: uuid.UUID, root: str = "pupil") -> tuple[dict[str, set], dict[tuple[str, str], set]]:
    """Every row that belongs to this pupil's record (table -> ids), and the links from other
    records to clear ((table, column) -> ids of the rows holding the link). `root` names another
    table whose row is the record (an agency's referral: "referral")."""
    tables = _tables()
    rows: dict[str, set] = {root: {pupil_id}}
    links: dict[tuple[str, str], set] = {}
    pending = [root]
    while pending:
        parent = pending.pop()
        parent_ids = rows[parent]
        for table in tables.values():
            if table.name in _NEVER or "id" not in table.c:
                continue
            for fk in table.foreign_keys:
                if fk.column.table.name != parent or fk.column.name != "id":
                    continue
                found = set(db.session.scalars(select(table.c.id).where(fk.parent.in_(parent_ids))))
                if (table.name, fk.parent.name) in _LINKS_TO_CLEAR:
                    found -= rows.get(table.name, set())
                    if found:
                        links.setdefault((table.name, fk.parent.name), set()).update(found)
                    continue
                new = found - rows.get(table.name, set())
                if new:
                    rows.setdefault(table.name, set()).update(new)
                    pending.append(table.name)
    # Background jobs about the child (a court bundle being made, or made and kept for a day) name
    # their subject by an opaque id, not a foreign key: found by it; their PDFs are found below.
    jobs = set(db.session.scalars(select(BackgroundJob.id).where(BackgroundJob.subject_id == pupil_id)))
    if jobs:
        rows["background_job"] = jobs
    # A concern names other pupils through concern_pupil rows: a row naming this pupil in
    # another child's concern was found above as a dependant of the pupil; it is only a link,
    # and goes alone (nothing depends on it).
    # Stored files owned by the rows found (attachments), and files uploaded to correction drafts.
    files = set()
    for table_name, ids in rows.items():
        table = tables[table_name]
        for fk in table.foreign_keys:
            if fk.column.table.name == "stored_file":
                files |= set(db.session.scalars(select(fk.parent).where(table.c.id.in_(ids))))
    for draft in db.session.scalars(select(ConcernDraft).where(ConcernDraft.id.in_(rows.get("concern_draft", set())))):
        files |= {uuid.UUID(value) for value in draft.stored_file_ids or []}
    if files:
        rows["stored_file"] = set(db.session.scalars(select(StoredFile.id).where(StoredFile.id.in_(files))))
    return rows, links


def _linked_pupils(rows: dict[str, set]) -> set[uuid.UUID]:
    """Other pupils named in the concerns about to be destroyed."""
    concern_ids = rows.get("concern", set())
    if not concern_ids:
        return set()
    return set(db.session.scalars(select(ConcernPupil.pupil_id).where(ConcernPupil.concern_id.in_(concern_ids))))


@transactional
def _destroy_pupil(pupil_id: uuid.UUID, report: RetentionReport, apply: bool) -> None:
    held = _held_ids()
    if pupil_id in held:
        report.held += 1
        return
    rows, links = dependants(pupil_id)
    if _linked_pupils(rows) & held:
        report.held_by_link += 1
        return
    for table_name, ids in rows.items():
        report.add(RULE_CP, table_name, len(ids))
    if not apply:
        return
    _delete(rows, links)
    audit.record("retention.destroyed", object_type="pupil", object_id=pupil_id, detail=RULE_CP)


def _delete(rows: dict[str, set], links: dict[tuple[str, str], set]) -> None:
    """Clear the links, delete the rows (children before parents), then the stored files."""
    tables = _tables()
    for (table_name, column), ids in links.items():
        table = tables[table_name]
        db.session.execute(update(table).where(table.c.id.in_(ids)).values({column: None}))
    for table in reversed(list(tables.values())):
        ids = rows.get(table.name)
        if not ids or table.name == "stored_file":
            continue
        statement = delete(table).where(table.c.id.in_(ids))
        if table.name == TriageItem.__tablename__:
            councils = set(db.session.scalars(select(TriageItem.local_authority_id).where(TriageItem.id.in_(ids))))
            db.session.execute(delete(TriageItem).where(TriageItem.id.in_(ids))
                               .execution_options(synchronize_session=False, queue_of=list(councils)))
            continue
        if table.name == Pupil.__tablename__:
            schools = set(db.session.scalars(select(Pupil.school_id).where(Pupil.id.in_(ids))))
            statement = statement.execution_options(roll_of=list(schools))
        db.session.execute(statement)
    for stored in db.session.scalars(select(StoredFile).where(StoredFile.id.in_(rows.get("stored_file", set())))):
        delete_stored(stored)
    db.session.flush()


@transactional
def due_agency_referrals(today: date, batch: int = 5000) -> list[uuid.UUID]:
    """Partner agencies' referrals whose child (as the referrer named them) has turned 25, or,
    with no date of birth given, that were made 25 years ago. Only the date column is opened."""
    field_ = Referral.child_date_of_birth
    column = field_.ciphertext_column(Referral)
    ring, table = keyring(), Referral.__table__.name
    due, after = [], None
    while True:
        query = (select(Referral.id, column, Referral.created_at).where(Referral.agency_id.is_not(None))
                 .order_by(Referral.id).limit(batch))
        if after is not None:
            query = query.where(Referral.id > after)
        rows = db.session.execute(query).all()
        if not rows:
            break
        connection = db.session.connection()
        for referral_id, stored, created_at in rows:
            if stored is None:
                made = created_at.date()
                until = twenty_fifth_birthday(made)
            else:
                born = field_.codec.loads(cipher.decrypt(ring, connection, stored, table=table,
                                                         column=field_.name, row_id=referral_id))
                until = twenty_fifth_birthday(born)
            if until <= today:
                due.append(referral_id)
        after = rows[-1][0]
    return due


@transactional
def _destroy_agency_referral(referral_id: uuid.UUID, report: RetentionReport, apply: bool) -> None:
    """An agency's referral and everything that depends on it (triage item, decisions, notes,
    case-system deliveries, the updates sent back to the agency), as for a pupil's record."""
    rows, links = dependants(referral_id, root="referral")
    for table_name, ids in rows.items():
        report.add(RULE_CP, table_name, len(ids))
    if apply:
        _delete(rows, links)
        audit.record("retention.destroyed", object_type="referral", object_id=referral_id, detail=RULE_CP)


@transactional
def _purge_drafts(now: datetime, report: RetentionReport, apply: bool) -> None:
    cutoff = now - timedelta(days=DRAFT_DAYS)
    drafts = db.session.scalars(select(ConcernDraft).where(ConcernDraft.updated_at < cutoff)).all()
    files = {uuid.UUID(value) for draft in drafts for value in (draft.stored_file_ids or [])}
    from portal.concerns.models import ConcernAttachment  # files a concern took up are the concern's

    taken = set(db.session.scalars(select(ConcernAttachment.stored_file_id).where(ConcernAttachment.stored_file_id.in_(files))))
    stored = db.session.scalars(select(StoredFile).where(StoredFile.id.in_(files - taken))).all()
    report.add(RULE_DRAFTS, "concern_draft", len(drafts))
    report.add(RULE_DRAFTS, "stored_file", len(stored))
    if not apply or not drafts:
        return
    for draft in drafts:
        db.session.delete(draft)
    for each in stored:
        delete_stored(each)
    db.session.flush()
    audit.record("retention.destroyed", object_type="concern_draft", detail=RULE_DRAFTS)


@transactional
def _purge_tokens(now: datetime, report: RetentionReport, apply: bool) -> None:
    cutoff = now - TOKEN_GRACE
    targets = [
        (AccountToken, or_(AccountToken.expires_at < cutoff, AccountToken.used_at < cutoff)),
        (SignInStage, or_(SignInStage.expires_at < cutoff, SignInStage.used_at < cutoff)),
        (PasswordResetRequest, PasswordResetRequest.requested_at < cutoff),
        (UserSession, or_(UserSession.ended_at < cutoff, UserSession.authenticated_at < cutoff - timedelta(
            hours=current_app.config["PORTAL_SETTINGS"].session_absolute_hours))),
    ]
    total = Counter()
    for model, condition in targets:
        ids = set(db.session.scalars(select(model.id).where(condition)))
        total[model.__tablename__] = len(ids)
        report.add(RULE_TOKENS, model.__tablename__, len(ids))
        if apply and ids:
            db.session.execute(delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False))
    if apply and sum(total.values()):
        audit.record("retention.destroyed", object_type="token", detail=RULE_TOKENS)


@transactional
def _purge_notices(now: datetime, report: RetentionReport, apply: bool) -> None:
    cutoff = now - timedelta(days=NOTICE_DAYS)
    condition = or_(MailMessage.sent_at < cutoff, (MailMessage.state == "failed") & (MailMessage.created_at < cutoff))
    ids = set(db.session.scalars(select(MailMessage.id).where(condition)))
    report.add(RULE_NOTICES, "mail_outbox", len(ids))
    if apply and ids:
        db.session.execute(delete(MailMessage).where(MailMessage.id.in_(ids)).execution_options(synchronize_session=False))
        audit.record("retention.destroyed", object_type="mail_outbox", detail=RULE_NOTICES)


# Legal holds ------------------------------------------------------------------------------------

def _acting_user(user):
    """A user, or the email address of one (the command line names who asked for the hold)."""
    if isinstance(user, str):
        found = db.session.scalars(select(User).where(User.email == user.strip().lower())).first()
        if found is None or not found.is_active:
            raise NotFound()
        return found
    return user


@transactional
def place_hold(user, pupil_id: uuid.UUID, reason: str) -> LegalHold:
    """A legal hold on a pupil's records, by their school's DSL or their council's LA admin
    (`user` may be given as their email address)."""
    user = _acting_user(user)
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None:
        raise NotFound()
    if not can(user, "retention:hold", db.session.get(School, pupil.school_id)):
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Enter why the records must be kept")
    if len(reason) > 2000:
        raise Invalid("The reason must be 2000 characters or fewer")
    hold = LegalHold(pupil_id=pupil.id, reason=reason, placed_by_id=getattr(user, "id", None))
    db.session.add(hold)
    db.session.flush()
    audit.record("retention.hold_placed", object_type="legal_hold", object_id=hold.id, actor=user)
    return hold


@transactional
def release_hold(user, hold_id: uuid.UUID, reason: str) -> LegalHold:
    user = _acting_user(user)
    hold = hold_to_release(user, hold_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Enter why the hold is no longer needed")
    hold.released_at, hold.released_by_id, hold.release_reason = utcnow(), getattr(user, "id", None), reason[:2000]
    audit.record("retention.hold_released", object_type="legal_hold", object_id=hold.id, actor=user)
    return hold


@transactional
def holds_in_force() -> list[tuple[uuid.UUID, uuid.UUID, datetime]]:
    """(hold id, pupil id, placed at) of every hold in force: opaque ids only."""
    return [(h.id, h.pupil_id, h.placed_at) for h in db.session.scalars(
        select(LegalHold).where(LegalHold.released_at.is_(None)).order_by(LegalHold.placed_at))]


@dataclass
class PupilHolds:
    pupil: Pupil
    holds: list[LegalHold]


@transactional
def holds_for_pupil(user, pupil_id: uuid.UUID) -> PupilHolds:
    """The pupil and the legal holds in force on their records, for their school's DSL or their
    council's LA admin (anyone else: NotFound). The page names the child: audited."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or not can(user, "retention:hold", db.session.get(School, pupil.school_id)):
        raise NotFound()
    holds = list(db.session.scalars(
        select(LegalHold).where(LegalHold.pupil_id == pupil.id, LegalHold.released_at.is_(None))
        .order_by(LegalHold.placed_at)))
    audit.record("retention.holds_view", object_type="pupil", object_id=pupil.id, actor=user)
    return PupilHolds(pupil, holds)


def hold_to_release(user, hold_id: uuid.UUID) -> LegalHold:
    """A hold in force that `user` may release (their school's, or their council's); else NotFound."""
    hold = db.session.get(LegalHold, hold_id)
    if hold is None or not hold.in_force:
        raise NotFound()
    pupil = db.session.get(Pupil, hold.pupil_id)
    if not can(user, "retention:hold", db.session.get(School, pupil.school_id)):
        raise NotFound()
    return hold
