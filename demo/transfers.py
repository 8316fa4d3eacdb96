"""Demo transfer (development only, invented people): Oakfield Primary School has recorded Zara
Okonkwo as having left for Riverside Academy and sent her child protection file, which is
waiting for Riverside's DSL to confirm receipt. Idempotent: does nothing if Zara already has a
transfer. Goes through the real service functions, acting as Oakfield's demo DSL."""

from __future__ import annotations

import io
import secrets
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_login import login_user
from sqlalchemy import select

from portal.auth.signin import find_user
from portal.concerns.models import (
    Concern,
    ConcernAttachment,
    ConcernPupil,
    ConcernReview,
    ConcernStatus,
    ConcernVersion,
    PupilRole,
    ReviewOutcome,
)
from portal.db import db
from portal.files import store_upload
from portal.orgs.service import get_school_by_urn
from portal.pupils.service import find_by_identifiers
from portal.transfers import school_days, service
from portal.transfers.models import DestinationKind, Transfer
from portal.working_days import UK

SENDER_EMAIL = "dsl@oakfield.demo"
PUPIL = ("Okonkwo", date(2018, 6, 21))
NOTE = (
    "Zara has been on our monitoring list since the autumn term for concerns about neglect. "
    "Mum has been engaging with early help. Please call me on 01604 000 000 if you need anything."
)


def _demo_concern(school, pupil, dsl) -> None:
    """A concern, its review and a small attachment, if Oakfield has recorded nothing about her."""
    if db.session.execute(select(Concern.id).where(Concern.pupil_id == pupil.id)).first() is not None:
        return
    happened = datetime.combine(school_days.today_uk() - timedelta(days=40), time(10, 15), tzinfo=UK)
    concern = Concern(school_id=school.id, pupil_id=pupil.id, logged_by_id=dsl.id, logged_at=happened + timedelta(hours=1),
                      occurred_at=happened, submission_token=secrets.token_hex(16), status=ConcernStatus.REVIEWED)
    db.session.add(concern)
    db.session.flush()
    version = ConcernVersion(concern_id=concern.id, version=1, created_by_id=dsl.id, created_at=concern.logged_at)
    version.content = {
        "location": "Classroom", "categories": ["neglect"], "other_category": None,
        "account": "Zara said she was hungry and had not had breakfast again this week.",
        "action_taken": "Breakfast club place arranged; spoke to mum at pick-up.",
        "people_informed": "Oakfield DSL", "body_map": [],
    }
    db.session.add(version)
    db.session.add(ConcernPupil(concern_id=concern.id, pupil_id=pupil.id, role=PupilRole.SUBJECT))
    review = ConcernReview(concern_id=concern.id, reviewer_id=dsl.id, outcome=ReviewOutcome.EARLY_HELP,
                           reviewed_at=concern.logged_at + timedelta(hours=3))
    review.reasons = "Pattern over several weeks; family agreed to early help."
    db.session.add(review)
    stored = store_upload(io.BytesIO(b"Notes of the conversation with mum at pick-up (invented demo data).\n"),
                          filename="pick-up-notes.txt", uploaded_by=dsl)
    db.session.flush()
    db.session.add(ConcernAttachment(concern_id=concern.id, stored_file_id=stored.id, added_by_id=dsl.id))
    db.session.flush()


def seed_demo_transfers() -> None:
    if current_app.config["PORTAL_ENV"] == "production":
        raise RuntimeError("demo data is refused in production")
    oakfield, riverside = get_school_by_urn("938001"), get_school_by_urn("938002")
    dsl = find_user(SENDER_EMAIL)
    if oakfield is None or riverside is None or dsl is None:
        return
    found = find_by_identifiers(oakfield, surname=PUPIL[0], date_of_birth=PUPIL[1])
    if not found:
        return
    pupil = found[0]
    if db.session.execute(select(Transfer.id).where(Transfer.pupil_id == pupil.id)).first() is not None:
        return
    _demo_concern(oakfield, pupil, dsl)
    calendar = school_days.school_calendar(oakfield.id)
    leaving = school_days.today_uk() - timedelta(days=1)
    while not calendar.is_working_day(leaving):
        leaving -= timedelta(days=1)
    # The service checks the policy for the signed-in user: act as Oakfield's DSL.
    with current_app.test_request_context("/"):
        login_user(dsl)
        transfer = service.record_leaver(pupil, by=dsl, leaving_date=leaving, destination_kind=DestinationKind.SCHOOL, to_school=riverside)
        # Invented data: nobody is emailed about it.
        service.send(transfer.id, by=dsl, covering_note=NOTE, tell_receiver=False)
    db.session.flush()
