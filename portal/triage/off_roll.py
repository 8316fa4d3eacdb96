"""Off-roll notices flagged to the council's triage (portal.cme): a notice about a child who has a
concern or referral open. The CME officer works the notice; triage workers see it beside their
queue (the panel on the queue page) and read it, nothing more. The first to open one marks it
seen for the others.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from portal import audit
from portal.cme import service as cme
from portal.cme.models import OPEN_STATUSES, OffRollNotice
from portal.db import db, utcnow
from portal.domain_errors import NotFound
from portal.policy import can
from portal.transaction import transactional
from portal.triage.models import OffRollFlag

# How many flagged notices the panel lists (open ones, newest first).
PANEL_SHOWN = 20
REASON_LABELS = {"concern": "an open concern", "referral": "an open referral", "encompass": "an Operation Encompass notice"}


def flag(notice, reasons) -> OffRollFlag:
    """Put a notice on its council's triage panel (once)."""
    existing = db.session.execute(select(OffRollFlag).where(OffRollFlag.notice_id == notice.id)).scalar_one_or_none()
    if existing is not None:
        existing.reasons = sorted(set(existing.reasons or []) | set(reasons))
        return existing
    row = OffRollFlag(notice_id=notice.id, local_authority_id=notice.local_authority_id, flagged_at=utcnow())
    row.reasons = list(reasons)
    db.session.add(row)
    db.session.flush()
    return row


@dataclass
class PanelLine:
    flag: OffRollFlag
    child: str
    school: str
    status: str
    reasons: str


@transactional
def panel(user) -> list[PanelLine] | None:
    """The triage worker's LA's flagged notices still open (None for anyone who may not read
    them); names children, so the read is audited."""
    if not can(user, "cme:triage_view"):
        return None
    rows = db.session.execute(
        select(OffRollFlag, OffRollNotice).join(OffRollNotice, OffRollNotice.id == OffRollFlag.notice_id)
        .where(OffRollFlag.local_authority_id == user.local_authority_id,
               OffRollNotice.status.in_(list(OPEN_STATUSES)))
        .order_by(OffRollFlag.flagged_at.desc()).limit(PANEL_SHOWN)
    ).all()
    lines = []
    for row, notice in rows:
        details = notice.pupil_details or {}
        lines.append(PanelLine(
            flag=row,
            child=" ".join(p for p in (details.get("legal_forename"), details.get("legal_surname")) if p),
            school=details.get("school_name") or "",
            status=notice.status,
            reasons=", ".join(REASON_LABELS.get(r, r) for r in (row.reasons or [])),
        ))
    if lines:
        audit.record("triage.off_roll_panel_view", object_type="local_authority", object_id=user.local_authority_id)
    return lines


@dataclass
class FlaggedNotice:
    flag: OffRollFlag
    page: cme.NoticePage
    reasons: list[str]


@transactional
def open_flag(user, flag_id) -> FlaggedNotice:
    """A flagged notice, read only (the read is audited by the CME area); the first triage worker
    to open it marks it seen."""
    try:
        flag_id = flag_id if isinstance(flag_id, uuid.UUID) else uuid.UUID(str(flag_id))
    except ValueError:
        raise NotFound() from None
    row = db.session.get(OffRollFlag, flag_id)
    if row is None:
        raise NotFound()
    page = cme.notice_for_triage(user, row.notice_id)
    if row.seen_at is None:
        row.seen_at = utcnow()
        row.seen_by_id = user.id
    return FlaggedNotice(flag=row, page=page, reasons=[REASON_LABELS.get(r, r) for r in (row.reasons or [])])
