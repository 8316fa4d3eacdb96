"""Demo data for triage: referrals waiting in Northshire's queue (one overdue, one urgent),
Northshire's sharing policy, and twelve weeks of decided referrals before them
(demo/triage_history.py). Invented children only. Idempotent: each demo referral is recognised
by its start token, so running the seed twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from demo.triage_history import seed_demo_triage_history

from portal.auth.models import User
from portal.db import utcnow
from portal.db import db
from portal.orgs.service import get_local_authority_by_code, get_school_by_urn
from portal.pupils.service import find_by_identifiers
from portal.referrals import sections
from portal.referrals.models import Referral, ReferralEvent
from portal.triage.arrival import receive_referral
from portal.triage.decision_deadline import decision_due
from portal.triage.models import SharingPolicy

# (token, school URN, submitting DSL, pupil surname, date of birth, urgent, "overdue" or hours ago, reason)
DEMO_REFERRALS = [
    ("demo-triage-overdue", "938001", "dsl@oakfield.demo", "Brennan-Shaw", (2016, 11, 2), False, "overdue",
     "Oliver has come to school with unexplained bruises on his arms twice this month."),
    ("demo-triage-urgent", "938001", "dsl@oakfield.demo", "Okonkwo", (2018, 6, 21), True, 1,
     "Zara said her mum's partner hit her last night and she is scared to go home today."),
    ("demo-triage-waiting", "938002", "dsl@riverside.demo", "Whitfield", (2011, 1, 15), False, 3,
     "Kai has missed 12 days this half term and has been seen with older young people at night."),
]
DEMO_SHARED_FIELDS = ["status", "start_date", "allocated_worker", "next_review_date", "note_for_school"]


def _overdue_arrival(now: datetime) -> datetime:
    """A moment whose one-working-day deadline passed a few hours ago (weekends allowed for)."""
    at = now - timedelta(days=1, hours=4)
    while decision_due(at) > now - timedelta(hours=2):
        at -= timedelta(hours=6)
    return at


def _form(pupil, reason: str, urgent: bool, referrer: User) -> dict:
    return {
        "status": {key: sections.COMPLETED for key in sections.SECTION_KEYS},
        "risk": {"immediate_risk": "yes" if urgent else "no"},
        "child": {
            "legal_forename": pupil.legal_forename, "legal_surname": pupil.legal_surname,
            "preferred_name": pupil.preferred_name or "", "date_of_birth": pupil.date_of_birth.isoformat(),
            "sex": pupil.sex or "", "gender": "", "upn": pupil.upn or "", "nhs_number": pupil.nhs_number or "",
            "address": pupil.address or "", "postcode": pupil.postcode or "", "ethnicity": "",
            "first_language": "English", "sen_status": "", "year_group": pupil.year_group or "",
        },
        "household": {"members": [{"id": "demo-parent", "name": "A parent (invented)", "relationship": "Mother",
                                   "date_of_birth": None, "age": "34", "lives_with_child": "yes", "address": "",
                                   "phone": "", "parental_responsibility": "yes"}]},
        "referrer": {"name": referrer.display_name, "role": "Designated safeguarding lead", "phone": "01632 960 100",
                     "email": referrer.email},
        "reasons": {"summary": reason, "categories": ["physical_abuse"] if urgent else ["neglect"],
                    "other_category": "", "actions_taken": "Spoke to the child; recorded on the portal."},
        "consent": {"parents_aware": "no", "consent_given": "no", "no_consent_reason": "risk_to_child",
                    "no_consent_details": ""},
        "voice": {"child_voice": "I don't want to get anyone in trouble.", "wishes": ""},
        "agencies": {"involved": [], "details": ""},
        "need": {"level": "child_protection" if urgent else "child_in_need", "why": reason},
    }


def seed_demo_triage() -> None:
    """Put the demo referrals in Northshire's queue and set its sharing policy (idempotent)."""
    from datetime import date

    northshire = get_local_authority_by_code("938")
    if northshire is None:
        return
    now = utcnow()
    for n, (token, urn, dsl_email, surname, born, urgent, when, reason) in enumerate(DEMO_REFERRALS, start=1):
        if db.session.execute(select(Referral.id).where(Referral.start_token == token)).first():
            continue
        school = get_school_by_urn(urn)
        dsl = db.session.execute(select(User).where(User.email == dsl_email)).scalar_one_or_none()
        pupils = find_by_identifiers(school, surname=surname, date_of_birth=date(*born)) if school else []
        if school is None or dsl is None or not pupils:
            continue
        pupil = pupils[0]
        submitted_at = _overdue_arrival(now) if when == "overdue" else now - timedelta(hours=when)
        referral = Referral(school_id=school.id, pupil_id=pupil.id, local_authority_id=school.local_authority_id,
                            created_by_id=dsl.id, created_at=submitted_at - timedelta(minutes=40), status="submitted",
                            urgent=urgent, submitted_at=submitted_at, submitted_by_id=dsl.id,
                            reference=f"{northshire.code}-DEMO-{n:04d}", start_token=token)
        referral.form = _form(pupil, reason, urgent, dsl)
        db.session.add(referral)
        db.session.flush()
        db.session.add(ReferralEvent(referral_id=referral.id, status="draft", at=referral.created_at, by_user_id=dsl.id))
        db.session.add(ReferralEvent(referral_id=referral.id, status="submitted", at=submitted_at, by_user_id=dsl.id))
        receive_referral(referral, received_at=submitted_at)
    if db.session.execute(select(SharingPolicy).where(SharingPolicy.local_authority_id == northshire.id)).first() is None:
        db.session.add(SharingPolicy(local_authority_id=northshire.id, fields=list(DEMO_SHARED_FIELDS)))
    db.session.flush()
    # Twelve weeks of decided referrals behind the queue, for the council dashboard's charts.
    seed_demo_triage_history()
