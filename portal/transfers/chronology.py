"""Chronology adapters for transfers (registered with portal.chronology.sources).

- "transfers": the transfer itself on each side: at the sending school "Left <school> for <school>",
  then "Child protection file sent to <school>" (status, receipt); the leaving entry names both
  so that it reads right in the receiving school's transferred history; at the receiving school
  "file received from ...".
- "transferred history": every entry of an accepted file, on the receiving pupil's chronology,
  marked with the school where it was recorded and linking to the read-only transferred history.
  Nothing here can be edited: the entries come from the frozen snapshot, not from live records.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterable

from sqlalchemy import bindparam, or_, select

from portal.chronology.entries import Entry
from portal.chronology.sources import Context, source
from portal.db import db
from portal.orgs.service import school_names
from portal.templating import uk_date, uk_datetime
from portal.transfers.models import STATUS_LABELS, Transfer, TransferStatus
from portal.transfers.snapshot import TRANSFERRED_OBJECT_TYPE, SnapshotDamaged, read_snapshot

DESTINATIONS = {
    "unknown": "destination not known",
    "elective_home_education": "elective home education",
    "moved_abroad": "moved abroad",
}


# Built once, on the chronology's bind parameters `pupil_id` and `school_id` (the context's
# `parameters`; portal.chronology.sources, "The statements").
_TRANSFERS = select(Transfer).where(
    or_(
        (Transfer.pupil_id == bindparam("pupil_id")) & (Transfer.from_school_id == bindparam("school_id")),
        (Transfer.receiving_pupil_id == bindparam("pupil_id")) & (Transfer.to_school_id == bindparam("school_id"))
        & (Transfer.status == TransferStatus.ACCEPTED),
    )
)
_RECEIVED = select(Transfer).where(
    Transfer.receiving_pupil_id == bindparam("pupil_id"),
    Transfer.to_school_id == bindparam("school_id"),
    Transfer.status == TransferStatus.ACCEPTED,
)


def _transfers_of(ctx: Context) -> list[Transfer]:
    return list(db.session.execute(_TRANSFERS, ctx.parameters).scalars())


def _school_names(transfers: list[Transfer]) -> dict:
    return school_names([t.from_school_id for t in transfers] + [t.to_school_id for t in transfers])


@source("transfers")
def transfer_entries(ctx: Context) -> Iterable[Entry]:
    transfers = _transfers_of(ctx)
    names = _school_names(transfers)
    for transfer in transfers:
        if transfer.from_school_id == ctx.pupil.school_id and transfer.pupil_id == ctx.pupil.id:
            if not ctx.may("transfers:send", transfer):
                continue
            at = transfer.sent_at or transfer.recorded_at
            if not ctx.within(at):
                continue
            summary = leaving_summary(transfer, names)
            details = [("Leaving date", uk_date(transfer.leaving_date)), ("Status", _status_text(transfer, names))]
            if transfer.accepted_at:
                details.append(("Receipt", f"Confirmed {uk_datetime(transfer.accepted_at)}"))
            yield Entry(
                at=at, kind="transfer", summary=summary, object_type="transfer", object_id=transfer.id,
                who_id=transfer.sent_by_id or transfer.recorded_by_id, link=f"/transfers/{transfer.id}",
                sequence=500, details=tuple(details),
            )
        elif ctx.may("transferred_history:view", transfer) and ctx.within(transfer.accepted_at):
            yield Entry(
                at=transfer.accepted_at, kind="transfer",
                summary=f"Child protection file received from {names.get(transfer.from_school_id, 'another school')}",
                object_type="transfer", object_id=transfer.id, who_id=transfer.accepted_by_id,
                link=f"/transfers/{transfer.id}/history", sequence=500,
                details=(("Sent", uk_datetime(transfer.sent_at)), ("Leaving date", uk_date(transfer.leaving_date))),
            )


def leaving_summary(transfer: Transfer, names: dict) -> str:
    """The sending school's entry for a leaver, naming both schools, so that it reads the same on
    the receiving school's chronology (where it arrives in the transferred history): "Left Oakfield
    Primary School for Riverside Academy", never "Left the school (Riverside Academy)", which there
    read as if the child had left Riverside."""
    from_school = names.get(transfer.from_school_id, "their previous school")
    if transfer.to_school_id:
        to_school = names.get(transfer.to_school_id, "another school")
        if transfer.sent_at:
            return f"Child protection file sent to {to_school}"
        return f"Left {from_school} for {to_school}"
    return f"Left {from_school}: {DESTINATIONS.get(transfer.destination_kind, 'destination not known')}"


_OLD_LEAVING = re.compile(r"^Left the school \((?P<where>.*)\)$")


def _transferred_summary(summary: str, source_school: str) -> str:
    """A leaving entry written before the wording named both schools, as it is written now."""
    old = _OLD_LEAVING.match(summary)
    if old is None:
        return summary
    where = old.group("where")
    if where in DESTINATIONS.values():
        return f"Left {source_school}: {where}"
    return f"Left {source_school} for {where}"


def _status_text(transfer: Transfer, names: dict) -> str:
    return STATUS_LABELS.get(transfer.status, transfer.status)


@source("transferred history")
def transferred_history_entries(ctx: Context) -> Iterable[Entry]:
    transfers = db.session.execute(_RECEIVED, ctx.parameters).scalars()
    for transfer in transfers:
        if not ctx.may("transferred_history:view", transfer):
            continue
        try:
            snapshot = read_snapshot(transfer)
        except SnapshotDamaged:
            # Shown as one entry saying so, never silently dropped.
            yield Entry(at=transfer.accepted_at, kind="transfer", summary="Transferred history could not be read",
                        object_type=TRANSFERRED_OBJECT_TYPE, object_id=transfer.id, link=f"/transfers/{transfer.id}")
            continue
        received = f"{snapshot.get('from_school', {}).get('name', 'another school')}, received {uk_date(transfer.accepted_at)}"
        attachments = {a["position"]: a for a in snapshot.get("attachments", [])}
        for index, item in enumerate(snapshot.get("entries", [])):
            at = datetime.fromisoformat(item["at"])
            if not ctx.within(at):
                continue
            source_school = item.get("source_school_name") or "another school"
            details = [("Recorded at", source_school), ("Transferred from", received)]
            details += [(name, text) for name, text in item.get("details", [])]
            files = [attachments[p]["name"] for p in item.get("attachments", []) if p in attachments]
            if files:
                details.append(("Attachments", "; ".join(files)))
            who = item.get("who") or ""
            yield Entry(
                at=at,
                kind=item.get("kind", "transfer"),
                summary=f"{_transferred_summary(item.get('summary', ''), source_school)} (transferred from {source_school})",
                object_type=TRANSFERRED_OBJECT_TYPE,
                object_id=transfer.id,
                who=who,
                details=tuple(details),
                categories=frozenset(item.get("categories") or ()),
                urgent=bool(item.get("urgent")),
                link=f"/transfers/{transfer.id}/history",
                sequence=int(item.get("sequence") or 0),
            )
