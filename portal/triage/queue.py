"""The LA's incoming referrals queue: urgent first, then oldest first, filtered and paged in SQL.

Speed with hundreds of thousands of referrals comes from three choices:
- the queue reads the narrow `triage_item` table, whose indexes match the queue's order column
  for column (see portal/triage/models.py), so a page is an index range scan of 25-50 rows;
- the counts are computed over the LA's open items only (the ones a worker acts on), in one query
  that reads a partial covering index and never the table (ix_triage_item_open_counts);
- nothing is decrypted except the names of the children on the page being shown, fetched in the
  same statement as the page's rows;
- the default view is four statements in all: the session (with its user and organisation), the
  counts, the rows, and the LA's schools for the filter (a filtered view adds its own total).
- a page is computed once and reused by every triage worker of the council for a few seconds
  (QueueCache below): keyed on the council's `queue_version`, which every committed change to
  the queue moves on (portal/triage/queue_changes.py), so a decision, an assignment or a new
  arrival shows on the very next page view; and never past the moment the next open item
  becomes overdue, so breach marking is never late.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from markupsafe import Markup
from sqlalchemy import Row, and_, case, func, or_, select
from sqlalchemy.orm import load_only

from portal.auth.models import User
from portal.db import utcnow
from portal.db import db
from portal.orgs.models import Agency, AgencyKind, AgencyReferralArea, AgencySector, School
from portal.pupils.models import Pupil
from portal.referrals.models import Referral
from portal.triage.decision_deadline import Clock, clock_for
from portal.triage.models import ItemState, TriageItem

PER_PAGE = 25
# Counting every one of 180,000 decided referrals to print "7,200 pages" helps nobody and costs a
# full index scan per page view: beyond this many, the page says "more than 10,000".
COUNT_CAP = 10_000
STATUS_FILTERS = {
    "open": "Awaiting a decision",
    ItemState.NEW: "New",
    ItemState.IN_TRIAGE: "In triage",
    ItemState.DECIDED: "Decided",
    ItemState.ROUTED: "Sent to another LA",
    "all": "All",
}
URGENCY_FILTERS = {"": "Any", "urgent": "Urgent", "not_urgent": "Not urgent"}
# Where referrals come from: schools, or partner agencies by sector (TriageItem.source).
SOURCE_FILTERS = {"": "All sources", **{sector.value: sector.label for sector in AgencySector}}


@dataclass
class QueueFilters:
    status: str = "open"
    school_id: uuid.UUID | None = None
    source: str = ""
    agency_id: uuid.UUID | None = None
    urgency: str = ""
    mine: bool = False
    breached: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        status = args.get("status", "open")
        urgency = args.get("urgency", "")
        try:
            school_id = uuid.UUID(args.get("school", "")) if args.get("school") else None
        except ValueError:
            school_id = None
        try:
            agency_id = uuid.UUID(args.get("agency", "")) if args.get("agency") else None
        except ValueError:
            agency_id = None
        source = args.get("source", "")
        try:
            page = max(1, min(int(args.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        return cls(
            status=status if status in STATUS_FILTERS else "open",
            school_id=school_id,
            source=source if source in SOURCE_FILTERS else "",
            agency_id=agency_id,
            urgency=urgency if urgency in URGENCY_FILTERS else "",
            mine=args.get("mine") == "yes",
            breached=args.get("breached") == "yes",
            page=page,
        )

    def args(self, **changes) -> dict:
        """Query-string values for a link that keeps these filters (and changes some)."""
        values = {"status": self.status, "school": str(self.school_id) if self.school_id else None,
                  "source": self.source or None, "agency": str(self.agency_id) if self.agency_id else None,
                  "urgency": self.urgency or None, "mine": "yes" if self.mine else None,
                  "breached": "yes" if self.breached else None, "page": self.page if self.page > 1 else None}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class QueueRow:
    item: Row  # the queue item's columns (read-only, named as on TriageItem)
    reference: str
    school_name: str  # where it came from: the school, or the partner agency (with its kind)
    child_name: str
    assignee_name: str | None
    clock: Clock | None


@dataclass
class QueueCounts:
    open: int = 0
    new: int = 0
    breached: int = 0
    urgent: int = 0
    mine: int = 0
    unassigned: int = 0


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    per_page: int
    counts: QueueCounts
    schools: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    agencies: list[tuple[uuid.UUID, str]] = field(default_factory=list)

    capped: bool = False
    # Rendered parts of the page shared with the other workers who see this same page (see
    # _SharedPage.fragments): filled by the view on first use.
    fragments: dict[str, str] = field(default_factory=dict)

    def fragment(self, name: str, render: Callable[[], str]) -> Markup:
        """The part of the page called `name`, rendered by `render` only if no one has yet.

        Only for parts that are the same whoever looks (the table, the filter form): rendering
        them was half the cost of a queue page. Racing requests may both render; either result is
        the same, so no lock."""
        if name not in self.fragments:
            self.fragments[name] = Markup(render())
        return self.fragments[name]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def total_text(self) -> str:
        if self.capped:
            return f"More than {COUNT_CAP:,} referrals"
        return f"{self.total:,} referral{'' if self.total == 1 else 's'}"

    @property
    def pages_text(self) -> str:
        return f"more than {self.pages - 1:,}" if self.capped else f"{self.pages:,}"


def _conditions(user: User, filters: QueueFilters, now: datetime) -> list:
    where = [TriageItem.local_authority_id == user.local_authority_id]
    if filters.status == "open":
        where.append(TriageItem.open.is_(True))
    elif filters.status != "all":
        where.append(TriageItem.state == filters.status)
    if filters.school_id:
        where.append(TriageItem.school_id == filters.school_id)
    if filters.source:
        where.append(TriageItem.source == filters.source)
    if filters.agency_id:
        where.append(TriageItem.agency_id == filters.agency_id)
    if filters.urgency == "urgent":
        where.append(TriageItem.urgent.is_(True))
    elif filters.urgency == "not_urgent":
        where.append(TriageItem.urgent.is_(False))
    if filters.mine:
        where.append(TriageItem.assigned_to_id == user.id)
    if filters.breached:
        if filters.status in ("open", "new", "in_triage"):
            where.append(TriageItem.due_at <= now)
        else:
            # Open and past the deadline, or decided after it.
            where.append(or_(and_(TriageItem.open.is_(True), TriageItem.due_at <= now),
                             TriageItem.decided_at > TriageItem.due_at))
    return where


@dataclass(frozen=True)
class CouncilCounts:
    """The council's open items counted once for all its workers: per assignee, so that each
    worker's own "assigned to me" comes from the same figures."""

    by_assignee: dict  # assignee id (None: unassigned) -> (open, new, overdue, urgent)
    next_due: datetime | None  # when the next open item becomes overdue

    def for_user(self, user_id: uuid.UUID) -> QueueCounts:
        totals = [sum(values[i] for values in self.by_assignee.values()) for i in range(4)]
        return QueueCounts(open=totals[0], new=totals[1], breached=totals[2], urgent=totals[3],
                           mine=self.by_assignee.get(user_id, (0,))[0],
                           unassigned=self.by_assignee.get(None, (0,))[0])


def council_counts(la_id: uuid.UUID, now: datetime) -> CouncilCounts:
    """Numbers for the LA's open items, in one pass over the open-items index."""
    rows = db.session.execute(
        select(
            TriageItem.assigned_to_id,
            func.count(),
            func.sum(case((TriageItem.state == ItemState.NEW, 1), else_=0)),
            func.sum(case((TriageItem.due_at <= now, 1), else_=0)),
            func.sum(case((TriageItem.urgent.is_(True), 1), else_=0)),
            func.min(case((TriageItem.due_at > now, TriageItem.due_at))),
        # Bare `open` (not `open IS true`): the form that lets PostgreSQL use the partial index
        # ix_triage_item_open_counts, an index-only scan (see portal/triage/models.py).
        ).where(TriageItem.local_authority_id == la_id, TriageItem.open)
        .group_by(TriageItem.assigned_to_id)
    ).all()
    dues = [row[5] for row in rows if row[5] is not None]
    return CouncilCounts(by_assignee={row[0]: tuple(int(v or 0) for v in row[1:5]) for row in rows},
                         next_due=min(dues) if dues else None)


@dataclass(frozen=True)
class _SharedPage:
    """What every worker of one council sees alike for one set of filters."""

    rows: list[QueueRow]
    total: int
    page: int
    capped: bool
    counts: CouncilCounts
    schools: list[tuple[uuid.UUID, str]]
    computed_at: datetime
    agencies: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    fragments: dict[str, str] = field(default_factory=dict)

    def valid_until(self, seconds: int) -> datetime:
        until = self.computed_at + timedelta(seconds=seconds)
        # An item crossing its deadline must show as overdue at once, not up to `seconds` later.
        return min(until, self.counts.next_due) if self.counts.next_due else until


class QueueCache:
    """Queue pages computed in this process, reused while the council's queue is unchanged.

    Why: a busy front door has a dozen workers looking at the same queue, each refreshing it; the
    page's database work and decryption are the same for all of them. What is kept: the rows of
    the pages viewed recently (children's names among them), in this process's memory only (never
    Redis, never disk), for a few seconds, keyed by council: a worker is only ever given a page
    of their own council, and only after the policy has let them see the queue.
    """

    def __init__(self, size: int = 256):
        self._size = size
        self._pages: OrderedDict[tuple, _SharedPage] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers serve several requests at once

    def get(self, key: tuple, now: datetime, seconds: int) -> _SharedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if not page.computed_at <= now < page.valid_until(seconds):
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: _SharedPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def _cache() -> QueueCache:
    return current_app.extensions.setdefault("triage_queue_cache", QueueCache())


def queue_page(user: User, filters: QueueFilters, *, per_page: int = PER_PAGE, now: datetime | None = None) -> QueuePage:
    now = now or utcnow()
    seconds = current_app.config.get("PORTAL_QUEUE_CACHE_SECONDS", 10)
    shared = None
    if seconds > 0:
        # The version comes with the signed-in user's organisation, loaded for every page anyway.
        key = (user.local_authority_id, user.local_authority.queue_version, filters.status, filters.school_id,
               filters.source, filters.agency_id, filters.urgency, user.id if filters.mine else None, filters.breached, filters.page, per_page)
        shared = _cache().get(key, now, seconds)
    if shared is None:
        shared = _compute_page(user, filters, per_page, now)
        if seconds > 0:
            _cache().put(key, shared)
    return QueuePage(rows=shared.rows, total=shared.total, page=shared.page, per_page=per_page,
                     counts=shared.counts.for_user(user.id), schools=shared.schools, agencies=shared.agencies,
                     capped=shared.capped,
                     fragments=shared.fragments)


def _compute_page(user: User, filters: QueueFilters, per_page: int, now: datetime) -> _SharedPage:
    where = _conditions(user, filters, now)
    summary = council_counts(user.local_authority_id, now)
    if filters == QueueFilters(page=filters.page):
        total, capped = summary.for_user(user.id).open, False  # the default view: the count is already known
    else:
        limited = select(TriageItem.id).where(*where).limit(COUNT_CAP + 1).subquery()
        total = db.session.execute(select(func.count()).select_from(limited)).scalar_one()
        capped = total > COUNT_CAP
    pages = max(1, -(-total // per_page))
    page = min(filters.page, pages)
    order = (TriageItem.urgent.desc(), TriageItem.received_at, TriageItem.id)
    # First the page's ids alone (an index range scan, however deep the page), then the joins for
    # those 25 rows only: joining before the OFFSET would join every skipped row too.
    page_ids = (select(TriageItem.id).where(*where).order_by(*order)
                .limit(per_page).offset((page - 1) * per_page).scalar_subquery())
    # One statement for the rows, their children and names. The queue item's columns come back as
    # a plain row (read-only attributes, same names as TriageItem's): the page only shows them,
    # and building 25 tracked ORM objects per view cost more than the query itself.
    rows = db.session.execute(
        select(TriageItem.__table__, Referral.reference, School.name.label("school_name"),
               Agency.name.label("agency_name"), Agency.kind.label("agency_kind"),
               User.display_name.label("assignee_name"), Pupil, Referral)
        .join(Referral, Referral.id == TriageItem.referral_id)
        .outerjoin(School, School.id == TriageItem.school_id)
        .outerjoin(Agency, Agency.id == TriageItem.agency_id)
        .outerjoin(Pupil, Pupil.id == Referral.pupil_id)
        .outerjoin(User, User.id == TriageItem.assigned_to_id)
        .where(TriageItem.id.in_(page_ids))
        .order_by(*order)
        # Only the name fields of the child (not the address, NHS number...): less to fetch. A
        # partner agency's referral names the child itself (no pupil record).
        .options(load_only(Pupil.preferred_name.ciphertext_column(Pupil),
                           Pupil.legal_forename.ciphertext_column(Pupil),
                           Pupil.legal_surname.ciphertext_column(Pupil)),
                 load_only(Referral.child_forename.ciphertext_column(Referral),
                           Referral.child_surname.ciphertext_column(Referral)))
    ).all()
    out = [
        # The only decryption on the page: the names of these children.
        QueueRow(item=row, reference=row.reference or "", school_name=_source_name(row),
                 child_name=row.Pupil.display_name if row.Pupil is not None else row.Referral.child_display_name,
                 assignee_name=row.assignee_name,
                 clock=clock_for(row.due_at, now) if row.open else None)
        for row in rows
    ]
    return _SharedPage(rows=out, total=total, page=page, capped=capped, counts=summary,
                       schools=la_schools(user.local_authority_id), computed_at=now,
                       agencies=la_agencies(user.local_authority_id))


def _source_name(row) -> str:
    if row.agency_name:
        return f"{row.agency_name} ({AgencyKind(row.agency_kind).label})"
    return row.school_name or ""


def la_agencies(la_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The partner agencies that may refer to this LA: its own, and its neighbours' that may."""
    neighbours = select(AgencyReferralArea.agency_id).where(AgencyReferralArea.local_authority_id == la_id)
    return [(agency_id, name) for agency_id, name in db.session.execute(
        select(Agency.id, Agency.name).where((Agency.local_authority_id == la_id) | Agency.id.in_(neighbours))
        .order_by(Agency.name)
    )]


def la_schools(la_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    return [(school_id, name) for school_id, name in db.session.execute(
        select(School.id, School.name).where(School.local_authority_id == la_id).order_by(School.name)
    )]
