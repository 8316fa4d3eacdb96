"""Demo concerns: invented events about the invented demo pupils. Idempotent: each demo concern
has a fixed submission token, and one that exists already is left alone.

Called from portal/demo.py after the demo users and pupils are seeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta, timezone

from portal.auth.signin import find_user
from portal.concerns import service
from portal.concerns.flow import Answers
from portal.concerns.models import ConcernReview, ConcernStatus
from portal.db import db, utcnow
from portal.orgs.service import get_school_by_urn
from portal.pupils.service import find_by_identifiers

# Demo pupils by (school URN, surname, date of birth): see portal/pupils/demo.py.
AMELIA = ("938001", "Hartley-Nkemelu", date(2014, 3, 9))
OLIVER = ("938001", "Brennan-Shaw", date(2016, 11, 2))
ZARA = ("938001", "Okonkwo", date(2018, 6, 21))
KAI = ("938002", "Whitfield", date(2011, 1, 15))
ETHAN = ("939001", "Rahimi", date(2011, 4, 4))


@dataclass(frozen=True)
class DemoConcern:
    token: str
    logged_by: str  # email of a demo user
    pupil: tuple
    days_ago: int
    location: str
    categories: tuple[str, ...]
    account: str
    action_taken: str
    people_informed: str | None = None
    urgent: bool = False
    others: tuple = ()
    body_map: tuple = ()
    review: tuple[str, str, str] | None = None  # (reviewer email, outcome, reasons)


DEMO_CONCERNS = [
    DemoConcern(
        token="demo-concern-oakfield-1",
        logged_by="staff@oakfield.demo",
        pupil=AMELIA,
        days_ago=16,
        location="Year 6 classroom, before registration",
        categories=("neglect",),
        account="Millie arrived without a coat in the rain again and said “Mum was asleep so I got myself ready.” "
                "She asked for a second slice of toast at breakfast club and put one in her bag “for my brother later”.",
        action_taken="Gave her a spare coat from lost property and told her I would let Mrs Shah know.",
        people_informed="Priya Shah (DSL), in person at 8:50am",
        review=("dsl@oakfield.demo", "monitor",
                "Third note about a missing coat and hunger this half term. Monitor daily at breakfast club and "
                "speak to mum at pick-up on Friday."),
    ),
    DemoConcern(
        token="demo-concern-oakfield-2",
        logged_by="staff@oakfield.demo",
        pupil=AMELIA,
        days_ago=4,
        location="School office, after lunch",
        categories=("neglect", "emotional_abuse"),
        account="Millie had a bruise on her left forearm. When I asked if she was OK she said “I fell off the bunk bed” "
                "and then “please don’t tell Mum I told you about the shouting”.",
        action_taken="Listened, did not ask leading questions, told her I had to pass it on to keep her safe.",
        people_informed="Priya Shah (DSL)",
        urgent=True,
        body_map=(("front", "front_left_arm", "Bruise about 3cm across, blue-purple, on the outer forearm"),),
        review=("dsl@oakfield.demo", "refer_to_la",
                "Injury with an inconsistent explanation after a pattern of neglect concerns: refer to Northshire "
                "children's services today."),
    ),
    DemoConcern(
        token="demo-concern-oakfield-3",
        logged_by="staff@oakfield.demo",
        pupil=ZARA,
        days_ago=1,
        location="Playground, lunchtime",
        categories=("child_on_child",),
        account="Zara was crying by the fence. She said an older boy “keeps taking my snack and said he’ll push me "
                "off the climbing frame if I tell”.",
        action_taken="Stayed with Zara until she was calm and took her to her class teacher.",
        others=((OLIVER, "alleged_perpetrator"),),
    ),
    DemoConcern(
        token="demo-concern-riverside-1",
        logged_by="dsl@riverside.demo",
        pupil=KAI,
        days_ago=9,
        location="Pastoral office",
        categories=("mental_health", "self_harm"),
        account="Kai told me he has “stopped seeing the point” since his exams started and showed me healed scratches on his wrist.",
        action_taken="Agreed a safety plan with Kai, phoned his dad, and gave him the school counsellor's hours.",
        people_informed="Kai's father by phone; school counsellor",
        review=("dsl@riverside.demo", "early_help",
                "Family agree to an early help assessment; counsellor weekly; GP appointment booked by dad."),
    ),
    DemoConcern(
        token="demo-concern-hillcrest-1",
        logged_by="dsl@hillcrest.demo",
        pupil=ETHAN,
        days_ago=2,
        location="IT suite",
        categories=("online_safety", "cce"),
        account="Ethan's screen showed messages from an unknown adult offering him money to “carry a bag to the coast”.",
        action_taken="Screenshotted the messages with Ethan's agreement and kept him in school at the end of the day.",
    ),
]


def _pupil(key: tuple):
    urn, surname, born = key
    school = get_school_by_urn(urn)
    if school is None:
        return None
    found = find_by_identifiers(school, surname=surname, date_of_birth=born)
    return found[0] if found else None


def seed_demo_concerns() -> int:
    """Create the demo concerns that do not exist yet (needs the demo users and pupils).

    Returns how many were created. The caller commits.
    """
    created = 0
    for demo in DEMO_CONCERNS:
        if service.concern_by_token(demo.token) is not None:
            continue
        user = find_user(demo.logged_by)
        pupil = _pupil(demo.pupil)
        if user is None or pupil is None or user.school_id != pupil.school_id:
            continue
        others = [(p, role) for p, role in ((_pupil(key), role) for key, role in demo.others) if p is not None]
        occurred = (utcnow() - timedelta(days=demo.days_ago)).replace(hour=9, minute=30, second=0, microsecond=0)
        content = {
            "occurred_at": occurred.astimezone(timezone.utc).isoformat(),
            "location": demo.location,
            "categories": list(demo.categories),
            "other_category": None,
            "account": demo.account,
            "action_taken": demo.action_taken,
            "people_informed": demo.people_informed,
            "body_map": [{"side": side, "region": region, "note": note} for side, region, note in demo.body_map],
        }
        answers = Answers(pupil=pupil, occurred_at=occurred, urgent=demo.urgent, content=content, others=others)
        concern = service.record_concern(user, answers, demo.token)
        concern.logged_at = occurred + timedelta(hours=2)
        if demo.review is not None:
            reviewer = find_user(demo.review[0])
            if reviewer is not None:
                review = ConcernReview(concern_id=concern.id, reviewer_id=reviewer.id, outcome=demo.review[1],
                                       reviewed_at=occurred + timedelta(hours=5))
                review.reasons = demo.review[2]
                db.session.add(review)
                concern.status = ConcernStatus.REVIEWED
        db.session.flush()
        created += 1
    return created


__all__ = ["seed_demo_concerns", "DEMO_CONCERNS"]
