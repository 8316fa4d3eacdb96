"""Demo history for the council dashboard: twelve weeks of referrals that Northshire received and
decided, so that its weekly charts (received by source and category, decided within one working
day, time to decision, outcomes, re-referrals, per school) have something to show.

Invented children only, added to the demo schools' rolls. Deterministic and idempotent: each
referral carries a fixed start token (`demo-history-NNN`), so running the seed again finds it and
changes nothing; its times are placed relative to the day of the first seeding. Each referral has
what a real one leaves behind: its status events, the queue item (received, due, decided,
outcome), the decision with the council's reasons and the school's feedback, and the
acknowledgement and decision the school was sent (read by then: they are weeks old). A few come
from Hillcrest (Southmoor), sent on by Southmoor to Northshire; a few children are referred again.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.auth.models import User
from portal.db import db, utcnow
from portal.policy import can
from portal.orgs.service import get_local_authority_by_code, get_school_by_urn
from portal.pupils.service import PupilDetails, add_pupil, find_by_identifiers
from portal.referrals import sections
from portal.referrals.models import Referral, ReferralEvent, ReferralStatus
from portal.triage.arrival import acknowledgement_content
from portal.triage.decision_deadline import decision_due
from portal.triage.models import DecisionOutcome, ItemState, TriageDecision, TriageItem
from portal.triage.service import DecisionDraft, decision_content
from portal.updates.models import SharedUpdate, SharedUpdateRead, UpdateKind

UK = ZoneInfo("Europe/London")
WEEKS = 12

# Invented children, named from these lists in turn, added to the demo schools' rolls.
FORENAMES = [("Noah", "Male"), ("Isla", "Female"), ("Leo", "Male"), ("Ava", "Female"), ("Freddie", "Male"),
             ("Grace", "Female"), ("Theo", "Male"), ("Mia", "Female"), ("Jack", "Male"), ("Ivy", "Female"),
             ("Arthur", "Male"), ("Zainab", "Female"), ("Reuben", "Male"), ("Esme", "Female"), ("Yusuf", "Male"),
             ("Poppy", "Female"), ("Kofi", "Male")]
SURNAMES = ["Pennington", "Achebe-Moss", "Castellanos", "Wojcik", "Oyelaran", "Lindqvist", "Abernethy", "Kowalczyk",
            "Mensah-Reid", "Thorncliffe", "Delacroix-Hale", "Quarshie", "Farrow", "Nakagawa", "Ellery", "Brightwater",
            "Szabo", "Ormerod", "Tennant-Adu"]
# The years a school's pupils were born in (a primary, a secondary, a secondary).
SCHOOL_AGES = {"938001": (2015, 2019), "938002": (2010, 2014), "939001": (2010, 2014)}
# A child referred again within the period, about as often as nationally (a fifth).
RE_REFERRAL = 0.2
DSL_OF = {"938001": "dsl@oakfield.demo", "938002": "dsl@riverside.demo", "939001": "dsl@hillcrest.demo"}
CATEGORIES = ["neglect", "emotional_abuse", "physical_abuse", "domestic_abuse", "cce", "missing", "mental_health",
              "self_harm", "online_safety", "child_on_child", "sexual_abuse"]
# Outcomes about as often as a front door gives them.
OUTCOMES = ([DecisionOutcome.NO_FURTHER_ACTION] * 3 + [DecisionOutcome.ADVICE_AND_SIGNPOSTING] * 4
            + [DecisionOutcome.EARLY_HELP] * 5 + [DecisionOutcome.CHILD_AND_FAMILY_ASSESSMENT] * 4
            + [DecisionOutcome.SECTION_47_ENQUIRY] * 2)
FEEDBACK = {
    DecisionOutcome.NO_FURTHER_ACTION: "No further action from children's social care; please keep logging any concerns.",
    DecisionOutcome.ADVICE_AND_SIGNPOSTING: "Advice given to the family and signposted to local support.",
    DecisionOutcome.EARLY_HELP: "The family has been offered early help; the early help team will contact you.",
    DecisionOutcome.CHILD_AND_FAMILY_ASSESSMENT: "A social worker will carry out a child and family assessment.",
    DecisionOutcome.SECTION_47_ENQUIRY: "A strategy discussion has been held and a section 47 enquiry started.",
    DecisionOutcome.REFERRED_TO_ANOTHER_LA: "The family lives in Northshire: we have sent the referral on to them.",
}


def _token(n: int) -> str:
    return f"demo-history-{n:03d}"


def _child(rng: random.Random, n: int, urn: str) -> tuple:
    forename, sex = FORENAMES[n % len(FORENAMES)]
    first, last = SCHOOL_AGES[urn]
    born = date(rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28))
    return (urn, forename, SURNAMES[n % len(SURNAMES)], born, sex)


def _plan(today: date) -> list[dict]:
    """The referrals of the last twelve weeks, in order: when each arrived, about which child,
    how long the decision took and what it was. Dates move with `today`; the rest (and so each
    referral's token) is the same on every run."""
    rng = random.Random(19)
    plan, children = [], []
    for weeks_ago in range(WEEKS - 1, -1, -1):  # the dashboard's default: this week and the 11 before
        start = today - timedelta(weeks=weeks_ago)
        start -= timedelta(days=start.weekday())  # that week's Monday
        for _ in range(rng.randint(2, 5)):
            day = start + timedelta(days=rng.randint(0, 4))
            arrived = datetime.combine(day, time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))), UK)
            if children and rng.random() < RE_REFERRAL:
                child = rng.choice(children)
            else:
                child = _child(rng, len(children), rng.choice(("938001", "938002")))
                children.append(child)
            late = rng.random() < 0.18
            plan.append({
                "pupil": child, "arrived": arrived.astimezone(timezone.utc), "late": late,
                "hours": rng.uniform(2, 20) if not late else rng.uniform(3, 30),
                "outcome": rng.choice(OUTCOMES), "urgent": rng.random() < 0.12,
                "categories": rng.sample(CATEGORIES, rng.choice((1, 1, 2))),
            })
    # Sent on by Southmoor: two of Hillcrest's pupils who live in Northshire.
    for n in range(2):
        child = _child(rng, len(children), "939001")
        children.append(child)
        day = today - timedelta(weeks=3 + 4 * n)
        day -= timedelta(days=day.weekday() - 1)  # that week's Tuesday
        plan.append({
            "pupil": child, "arrived": datetime.combine(day, time(10, 30), UK).astimezone(timezone.utc),
            "late": False, "hours": 5.0, "outcome": DecisionOutcome.EARLY_HELP, "urgent": False,
            "categories": ["domestic_abuse"], "from_la": "939",
        })
    return plan


def _pupil(spec):
    urn, forename, surname, born, sex = spec
    school = get_school_by_urn(urn)
    if school is None:
        return None, None
    found = find_by_identifiers(school, surname=surname, date_of_birth=born)
    if found:
        return school, found[0]
    return school, add_pupil(school, PupilDetails(legal_forename=forename, legal_surname=surname, date_of_birth=born,
                                                  sex=sex, start_date=date(2024, 9, 4)),
                             allow_duplicate=True, audited=False)


def _user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def _decided_at(received: datetime, hours: float, late: bool) -> datetime:
    due = decision_due(received)
    if late:
        return due + timedelta(hours=hours)
    return min(received + timedelta(hours=hours), due - timedelta(minutes=20))


def _read_by_school(update: SharedUpdate, school_id, at: datetime) -> None:
    """Weeks-old news has been read by the school's safeguarding leads."""
    for user in db.session.execute(select(User).where(User.school_id == school_id)).scalars():
        if can(user, "updates:view", update):
            db.session.add(SharedUpdateRead(update_id=update.id, user_id=user.id, read_at=at + timedelta(hours=1)))


def _update(referral, la, kind, content, at, by=None) -> SharedUpdate:
    update = SharedUpdate(school_id=referral.school_id, local_authority_id=la.id, pupil_id=referral.pupil_id,
                          referral_id=referral.id, kind=kind, created_at=at, created_by_id=by)
    update.content = content
    db.session.add(update)
    db.session.flush()
    if at < utcnow() - timedelta(days=2):
        _read_by_school(update, referral.school_id, at)
    return update


def _item(referral, la, round_, received, decided, outcome, *, current=True, worker=None, reasons="") -> TriageItem:
    routed = outcome == DecisionOutcome.REFERRED_TO_ANOTHER_LA
    item = TriageItem(referral_id=referral.id, round=round_, current=current, local_authority_id=la.id,
                      school_id=referral.school_id, urgent=referral.urgent, received_at=received,
                      due_at=decision_due(received), state=ItemState.ROUTED if routed else ItemState.DECIDED,
                      open=False, assigned_to_id=worker.id if worker else None, assigned_at=received,
                      first_opened_at=received + timedelta(minutes=30), decided_at=decided, outcome=outcome)
    db.session.add(item)
    db.session.flush()
    _update(referral, la, UpdateKind.ACKNOWLEDGEMENT, acknowledgement_content(referral, item, la), received)
    draft = DecisionDraft(outcome=outcome, reasons=reasons or "Reviewed the referral, the school's concerns and "
                          "the records held; outcome agreed with the team manager.", feedback=FEEDBACK[outcome])
    decision = TriageDecision(item_id=item.id, referral_id=referral.id, local_authority_id=la.id, outcome=outcome,
                              decided_by_id=worker.id, decided_at=decided, within_deadline=decided <= item.due_at)
    decision.reasons = draft.reasons
    decision.feedback = draft.feedback
    db.session.add(decision)
    db.session.flush()
    update = _update(referral, la, UpdateKind.DECISION, decision_content(referral, draft, la, decided_at=decided),
                     decided, by=worker.id)
    decision.shared_update_id = update.id
    return item


def seed_demo_triage_history(today: date | None = None) -> int:
    """Northshire's twelve weeks of decided referrals (idempotent). Returns how many were made."""
    northshire = get_local_authority_by_code("938")
    southmoor = get_local_authority_by_code("939")
    worker = _user("triage@northshire.demo")
    if northshire is None or worker is None:
        return 0
    today = today or utcnow().astimezone(UK).date()
    made = 0
    for n, entry in enumerate(_plan(today), start=1):
        if db.session.execute(select(Referral.id).where(Referral.start_token == _token(n))).first():
            continue
        school, pupil = _pupil(entry["pupil"])
        dsl = _user(DSL_OF[entry["pupil"][0]])
        if school is None or pupil is None or dsl is None:
            continue
        received = entry["arrived"]
        decided = _decided_at(received, entry["hours"], entry["late"])
        if decided > utcnow():
            continue
        referral = Referral(
            school_id=school.id, pupil_id=pupil.id, local_authority_id=northshire.id, created_by_id=dsl.id,
            created_at=received - timedelta(minutes=50), updated_at=decided, status=ReferralStatus.DECIDED,
            urgent=entry["urgent"], submitted_at=received, submitted_by_id=dsl.id,
            reference=f"{northshire.code}-DEMO-{1000 + n}", start_token=_token(n))
        referral.form = _form(pupil, dsl, entry["categories"], entry["urgent"])
        db.session.add(referral)
        db.session.flush()
        for status, at in ((ReferralStatus.DRAFT, referral.created_at), (ReferralStatus.SUBMITTED, received),
                           (ReferralStatus.ACKNOWLEDGED, received), (ReferralStatus.DECIDED, decided)):
            db.session.add(ReferralEvent(referral_id=referral.id, status=status, at=at,
                                         by_user_id=dsl.id if status in (ReferralStatus.DRAFT, ReferralStatus.SUBMITTED) else None))
        if entry.get("from_la") and southmoor is not None:
            # Southmoor received it first, and sent it on the same morning.
            south_worker = _user("triage@southmoor.demo") or worker
            routed_at = received
            received = routed_at - timedelta(hours=2)
            referral.submitted_at = received
            _item(referral, southmoor, 1, received, routed_at, DecisionOutcome.REFERRED_TO_ANOTHER_LA, current=False,
                  worker=south_worker, reasons="The family lives in Northshire.")
            _item(referral, northshire, 2, routed_at, decided, entry["outcome"], worker=worker)
        else:
            _item(referral, northshire, 1, received, decided, entry["outcome"], worker=worker)
        made += 1
    db.session.flush()
    return made


def _form(pupil, dsl: User, categories: list[str], urgent: bool) -> dict:
    return {
        "status": {key: sections.COMPLETED for key in sections.SECTION_KEYS},
        "risk": {"immediate_risk": "yes" if urgent else "no"},
        "child": {
            "legal_forename": pupil.legal_forename, "legal_surname": pupil.legal_surname,
            "preferred_name": pupil.preferred_name or "", "date_of_birth": pupil.date_of_birth.isoformat(),
            "sex": pupil.sex or "", "gender": "", "upn": "", "nhs_number": "", "address": "Not known",
            "postcode": "", "ethnicity": "", "first_language": "English", "sen_status": "",
            "year_group": pupil.year_group or "",
        },
        "household": {"members": [{"id": "demo-parent", "name": "A parent (invented)", "relationship": "Mother",
                                   "date_of_birth": None, "age": "38", "lives_with_child": "yes", "address": "",
                                   "phone": "", "parental_responsibility": "yes"}]},
        "referrer": {"name": dsl.display_name, "role": "Designated safeguarding lead", "phone": "01632 960 100",
                     "email": dsl.email},
        "reasons": {"summary": "Concerns logged and reviewed by the DSL over the last few weeks (demo).",
                    "categories": categories, "other_category": "",
                    "actions_taken": "Spoke to the child; recorded on the portal."},
        "consent": {"parents_aware": "yes", "consent_given": "yes", "no_consent_reason": None,
                    "no_consent_details": ""},
        "voice": {"child_voice": "Said they would like someone to talk to.", "wishes": ""},
        "agencies": {"involved": [], "details": ""},
        "need": {"level": "child_protection" if urgent else "child_in_need", "why": "The school's view."},
    }

