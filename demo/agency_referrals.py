"""Demo referral from a partner agency: Northshire Police's safeguarding lead has referred Kai
Whitfield (invented) to Northshire's front door, so the triage queue shows a referral from the
police beside the schools' (Source: Police), matched on its page with Riverside's earlier
referral about him.

`seed_demo_agency_referrals()` is idempotent (a fixed start token). Needs the demo agencies and
users; it goes through the referrals service as the officer would, and so is acknowledged to the
force and reaches the case system like any referral.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from portal.auth import signin
from portal.db import db
from portal.orgs.service import get_local_authority_by_code, get_school_by_urn
from portal.referrals import sections
from portal.referrals import service as referrals
from portal.referrals.models import Referral

START_TOKEN = "demo-agency-referral-northshire-police"


def seed_demo_agency_referrals() -> int:
    """Make and submit the police's demo referral if it does not exist yet. Returns how many were made."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise RuntimeError("demo referrals are refused in production")
    lead = signin.find_user("lead@northshire-police.demo")
    northshire = get_local_authority_by_code("938")
    riverside = get_school_by_urn("938002")
    if lead is None or northshire is None:
        return 0
    if db.session.execute(select(Referral.id).where(Referral.start_token == START_TOKEN)).first():
        return 0
    referral = referrals.start_agency_referral(lead, northshire.id, start_token=START_TOKEN)
    referrals.save_section(referral, lead, "risk", {"immediate_risk": "no"})
    referrals.save_section(referral, lead, "child", {
        "legal_forename": "Kai", "legal_surname": "Whitfield", "preferred_name": "", "date_of_birth":
        date(2011, 1, 15).isoformat(), "sex": "Male", "gender": "", "nhs_number": "", "address":
        "Flat 4, Canal Court\nNorthtown", "postcode": "", "ethnicity": "", "first_language": "",
        "school_id": str(riverside.id) if riverside else "", "school_name": "",
    })
    referrals.save_household_member(referral, lead, {
        "name": "Parent or carer (demo)", "relationship": "Mother", "date_of_birth": None, "age": "38",
        "lives_with_child": "yes", "address": "", "phone": "", "parental_responsibility": "yes",
    })
    referrals.complete_household(referral, lead, True)
    referrals.save_section(referral, lead, "referrer", {**referral.form["referrer"], "phone": "01632 960 999"})
    referrals.save_section(referral, lead, "reasons", {
        "summary": "Kai was found by officers at 23:40 on Friday in a flat known for drug supply, 6 miles from "
                   "home, with two phones and £300 in cash. He would not say how he got there.",
        "categories": ["cce", "missing"], "other_category": "",
        "actions_taken": "Returned home by officers; a missing-person record was opened and closed; intelligence shared.",
    })
    referrals.save_section(referral, lead, "consent", {
        "parents_aware": "yes", "consent_given": "yes", "no_consent_reason": None, "no_consent_details": "",
    })
    referrals.save_section(referral, lead, "voice", {
        "child_voice": "Said he was 'just visiting a mate' and that he is fine.", "wishes": "",
    })
    referrals.save_section(referral, lead, "agencies", {"involved": ["police", "youth_justice"], "details": ""})
    referrals.save_section(referral, lead, "need", {"level": "child_protection",
                                                    "why": "Indicators of child criminal exploitation."})
    assert not sections.incomplete_sections(referral.form, sections.sections_for(True))
    referrals.submit_referral(referral, lead)
    return 1
