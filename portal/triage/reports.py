"""Managers' reports: what arrived at the LA over a period, how it was decided, and how fast.

Counted per arrival at this LA (a referral sent on to another LA counts once here, as "referred to
another local authority", and once there). Counts only: no child's details, so the CSV is safe to
share inside the council; downloading it is still audited as an export.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select

from portal import audit
from portal.db import db, utcnow
from portal.orgs.models import AgencySector, School
from portal.transaction import transactional
from portal.triage.models import TriageItem
from portal.triage.service import OUTCOME_LABELS
from portal.working_days import UK

AWAITING = "Awaiting a decision"


@dataclass
class Line:
    label: str
    referrals: int
    decided: int
    on_time: int

    @property
    def share_on_time(self) -> str:
        """Share of the decided ones decided within one working day."""
        return f"{round(100 * self.on_time / self.decided)}%" if self.decided else "–"


@dataclass
class Week:
    starts: date
    count: int


@dataclass
class Report:
    start: date
    end: date
    total: Line
    by_school: list[Line] = field(default_factory=list)
    by_source: list[Line] = field(default_factory=list)
    by_outcome: list[Line] = field(default_factory=list)
    by_urgency: list[Line] = field(default_factory=list)
    weeks: list[Week] = field(default_factory=list)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time(0), tzinfo=UK),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=UK))


def _measures():
    decided = func.coalesce(func.sum(case((TriageItem.decided_at.is_not(None), 1), else_=0)), 0)
    on_time = func.coalesce(func.sum(case((TriageItem.decided_at <= TriageItem.due_at, 1), else_=0)), 0)
    return func.count(), decided, on_time


def today() -> date:
    """Today in England (where the reporting periods are counted)."""
    return utcnow().astimezone(UK).date()


@transactional
def export_report(user, start: date, end: date) -> Report:
    """The report of the user's LA for download: the export is audited (counts only, no child)."""
    report = build_report(user.local_authority_id, start, end)
    audit.record("triage.report_export", object_type="local_authority", object_id=user.local_authority_id,
                 detail="csv", actor=user)
    return report


def build_report(la_id: uuid.UUID, start: date, end: date) -> Report:
    since, until = _bounds(start, end)
    where = [TriageItem.local_authority_id == la_id, TriageItem.received_at >= since, TriageItem.received_at < until]
    count, decided, on_time = _measures()
    total = db.session.execute(select(count, decided, on_time).where(*where)).one()
    by_school = db.session.execute(
        select(School.name, count, decided, on_time).join(School, School.id == TriageItem.school_id)
        .where(*where).group_by(School.name).order_by(School.name)
    ).all()
    by_source = dict((src, (n, d, t)) for src, n, d, t in db.session.execute(
        select(TriageItem.source, count, decided, on_time).where(*where).group_by(TriageItem.source)
    ).all())
    by_outcome = dict((o, (n, d, t)) for o, n, d, t in db.session.execute(
        select(TriageItem.outcome, count, decided, on_time).where(*where).group_by(TriageItem.outcome)
    ).all())
    by_urgency = dict((u, (n, d, t)) for u, n, d, t in db.session.execute(
        select(TriageItem.urgent, count, decided, on_time).where(*where).group_by(TriageItem.urgent)
    ).all())
    report = Report(start=start, end=end, total=Line("All referrals", *map(int, total)))
    report.by_school = [Line(name, int(n), int(d), int(t)) for name, n, d, t in by_school]
    # Schools, then partner agencies by sector (police, health, ...), in a fixed order.
    for sector in AgencySector:
        if sector.value in by_source:
            report.by_source.append(Line(sector.label, *map(int, by_source[sector.value])))
    for code, label in [*OUTCOME_LABELS.items(), (None, AWAITING)]:
        if code in by_outcome:
            report.by_outcome.append(Line(label, *map(int, by_outcome[code])))
    for flag, label in ((True, "Urgent"), (False, "Not urgent")):
        n, d, t = by_urgency.get(flag, (0, 0, 0))
        report.by_urgency.append(Line(label, int(n), int(d), int(t)))
    report.weeks = _weeks(where, start, end)
    return report


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weeks(where, start: date, end: date) -> list[Week]:
    """Referrals received per week (Monday to Sunday, UK time), every week shown even when empty."""
    counts: dict[date, int] = {}
    # Only the arrival times are read; bucketing in Python keeps SQLite and PostgreSQL alike.
    for (received_at,) in db.session.execute(select(TriageItem.received_at).where(*where)):
        week = _monday(received_at.astimezone(UK).date())
        counts[week] = counts.get(week, 0) + 1
    weeks, cursor = [], _monday(start)
    while cursor <= end:
        weeks.append(Week(cursor, counts.get(cursor, 0)))
        cursor += timedelta(days=7)
    return weeks


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Period", f"{report.start.isoformat()} to {report.end.isoformat()}"])
    writer.writerow(["Group", "Value", "Referrals", "Decided", "Decided within one working day", "Share decided within one working day"])
    sections = [("Total", [report.total]), ("Source", report.by_source), ("School", report.by_school),
                ("Outcome", report.by_outcome),
                ("Urgency", report.by_urgency)]
    for group, lines in sections:
        for line in lines:
            writer.writerow([group, _safe(line.label), line.referrals, line.decided, line.on_time, line.share_on_time])
    for week in report.weeks:
        writer.writerow(["Week starting", week.starts.isoformat(), week.count, "", "", ""])
    return out.getvalue()


def _safe(text: str) -> str:
    """A school's name opened in a spreadsheet must not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    max_count: int
    axis_y: float
    ticks: list[tuple[float, int]]


def weekly_chart(weeks: list[Week], *, width: int = 640, height: int = 240) -> Chart:
    """Bar positions for a server-drawn SVG of referrals per week."""
    left, bottom, top = 40.0, 40.0, 10.0
    plot_h = height - bottom - top
    top_count = max([w.count for w in weeks] + [1])
    slot = (width - left - 10) / max(len(weeks), 1)
    bars = []
    for i, week in enumerate(weeks):
        h = plot_h * week.count / top_count
        bars.append(Bar(x=left + i * slot + slot * 0.15, y=top + plot_h - h, width=slot * 0.7, height=h,
                        count=week.count, label=f"{week.starts.day}/{week.starts.month}"))
    ticks = [(top + plot_h - plot_h * v / top_count, v) for v in sorted({0, top_count // 2, top_count})]
    return Chart(width=width, height=height, bars=bars, max_count=top_count, axis_y=top + plot_h, ticks=ticks)
