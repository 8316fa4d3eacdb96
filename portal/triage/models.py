"""The LA's side of a referral: its place in a triage queue, the decision, internal notes, and
the LA's sharing policy for case summaries.

A `TriageItem` is one arrival of a referral at one LA's "front door". A referral normally has
one; "referred to another LA" closes the first LA's item and opens a new one (the next `round`)
in the other LA's queue, with a clock of its own. Keeping the queue in its own narrow table means
the queue page sorts and filters on plain indexed columns (never on encrypted ones) without
touching the referral table's wide encrypted rows, and each LA's reports count what arrived at
that LA, even when it was sent on.

What schools may see is decided elsewhere (shared updates): nothing in these tables is ever shown
to a school. Internal notes, reasons and the RAG rating stay with the LA.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow

class DecisionOutcome(StrEnum):
    """What the LA decided about a referral."""

    NO_FURTHER_ACTION = "no_further_action"
    ADVICE_AND_SIGNPOSTING = "advice_and_signposting"
    EARLY_HELP = "early_help"
    CHILD_AND_FAMILY_ASSESSMENT = "child_and_family_assessment"
    SECTION_47_ENQUIRY = "section_47_enquiry"
    REFERRED_TO_ANOTHER_LA = "referred_to_another_la"


class Rag(StrEnum):
    """The LA's internal red/amber/green rating (never shown to a school)."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class ItemState(StrEnum):
    NEW = "new"  # arrived, not yet opened
    IN_TRIAGE = "in_triage"  # opened or assigned
    DECIDED = "decided"
    ROUTED = "routed"  # sent to another LA


class NoteKind(StrEnum):
    NOTE = "note"  # a worker's note
    ROUTING = "routing"  # the note sent with a referral from another LA


OUTCOMES = tuple(DecisionOutcome)
RAG_RATINGS = tuple(Rag)
ITEM_STATES = tuple(ItemState)
OPEN_STATES = (ItemState.NEW, ItemState.IN_TRIAGE)


class TriageItem(UUIDPrimaryKey, Base):
    __tablename__ = "triage_item"
    __table_args__ = (UniqueConstraint("referral_id", "round", name="uq_triage_item_referral_round"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    # Whether this is where the referral is now (False once it has been sent on to another LA).
    current: Mapped[bool] = mapped_column(default=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    # Where the referral came from: a school (school_id), or a partner agency (agency_id), and
    # the broad source the queue filters and the reports count by (an AgencySector value:
    # "school", "police", "health", ...), copied from the referral on arrival.
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="school", server_default="school")
    urgent: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # One working day after receipt (weekends and bank holidays skipped), fixed on arrival.
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default=ItemState.NEW)
    # new or in_triage: a plain boolean so that the queue's main index matches it exactly.
    open: Mapped[bool] = mapped_column(default=True)
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime | None]
    rag: Mapped[str | None] = mapped_column(String(10))
    first_opened_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))

    @property
    def breached(self) -> bool:
        if self.open:
            return self.due_at <= utcnow()
        return self.decided_at is not None and self.decided_at > self.due_at


# The queue's orders are "urgent first, then oldest first": each index below matches one of the
# queue's views column for column, so a page is an index range scan that stops after 25-50 rows.
Index("ix_triage_item_queue_open", TriageItem.local_authority_id, TriageItem.open,
      TriageItem.urgent.desc(), TriageItem.received_at)
Index("ix_triage_item_queue_state", TriageItem.local_authority_id, TriageItem.state,
      TriageItem.urgent.desc(), TriageItem.received_at)
Index("ix_triage_item_queue_all", TriageItem.local_authority_id, TriageItem.urgent.desc(), TriageItem.received_at)
Index("ix_triage_item_school", TriageItem.school_id, TriageItem.urgent.desc(), TriageItem.received_at)
# Breached: open items whose deadline has passed, and "assigned to me".
Index("ix_triage_item_open_due", TriageItem.local_authority_id, TriageItem.open, TriageItem.due_at)
Index("ix_triage_item_assignee", TriageItem.assigned_to_id, TriageItem.open)
# The queue page's counts (open, new, overdue, urgent, mine, unassigned) on every page view: a
# partial index of the open items holding every column the counts read, so they are an
# index-only scan of a few thousand small entries instead of thousands of scattered table pages
# (6 ms -> 0.6 ms with 3,000 open items). The counts' WHERE must say `open`, not `open IS true`,
# for PostgreSQL to see that this index applies.
Index("ix_triage_item_open_counts", TriageItem.local_authority_id, TriageItem.state, TriageItem.urgent,
      TriageItem.due_at, TriageItem.assigned_to_id,
      postgresql_where=TriageItem.open, sqlite_where=TriageItem.open)


class TriageDecision(UUIDPrimaryKey, Base):
    """The LA's decision on one arrival of a referral. One per item: the unique constraint is the
    last word when two workers decide at the same moment."""

    __tablename__ = "triage_decision"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("triage_item.id"), unique=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    outcome: Mapped[str] = mapped_column(String(40))
    rag: Mapped[str | None] = mapped_column(String(10))
    decided_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    within_deadline: Mapped[bool]
    routed_to_la_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("local_authority.id"))
    shared_update_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shared_update.id"))
    # The LA's reasons (internal) and the feedback the school reads.
    reasons = encrypted(str)
    feedback = encrypted(str)


class TriageNote(UUIDPrimaryKey, Base):
    """A note internal to one LA about a referral. Never shown to a school, never in a school's
    email or export; another LA (after routing) sees only the notes written for it."""

    __tablename__ = "triage_note"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    # The LA whose record this note is part of.
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # note: a worker's note; routing: the note sent with a referral from another LA.
    kind: Mapped[str] = mapped_column(String(20), default=NoteKind.NOTE)
    text = encrypted(str)


# The case-summary fields a council may choose to share with schools (its sharing policy picks
# among them). The connector's contract (portal.connector.payload) carries exactly these.
SHAREABLE_SUMMARY_FIELDS = (
    "status",
    "cp_category",
    "start_date",
    "allocated_worker",
    "team",
    "next_review_date",
    "note_for_school",
)


class Audience(StrEnum):
    """Who a sharing policy is for: the LA's schools, or the partner agencies that refer to it."""

    SCHOOLS = "schools"
    AGENCIES = "agencies"


AUDIENCES = tuple(Audience)


class SharingPolicy(UUIDPrimaryKey, Base):
    """Which case-summary fields an LA lets its schools (or, separately, its partner agencies)
    see. No row: none (deny by default)."""

    __tablename__ = "sharing_policy"
    __table_args__ = (UniqueConstraint("local_authority_id", "audience", name="uq_sharing_policy_la_audience"),)

    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    audience: Mapped[str] = mapped_column(String(20), default=Audience.SCHOOLS, server_default="schools")
    # Codes from SHAREABLE_SUMMARY_FIELDS; no personal data.
    fields: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))


class SharingPolicyChange(UUIDPrimaryKey, Base):
    """Every change of a sharing policy, so the LA can show what schools could see, and when."""

    __tablename__ = "sharing_policy_change"

    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    audience: Mapped[str] = mapped_column(String(20), default=Audience.SCHOOLS, server_default="schools")
    changed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    fields_before: Mapped[list] = mapped_column(JSON, default=list)
    fields_after: Mapped[list] = mapped_column(JSON, default=list)


class OffRollFlag(UUIDPrimaryKey, Base):
    """An off-roll notice (portal.cme) about a child the school or council already holds something
    open about (a concern, a referral): shown to the LA's triage workers beside their queue, with
    a read-only view of the notice. The CME officer still works the notice; triage only sees it."""

    __tablename__ = "off_roll_flag"

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("off_roll_notice.id"), unique=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # What is open about the child ("concern", "referral", ...): encrypted, since next to a
    # notice about one child it says something about them.
    reasons = encrypted(list)
    # The first triage worker who opened it (the panel marks the others "new").
    seen_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    seen_at: Mapped[datetime | None]
