"""The chronology adapter for Operation Encompass notices (registered with
portal.chronology.sources by portal.wiring: the chronology never imports this area).

A notice delivered to the pupil's school and matched to this pupil record is an entry of its own
kind ("Operation Encompass notice"), in the domestic abuse category, placed by when the incident
happened. The child protection file a school sends when the pupil moves is this chronology frozen
(portal.transfers.snapshot), so the notice goes with the child.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import bindparam, select

from portal.chronology.entries import Entry
from portal.chronology.sources import SOURCES, Context, kind, source, window_conditions, windowed
from portal.db import db
from portal.encompass.models import EXPOSURE_LABELS, INJURED_LABELS, EncompassChild, EncompassNotice, Routing
from portal.orgs.models import Agency
from portal.templating import uk_datetime

KIND = "encompass_notice"
CATEGORY = "domestic_abuse"
SOURCE_NAME = "encompass notices"


def register() -> None:
    """Called by portal.wiring (once per app; a second app in the same process finds it done)."""
    kind(KIND, "Operation Encompass notice")
    if SOURCES.get(SOURCE_NAME) is not encompass_entries:
        source(SOURCE_NAME)(encompass_entries)


# Built once, on the chronology's bind parameters (portal.chronology.sources, "The statements").
_NOTICES = windowed(lambda has_start, has_end: (
    select(EncompassChild, EncompassNotice, Agency.name)
    .join(EncompassNotice, EncompassNotice.id == EncompassChild.notice_id)
    .join(Agency, Agency.id == EncompassNotice.agency_id)
    .where(EncompassChild.pupil_id == bindparam("pupil_id"), EncompassChild.school_id == bindparam("school_id"),
           EncompassChild.routing == Routing.DELIVERED,
           *window_conditions(EncompassNotice.incident_at, has_start, has_end))
))


def encompass_entries(ctx: Context) -> Iterable[Entry]:
    rows = db.session.execute(_NOTICES(ctx), ctx.parameters).all()
    for child, notice, agency_name in rows:
        if not ctx.may("encompass:read", child):
            continue
        exposure = ", ".join(EXPOSURE_LABELS.get(e, e) for e in child.exposure or [])
        injured = INJURED_LABELS.get(child.injured, "") if child.injured else ""
        yield Entry(
            at=notice.incident_at,
            kind=KIND,
            summary=f"Operation Encompass notice from {agency_name}",
            object_type="encompass_child",
            object_id=child.id,
            who=agency_name,
            categories=frozenset({CATEGORY}),
            link=f"/encompass/school/{child.id}",
            sequence=50,
            details=tuple((name, text) for name, text in (
                ("Police reference", notice.police_reference or ""),
                ("How the child was affected", exposure),
                ("Injured", f"{injured}: {child.injuries}" if child.injuries else injured),
                ("What the child said", child.disclosure or ""),
                ("Other agencies informed", notice.other_agencies or ""),
                ("Received", uk_datetime(child.routed_at)),
                ("First read", uk_datetime(child.first_read_at) if child.first_read_at else "Not yet"),
                ("Linked concern", "Yes" if child.concern_id else ""),
            ) if text),
        )
