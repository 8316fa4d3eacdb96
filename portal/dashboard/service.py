"""The council dashboard's figures: how many referrals arrived, from where and about what, how
fast they were decided, what was decided, how many children came back within a year, per school.

Counts only: no child is named, so the figures, the charts and their CSV files are safe to share
inside the council (downloading one is still audited as an export). Each figure is counted per
arrival at this LA's front door (a triage item), as the managers' report counts them.

Reads: one query for the arrivals in the period (with their school's LA, for the source), one for
the same children's earlier arrivals in the 12 months before (re-referrals: the same pupil record,
or the same surname and date of birth from any source, schools and partner agencies), and one for the
concern categories of the referrals (the referral form is encrypted, so its categories are read
from it here, never kept elsewhere in the clear). Weeks are Monday to Sunday, UK time, bucketed
in Python so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

import csv
import io
import statistics
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import load_only

from portal import audit
from portal.crypto.normalise import normalise_value, normaliser
from portal.db import db, utcnow
from portal.domain_errors import Invalid, NotFound
from portal.orgs.models import AgencySector, LocalAuthority, School
from portal.orgs import service as orgs
from portal.policy import require
from portal.referrals.choices import CATEGORY_LABELS
from portal.referrals.models import Referral
from portal.transaction import transactional
from portal.triage.models import TriageItem
from portal.triage.service import OUTCOME_LABELS
from portal.working_days import UK

DEFAULT_WEEKS = 12
MAX_DAYS = 2 * 366  # a longer period is refused: its charts would be unreadable and slow
RE_REFERRAL_WINDOW = timedelta(days=365)
SOURCE_SCHOOL = "A school in the area"
SOURCE_OTHER_LA = "Sent on by another local authority"
SOURCE_AGENCY = "A partner agency"
SOURCES = (SOURCE_SCHOOL, SOURCE_OTHER_LA, SOURCE_AGENCY)
# Partner agencies' referrals are also counted by sector ("Police", "Health", ...: TriageItem.source).
AGENCY_SOURCES = {sector.value: sector.label for sector in AgencySector if sector is not AgencySector.SCHOOL}
AWAITING = "Awaiting a decision"


def today() -> date:
    return utcnow().astimezone(UK).date()


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    school_id: uuid.UUID | None = None

    @classmethod
    def default(cls) -> "Filters":
        end = today()
        return cls(start=monday(end) - timedelta(weeks=DEFAULT_WEEKS - 1), end=end)

    def as_args(self) -> dict:
        args = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.school_id:
            args["school"] = str(self.school_id)
        return args


@dataclass
class Table:
    """The figures of one chart: a heading row and rows of (label, values...)."""

    key: str
    title: str
    description: str
    head: list[str]
    rows: list[list]
    kind: str  # how the chart draws it: "stacked_weeks", "bars", "share_weeks", "median_weeks"
    series: list[str] = field(default_factory=list)


@dataclass
class Dashboard:
    la: LocalAuthority
    filters: Filters
    schools: list[tuple[uuid.UUID, str]]
    school_name: str | None
    total: int
    decided: int
    on_time: int
    re_referrals: int
    median_hours: float | None
    tables: dict[str, Table]

    @property
    def share_on_time(self) -> str:
        return percent(self.on_time, self.decided)


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def hours_text(hours: float | None) -> str:
    if hours is None:
        return "–"
    return f"{hours:.1f}"


def validate_filters(la_id: uuid.UUID, start: date | None, end: date | None, school_id: uuid.UUID | None) -> Filters:
    """The filters asked for, or Invalid naming the field (a school of another LA is not found)."""
    default = Filters.default()
    start, end = start or default.start, end or default.end
    if end < start:
        raise Invalid("The end date must be the same as or after the start date", field="end")
    if (end - start).days > MAX_DAYS:
        raise Invalid("Choose a period of 2 years or less", field="start")
    if end > today() + timedelta(days=1):
        raise Invalid("The end date must be today or in the past", field="end")
    if school_id is not None:
        school = db.session.get(School, school_id)
        if school is None or school.local_authority_id != la_id:
            raise Invalid("Select a school from the list", field="school")
    return Filters(start=start, end=end, school_id=school_id)


def schools_of(la_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    return [(row.id, row.name) for row in db.session.execute(
        select(School.id, School.name).where(School.local_authority_id == la_id).order_by(School.name))]


def _users_la(user) -> LocalAuthority:
    la = db.session.get(LocalAuthority, user.local_authority_id) if getattr(user, "local_authority_id", None) else None
    if la is None:
        raise NotFound()
    require("dashboard:view", la)
    return la


def period_slug(start: date | None = None, end: date | None = None, school_id=None) -> str:
    default = Filters.default()
    return f"{(start or default.start).isoformat()}-to-{(end or default.end).isoformat()}"


@transactional
def dashboard_for(user, start: date | None = None, end: date | None = None,
                  school_id: uuid.UUID | None = None) -> Dashboard:
    """The dashboard of the user's LA for the period and school asked (Invalid naming the field
    if they cannot be used; refused for anyone else); looking is audited."""
    la = _users_la(user)
    board = build(la, validate_filters(la.id, start, end, school_id))
    audit.record("dashboard.view", object_type="local_authority", object_id=la.id, actor=user)
    return board


@transactional
def export_table(user, key: str, start: date | None = None, end: date | None = None,
                 school_id: uuid.UUID | None = None) -> tuple[Table, str]:
    """One chart's figures as CSV (counts only); the export is audited."""
    la = _users_la(user)
    board = build(la, validate_filters(la.id, start, end, school_id))
    if key not in board.tables:
        raise NotFound()
    table = board.tables[key]
    audit.record("dashboard.export", object_type="local_authority", object_id=la.id, detail=key, actor=user)
    return table, table_csv(board, table)


def _bounds(filters: Filters) -> tuple[datetime, datetime]:
    return (datetime.combine(filters.start, time(0), tzinfo=UK),
            datetime.combine(filters.end + timedelta(days=1), time(0), tzinfo=UK))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def build(la: LocalAuthority, filters: Filters) -> Dashboard:
    since, until = _bounds(filters)
    where = [TriageItem.local_authority_id == la.id, TriageItem.received_at >= since, TriageItem.received_at < until]
    if filters.school_id:
        where.append(TriageItem.school_id == filters.school_id)
    items = db.session.execute(
        select(TriageItem.id, TriageItem.referral_id, TriageItem.school_id, TriageItem.received_at,
               TriageItem.decided_at, TriageItem.due_at, TriageItem.outcome, Referral.pupil_id,
               TriageItem.source, School.local_authority_id.label("school_la_id"))
        .join(Referral, Referral.id == TriageItem.referral_id)
        .outerjoin(School, School.id == TriageItem.school_id)
        .where(*where)
    ).all()

    # Re-referrals: the same child arrived at this LA in the 12 months before, from any source:
    # the same pupil record, or (every referral since partner agencies came) the same surname and
    # date of birth as the referrer gave them (decrypted here, compared after normalisation).
    earlier: dict[tuple, list[datetime]] = {}
    keys_of: dict[uuid.UUID, list[tuple]] = {}
    if items:
        for referral, received_at in db.session.execute(
            select(Referral, TriageItem.received_at)
            .join(TriageItem, TriageItem.referral_id == Referral.id)
            .where(TriageItem.local_authority_id == la.id, TriageItem.received_at >= since - RE_REFERRAL_WINDOW,
                   TriageItem.received_at < until,
                   *([TriageItem.school_id == filters.school_id] if filters.school_id else []))
            .options(load_only(Referral.pupil_id, Referral.child_surname.ciphertext_column(Referral),
                               Referral.child_date_of_birth.ciphertext_column(Referral)))
        ):
            keys = keys_of.get(referral.id)
            if keys is None:
                keys = keys_of[referral.id] = _child_keys(referral)
            for key in keys:
                earlier.setdefault(key, []).append(_aware(received_at))

    categories: dict[uuid.UUID, list[str]] = {}
    if items:
        for referral in db.session.execute(
            select(Referral).join(TriageItem, TriageItem.referral_id == Referral.id).where(*where)
        ).scalars():
            form = referral.form or {}
            reasons = form.get("reasons")
            codes = reasons.get("categories") if isinstance(reasons, dict) else None
            if not isinstance(codes, list):
                codes = _find_categories(form)
            categories[referral.id] = [c for c in (codes or []) if isinstance(c, str)]

    weeks = []
    cursor = monday(filters.start)
    while cursor <= filters.end:
        weeks.append(cursor)
        cursor += timedelta(days=7)
    week_index = {w: i for i, w in enumerate(weeks)}

    by_source = {s: [0] * len(weeks) for s in SOURCES}
    decided_week = [0] * len(weeks)
    on_time_week = [0] * len(weeks)
    hours_week: list[list[float]] = [[] for _ in weeks]
    re_week = [0] * len(weeks)
    first_week = [0] * len(weeks)
    by_category: dict[str, int] = {}
    by_outcome: dict[str | None, int] = {}
    by_sector: dict[str, int] = {}
    by_school: dict[uuid.UUID, list[int]] = {}
    all_hours: list[float] = []
    decided = on_time = re_referrals = 0

    for item in items:
        received = _aware(item.received_at)
        w = week_index.get(monday(received.astimezone(UK).date()))
        if w is None:
            continue
        if item.school_id is None:
            source = SOURCE_AGENCY
            by_sector[item.source] = by_sector.get(item.source, 0) + 1
        else:
            source = SOURCE_SCHOOL if item.school_la_id == la.id else SOURCE_OTHER_LA
            by_sector[AgencySector.SCHOOL.value] = by_sector.get(AgencySector.SCHOOL.value, 0) + 1
        by_source[source][w] += 1
        # A partner agency's referral counts in every figure but the per-school table.
        school_line = by_school.setdefault(item.school_id, [0, 0, 0, 0]) if item.school_id else [0, 0, 0, 0]
        school_line[0] += 1
        if item.decided_at is not None:
            decided_at = _aware(item.decided_at)
            hours = max((decided_at - received).total_seconds() / 3600, 0.0)
            decided += 1
            decided_week[w] += 1
            hours_week[w].append(hours)
            all_hours.append(hours)
            school_line[1] += 1
            if decided_at <= _aware(item.due_at):
                on_time += 1
                on_time_week[w] += 1
                school_line[2] += 1
        by_outcome[item.outcome] = by_outcome.get(item.outcome, 0) + 1
        previous = [t for key in keys_of.get(item.referral_id, []) for t in earlier.get(key, [])
                    if received - RE_REFERRAL_WINDOW <= t < received]
        if previous:
            re_referrals += 1
            re_week[w] += 1
            school_line[3] += 1
        else:
            first_week[w] += 1
        for code in set(categories.get(item.referral_id, [])) or {"not_recorded"}:
            by_category[code] = by_category.get(code, 0) + 1

    school_names = dict(schools_of(la.id))
    other_names = orgs.school_names(set(by_school) - set(school_names))
    week_labels = [f"{w.day} {w:%b %Y}" for w in weeks]

    tables: dict[str, Table] = {}
    tables["sources"] = Table(
        key="sources", kind="stacked_weeks", series=list(SOURCES),
        title="Referrals received per week, by source",
        description=f"{sum(map(sum, by_source.values()))} referrals from {filters.start.day} {filters.start:%B %Y} to {filters.end.day} {filters.end:%B %Y}; "
                    f"{sum(by_source[SOURCE_AGENCY])} came from partner agencies and "
                    f"{sum(by_source[SOURCE_OTHER_LA])} were sent on by another local authority.",
        head=["Week starting", *SOURCES, "Total"],
        rows=[[week_labels[i], *(by_source[s][i] for s in SOURCES), sum(by_source[s][i] for s in SOURCES)]
              for i in range(len(weeks))],
    )
    sector_rows = sorted(([_sector_label(code), n] for code, n in by_sector.items()), key=lambda row: (-row[1], row[0]))
    tables["sectors"] = Table(
        key="sectors", kind="bars",
        title="Referrals by source",
        description="Where the referrals received in the period came from: schools, and partner agencies by sector "
                    "(police, health, early years and colleges, voluntary organisations, other council services).",
        head=["Source", "Referrals"],
        rows=sector_rows,
    )
    category_rows = sorted(by_category.items(), key=lambda kv: (-kv[1], _category_label(kv[0])))
    tables["categories"] = Table(
        key="categories", kind="bars",
        title="Referrals by concern category",
        description="How many referrals named each category of concern (a referral may name several)."
                    + (f" The most often named: {_category_label(category_rows[0][0])} ({category_rows[0][1]})." if category_rows else ""),
        head=["Concern category", "Referrals"],
        rows=[[_category_label(code), n] for code, n in category_rows],
    )
    tables["timeliness"] = Table(
        key="timeliness", kind="share_weeks",
        title="Share decided within one working day, per week",
        description=f"Of {decided} referrals decided, {on_time} ({percent(on_time, decided)}) were decided within one working day of arrival.",
        head=["Week starting", "Decided", "Within one working day", "Share within one working day"],
        rows=[[week_labels[i], decided_week[i], on_time_week[i], percent(on_time_week[i], decided_week[i])]
              for i in range(len(weeks))],
    )
    median_all = statistics.median(all_hours) if all_hours else None
    tables["median"] = Table(
        key="median", kind="median_weeks",
        title="Median time to decision, per week (hours)",
        description=f"Half the referrals were decided within {hours_text(median_all)} hours of arrival over the period."
                    if median_all is not None else "No referral in the period has been decided yet.",
        head=["Week starting", "Decided", "Median hours to decision"],
        rows=[[week_labels[i], decided_week[i], hours_text(statistics.median(hours_week[i]) if hours_week[i] else None)]
              for i in range(len(weeks))],
    )
    outcome_rows = [[label, by_outcome[code]] for code, label in [*OUTCOME_LABELS.items(), (None, AWAITING)]
                    if by_outcome.get(code)]
    tables["outcomes"] = Table(
        key="outcomes", kind="bars",
        title="Outcomes",
        description="What was decided for the referrals received in the period, and how many await a decision.",
        head=["Outcome", "Referrals"],
        rows=outcome_rows,
    )
    tables["re_referrals"] = Table(
        key="re_referrals", kind="stacked_weeks", series=["First referral in 12 months", "Re-referral within 12 months"],
        title="Re-referrals within 12 months, per week",
        description=f"{re_referrals} of {len(items)} referrals ({percent(re_referrals, len(items))}) were about a child "
                    f"referred to the council in the 12 months before.",
        head=["Week starting", "First referral in 12 months", "Re-referral within 12 months", "Share re-referred"],
        rows=[[week_labels[i], first_week[i], re_week[i], percent(re_week[i], first_week[i] + re_week[i])]
              for i in range(len(weeks))],
    )
    school_rows = sorted(
        ([school_names.get(sid) or other_names.get(sid, "Another school"), *line] for sid, line in by_school.items()),
        key=lambda row: (-row[1], row[0]),
    )
    tables["schools"] = Table(
        key="schools", kind="bars",
        title="Referrals per school",
        description=f"Referrals from {len(school_rows)} schools in the period." if school_rows else "No referrals in the period.",
        head=["School", "Referrals", "Decided", "Decided within one working day", "Re-referrals within 12 months"],
        rows=school_rows,
    )
    return Dashboard(
        la=la, filters=filters, schools=list(school_names.items()),
        school_name=school_names.get(filters.school_id) if filters.school_id else None,
        total=len(items), decided=decided, on_time=on_time, re_referrals=re_referrals,
        median_hours=median_all, tables=tables,
    )


def _child_keys(referral: Referral) -> list[tuple]:
    """What makes two arrivals the same child: the pupil record, and the surname with the date of
    birth the referrer gave (normalised as the blind indexes normalise them)."""
    keys = [("pupil", referral.pupil_id)] if referral.pupil_id else []
    surname, born = referral.child_surname, referral.child_date_of_birth
    if surname and born:
        keys.append(("child", normalise_value(surname, normaliser("text")), born.isoformat()))
    return keys


def _sector_label(code: str) -> str:
    try:
        return AgencySector(code).label
    except ValueError:
        return "Other"


def _find_categories(form: dict) -> list[str]:
    """The referral form keeps its answers by section: the categories are in whichever holds them."""
    for value in form.values():
        if isinstance(value, dict) and isinstance(value.get("categories"), list):
            return value["categories"]
    return []


def _category_label(code: str) -> str:
    if code == "not_recorded":
        return "Not recorded"
    return CATEGORY_LABELS.get(code, "Other")


def table_csv(board: Dashboard, table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Local authority", _safe(board.la.name)])
    writer.writerow(["Period", f"{board.filters.start.isoformat()} to {board.filters.end.isoformat()}"])
    writer.writerow(["School", _safe(board.school_name or "All schools")])
    writer.writerow([table.title])
    writer.writerow(table.head)
    for row in table.rows:
        writer.writerow([_safe(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()


def _safe(text: str) -> str:
    """A school's name opened in a spreadsheet must not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
