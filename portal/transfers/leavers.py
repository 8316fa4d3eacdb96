"""Leavers: the school's list of pupils who have left, and leavers taken from the school's MIS.

A Common Transfer File import (portal.rolls) tells this area who has left: a pupil missing from
the school's full roll, or one whose school history in the file has a leaving date from this
school. `record_leaver_from_roll` takes the pupil off roll with that leaving date (the record is
kept, never deleted) and, when the child has any safeguarding record here (a concern naming
them, a referral, an update from the council, or a file received from a previous school), starts
the transfer of their child protection file: pre-addressed to the destination school when the
file names one in the portal (its LA code + establishment number), the 5-school-day clock
running from the leaving date. A child with no safeguarding record has no file to send.

`waiting_files_for` is the other end: a joining pupil's CTF imported at the receiving school
finds a file already sent for the same UPN and waiting there, for the DSL to open and accept
through the transfer's own page (its checks unchanged).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select

from portal import audit
from portal.concerns.models import ConcernPupil
from portal.db import db
from portal.orgs.models import School
from portal.policy import require
from portal.pupils.models import Enrolment, Pupil
from portal.referrals.models import Referral
from portal.transaction import transactional
from portal.transfers import school_days
from portal.transfers.models import WAITING_STATUSES, DestinationKind, Transfer
from portal.transfers.service import pupils_by_id, record_leaver, schools_of
from portal.transfers.snapshot import SnapshotDamaged, read_snapshot
from portal.updates.models import SharedUpdate

# How far back the leavers list looks.
LEAVERS_LIST_DAYS = 120


def school_by_laestab(laestab: str | None) -> School | None:
    """An open school in the portal with this LA code + establishment number."""
    if not laestab:
        return None
    found = db.session.execute(select(School).where(School.laestab == laestab)).scalar_one_or_none()
    return found if found is not None and found.active else None


def has_safeguarding_record(pupil: Pupil) -> bool:
    """Whether the school holds anything that goes in a child protection file for this pupil."""
    checks = (
        select(ConcernPupil.id).where(ConcernPupil.pupil_id == pupil.id),
        select(Referral.id).where(Referral.pupil_id == pupil.id),
        select(SharedUpdate.id).where(SharedUpdate.pupil_id == pupil.id),
        select(Transfer.id).where(Transfer.receiving_pupil_id == pupil.id),
    )
    return any(db.session.execute(select(exists(check))).scalar() for check in checks)


@transactional
def record_leaver_from_roll(pupil: Pupil, *, by, leaving_date: date, to_school: School | None,
                            has_record: bool, today: date | None = None) -> Transfer | None:
    """The MIS says the pupil has left on `leaving_date`: off roll, the enrolment ended, and,
    for a child with a safeguarding record, the transfer started (pre-addressed to `to_school`
    when known). Returns the transfer, or None when there is no file to send."""
    require("transfers:send", pupil)
    today = today or school_days.today_uk()
    current = [e for e in pupil.enrolments if e.school_id == pupil.school_id and e.end_date is None]
    # The MIS's date, kept within what the record allows: not before the pupil joined, not after today.
    leaving_date = min(leaving_date, today)
    if current:
        leaving_date = max(leaving_date, current[-1].start_date)
    if to_school is not None and (to_school.id == pupil.school_id or not to_school.active):
        to_school = None
    kind = DestinationKind.SCHOOL if to_school is not None else DestinationKind.UNKNOWN
    if has_record:
        return record_leaver(pupil, by=by, leaving_date=leaving_date, destination_kind=kind,
                             to_school=to_school, today=today)
    pupil.on_roll = False
    for enrolment in current:
        enrolment.end_date = leaving_date
        enrolment.leaving_reason = kind
    db.session.flush()
    audit.record("pupil.leave_roll", object_type="pupil", object_id=pupil.id, detail="no_file")
    return None


@dataclass
class Leaver:
    pupil: Pupil
    left_on: date
    transfer: Transfer | None  # the latest transfer of their file from this school, if any


@dataclass
class LeaversList:
    leavers: list[Leaver]
    schools: dict
    since: date
    today: date


@transactional
def leavers_list(user) -> LeaversList:
    """The pupils who left this school in the last LEAVERS_LIST_DAYS days, newest first, each
    with the transfer of their file (the read is audited)."""
    school = user.school
    require("transfers:send", school)
    today = school_days.today_uk()
    since = today - timedelta(days=LEAVERS_LIST_DAYS)
    rows = db.session.execute(
        select(Enrolment.pupil_id, Enrolment.end_date)
        .join(Pupil, Pupil.id == Enrolment.pupil_id)
        .where(Pupil.school_id == school.id, Pupil.on_roll.is_(False), Enrolment.school_id == school.id,
               Enrolment.end_date.is_not(None), Enrolment.end_date >= since)
    ).all()
    left_on: dict[uuid.UUID, date] = {}
    for pupil_id, end in rows:
        left_on[pupil_id] = max(end, left_on.get(pupil_id, end))
    pupils = pupils_by_id(left_on)
    transfers: dict[uuid.UUID, Transfer] = {}
    if left_on:
        for transfer in db.session.execute(
            select(Transfer).where(Transfer.from_school_id == school.id, Transfer.pupil_id.in_(left_on))
            .order_by(Transfer.recorded_at)
        ).scalars():
            transfers[transfer.pupil_id] = transfer
    leavers = sorted((Leaver(pupils[i], d, transfers.get(i)) for i, d in left_on.items() if i in pupils),
                     key=lambda leaver: (leaver.left_on, leaver.pupil.legal_surname.casefold()), reverse=True)
    audit.record("transfer.leavers_view", object_type="school", object_id=school.id, detail=f"n_{len(leavers)}")
    return LeaversList(leavers=leavers, schools=schools_of([t for t in transfers.values()]), since=since, today=today)


def _compact(upn: str | None) -> str:
    return "".join((upn or "").split()).upper()


def waiting_files_for(school: School, upns: set[str]) -> dict[str, Transfer]:
    """Files sent to `school` and waiting for its answer whose child has one of these UPNs
    (compacted, upper case) -> the transfer. Each offer is audited; nothing about the child is
    shown beyond what the school's own CTF already says."""
    require("transfers:manage", school)
    wanted = {_compact(u) for u in upns if u}
    if not wanted:
        return {}
    found: dict[str, Transfer] = {}
    for transfer in db.session.execute(
        select(Transfer).where(Transfer.to_school_id == school.id, Transfer.status.in_(WAITING_STATUSES))
        .order_by(Transfer.sent_at)
    ).scalars():
        try:
            upn = _compact(read_snapshot(transfer).get("pupil", {}).get("upn"))
        except SnapshotDamaged:
            continue  # the transfer's own page says so when it is opened
        if upn in wanted:
            found[upn] = transfer
            audit.record("transfer.ctf_offer", object_type="transfer", object_id=transfer.id)
    return found
