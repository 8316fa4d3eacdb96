"""The transfer receipt as a PDF: what was sent, by whom, to whom, when, and who confirmed
receipt when, with the SHA-256 of the snapshot and of every attachment so that either school
can later show exactly what was handed over. Rendered by the chronology's WeasyPrint renderer,
which fetches nothing from outside the document."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from portal.auth.models import User
from portal.chronology.document import MARKING
from portal.chronology.pdf import render_pdf
from portal.db import db, utcnow
from portal.orgs.models import LocalAuthority, School
from portal.transfers.models import DESTINATION_LABELS, STATUS_LABELS
from portal.transfers.school_days import sent_late
from portal.transfers.snapshot import read_snapshot


def _people(ids) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.display_name, School.name).outerjoin(School, User.school_id == School.id).where(User.id.in_(ids))
    ).all()
    return {uid: f"{name} ({school})" if school else name for uid, name, school in rows}


def receipt_pdf(transfer, viewer) -> bytes:
    snapshot = read_snapshot(transfer)
    schools = {}
    for school_id in (transfer.from_school_id, transfer.to_school_id):
        school = db.session.get(School, school_id) if school_id else None
        if school is not None:
            schools[school_id] = (school, db.session.get(LocalAuthority, school.local_authority_id))
    people = _people({e.by_user_id for e in transfer.events} | {transfer.sent_by_id, transfer.accepted_by_id,
                                                                 transfer.rejected_by_id, transfer.viewed_by_id})
    html = render_template(
        "transfers/receipt_pdf.html",
        transfer=transfer,
        snapshot=snapshot,
        schools=schools,
        people=people,
        status_labels=STATUS_LABELS,
        destination_labels=DESTINATION_LABELS,
        sent_late=sent_late(transfer),
        marking=MARKING,
        produced_by=f"{viewer.display_name} ({viewer.organisation.name})",
        produced_at=utcnow(),
    )
    return render_pdf(html)
