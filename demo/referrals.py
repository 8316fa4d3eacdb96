"""Demo referrals: one submitted referral per demo school, about an invented pupil.

`seed_demo_referrals()` is idempotent: each demo referral carries a fixed start token, so running
the seed again finds it and changes nothing. Needs the demo users, pupils and (if seeded) concerns.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from portal.auth import signin
from portal.db import db
from portal.orgs.service import get_school_by_urn
from portal.pupils.service import find_by_identifiers
from portal.referrals import sections
from portal.referrals import service as referrals
from portal.referrals.models import Referral

# (school URN, DSL's email, pupil's surname and date of birth, what the school is worried about,
#  the reason, level of need, immediate risk)
DEMO_REFERRALS = [
    ("938001", "dsl@oakfield.demo", "Hartley-Nkemelu", date(2014, 3, 9), ["neglect", "emotional_abuse"],
     "Millie has come to school hungry most days this half term, in the same clothes, and told her teacher "
     "she looks after her baby brother in the evenings because mum is 'asleep'. Two concerns logged, reviewed "
     "by the DSL; early help offered in January was declined.",
     "child_in_need", "no"),
    ("938002", "dsl@riverside.demo", "Whitfield", date(2011, 1, 15), ["cce", "missing"],
     "Kai has been missing from lessons three afternoons in two weeks and was seen getting into a car with "
     "older young people outside school. He has new trainers and two phones.",
     "child_protection", "no"),
    ("939001", "dsl@hillcrest.demo", "Rahimi", date(2011, 4, 4), ["domestic_abuse"],
     "Ethan told his form tutor that the police came to the house at the weekend after his stepfather "
     "hit his mum, and that he hid in his room with his sister.",
     "child_protection", "no"),
]


def _token(urn: str) -> str:
    return f"demo-referral-{urn}"


def seed_demo_referrals() -> int:
    """Create and submit the demo referrals that do not exist yet. Returns how many were made.

    Each step commits (every referrals service function is its own unit of work).
    """
    if current_app.config["PORTAL_ENV"] == "production":
        raise RuntimeError("demo referrals are refused in production")
    made = 0
    for urn, dsl_email, surname, born, categories, reason, level, risk in DEMO_REFERRALS:
        school = get_school_by_urn(urn)
        dsl = signin.find_user(dsl_email)
        if school is None or dsl is None:
            continue
        if db.session.execute(select(Referral.id).where(Referral.start_token == _token(urn))).first():
            continue
        pupils = find_by_identifiers(school, surname=surname, date_of_birth=born)
        if not pupils:
            continue
        pupil = pupils[0]
        concerns = referrals.pupil_concerns(pupil)
        referral = referrals.start_referral(dsl, pupil, concern_ids=[c.id for c in concerns], start_token=_token(urn))
        _fill_in(referral, dsl, categories, reason, level, risk)
        referrals.submit_referral(referral, dsl)
        made += 1
    return made


def _fill_in(referral: Referral, dsl, categories, reason, level, risk) -> None:
    form = referral.form
    child = dict(form["child"])
    if not child.get("address"):
        child["address"] = "Not known"
    referrals.save_section(referral, dsl, "risk", {"immediate_risk": risk})
    referrals.save_section(referral, dsl, "child", child)
    referrals.save_household_member(referral, dsl, {
        "name": "Parent or carer (demo)", "relationship": "Mother", "date_of_birth": None, "age": "34",
        "lives_with_child": "yes", "address": "", "phone": "", "parental_responsibility": "yes",
    })
    referrals.complete_household(referral, dsl, True)
    referrals.save_section(referral, dsl, "referrer", {**form["referrer"], "phone": "01632 960 123"})
    referrals.save_section(referral, dsl, "reasons", {
        "summary": reason, "categories": categories, "other_category": "", "actions_taken":
        "Concerns logged and reviewed by the DSL; the child has a trusted adult in school.",
    })
    referrals.save_section(referral, dsl, "consent", {
        "parents_aware": "yes", "consent_given": "yes", "no_consent_reason": None, "no_consent_details": "",
    })
    referrals.save_section(referral, dsl, "voice", {
        "child_voice": "Said they want things at home to be calmer and that they like coming to school.",
        "wishes": "To stay at this school and see their friends.",
    })
    referrals.save_section(referral, dsl, "agencies", {"involved": ["gp"], "details": "Registered with the local surgery."})
    referrals.save_section(referral, dsl, "need", {"level": level, "why": "The school's view after reviewing the concerns."})
    assert not sections.incomplete_sections(referral.form)
