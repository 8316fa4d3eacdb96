"""The chronology adapter for off-roll notices (children missing education).

The chronology (portal.chronology) sits above this area in the area order (.importlinter), so
this module never imports it: portal.wiring hands it the chronology's registry and its `Entry`
class (`register(sources, Entry)`), the way Operation Encompass's adapter is plugged in, and the
chronology calls `off_roll_entries(ctx)` like any of its own adapters (`ctx`: its Context, used
only for `pupil`, `window` and `may`).

A sent notice is an entry of its own kind ("Off-roll notice", in the "children missing education
or from home" category) at the moment it was sent; its outcome, once the council's CME officer
closed it, is a second entry ("Children missing education outcome") at the moment it was closed.
Only the school that sent it sees them (the policy's `cme:answer`, record by record), and so the
child protection file the school sends when the pupil moves (portal.transfers.snapshot freezes the
sending DSL's chronology) carries them. A draft is nobody's chronology.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import bindparam, select

from portal.cme.models import (
    DESTINATION_LABELS,
    GROUND_LABELS,
    OUTCOME_LABELS,
    NoticeStatus,
    OffRollNotice,
    ground_reference,
)
from portal.db import db
from portal.orgs.models import LocalAuthority
from portal.templating import uk_date, uk_datetime

SENT_KIND = "off_roll_notice"
SENT_LABEL = "Off-roll notice"
OUTCOME_KIND = "off_roll_outcome"
OUTCOME_LABEL = "Children missing education outcome"
# The concern category the chronology's filter knows for children missing education.
CATEGORY = "missing"
SOURCE_NAME = "off-roll notices"

# The chronology's Entry class, handed over by register() (this area cannot import it).
_entry_class = None


def register(sources, entry_class) -> None:
    """Called by portal.wiring with portal.chronology.sources and portal.chronology.entries.Entry
    (once per app; a second app in the same process finds it done)."""
    global _entry_class
    _entry_class = entry_class
    sources.kind(SENT_KIND, SENT_LABEL)
    sources.kind(OUTCOME_KIND, OUTCOME_LABEL)
    if sources.SOURCES.get(SOURCE_NAME) is not off_roll_entries:
        sources.source(SOURCE_NAME)(off_roll_entries)


def _label(labels: dict, value) -> str:
    try:
        return labels.get(value, value or "")
    except TypeError:
        return ""


# Built once, on the chronology's bind parameters `pupil_id` and `school_id` (its context's
# `parameters`): building it on every request cost more than running it.
_NOTICES = (
    select(OffRollNotice, LocalAuthority.name)
    .join(LocalAuthority, LocalAuthority.id == OffRollNotice.local_authority_id)
    .where(OffRollNotice.pupil_id == bindparam("pupil_id"), OffRollNotice.school_id == bindparam("school_id"),
           OffRollNotice.status != NoticeStatus.DRAFT, OffRollNotice.sent_at.is_not(None))
    .order_by(OffRollNotice.sent_at)
)


def off_roll_entries(ctx) -> Iterable:
    Entry = _entry_class
    rows = db.session.execute(_NOTICES, ctx.parameters).all()
    for notice, council in rows:
        if not ctx.may("cme:answer", notice):
            continue
        link = f"/cme/notices/{notice.id}"
        if ctx.within(notice.sent_at):
            answers = notice.answers or {}
            grounds = answers.get("grounds")
            last_day = answers.get("last_attendance")
            destination = _label(DESTINATION_LABELS, answers.get("destination_kind"))
            if answers.get("destination_detail"):
                destination = f"{destination}: {answers['destination_detail']}"
            yield Entry(
                at=notice.sent_at,
                kind=SENT_KIND,
                summary=f"Off-roll notice sent to {council}’s children missing education officer",
                object_type="off_roll_notice",
                object_id=notice.id,
                who_id=notice.sent_by_id,
                categories=frozenset({CATEGORY}),
                link=link,
                sequence=40,
                details=tuple((name, text) for name, text in (
                    ("Grounds", f"{_label(GROUND_LABELS, grounds)} ({ground_reference(grounds)})" if grounds else ""),
                    ("Last day of attendance", _day(last_day)),
                    ("Destination", destination),
                    ("Enquiries made", answers.get("enquiries") or ""),
                ) if text),
            )
        if notice.status == NoticeStatus.CLOSED and notice.closed_at is not None and ctx.within(notice.closed_at):
            outcome = _label(OUTCOME_LABELS, notice.outcome)
            yield Entry(
                at=notice.closed_at,
                kind=OUTCOME_KIND,
                summary=f"Off-roll notice closed by {council}: {outcome}",
                object_type="off_roll_notice",
                object_id=notice.id,
                who=council,
                categories=frozenset({CATEGORY}),
                link=link,
                sequence=41,
                details=tuple((name, text) for name, text in (
                    ("Outcome", outcome),
                    ("Details", notice.outcome_detail or ""),
                    ("Notice sent", uk_datetime(notice.sent_at)),
                ) if text),
            )


def _day(value) -> str:
    if not value:
        return ""
    try:
        return uk_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return ""
