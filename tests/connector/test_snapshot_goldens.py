"""The payload sent to the case system, byte for byte, for varied referrals.

Each case below is a submitted referral (its answers as the form keeps them, the pupil's record,
the linked concerns) and its payload is compared, as the canonical bytes sent
(portal.connector.payload.canonical_json), with a golden file in tests/connector/snapshot_goldens/.
The goldens were written by the code before the form definition carried the connector mapping, so
this test holds the mapping to exactly what it sent before: a change to any field's path or
conversion shows here as a changed byte.

The cases go beyond what the form's own checks let through (too-long text, an invalid postcode,
phone, UPN or NHS number, unknown codes, missing sections), because the payload builder never
refuses: it leaves out what cannot be sent in the contract's shape.

To write the goldens again after a deliberate change to the contract mapping:

    PORTAL_WRITE_SNAPSHOT_GOLDENS=1 .venv/bin/pytest tests/connector/test_snapshot_goldens.py

and read the diff of the JSON files before committing it.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from portal.auth.roles import Role
from portal.concerns.models import Concern, ConcernVersion
from portal.connector.payload import canonical_json
from portal.connector.snapshot import build_referral_payload
from portal.db import db
from portal.orgs.models import LocalAuthority, School
from portal.pupils.models import Pupil
from portal.referrals.models import Referral, ReferralConcern
from tests.factories import make_user

GOLDENS = Path(__file__).with_name("snapshot_goldens")
WRITE = os.environ.get("PORTAL_WRITE_SNAPSHOT_GOLDENS") == "1"

SUBMITTED_AT = datetime(2026, 1, 15, 10, 30, 5, 123456, tzinfo=timezone.utc)

LONG_NAME = "Bartholomew-Fitzwilliam " * 12  # 288 characters
LONG_LINE = "Flat 7, " + "The Very Long Named Block of Flats Beside the Canal " * 5  # over 200 characters
STATUS_DONE = {key: "completed" for key in
               ("risk", "child", "household", "referrer", "reasons", "consent", "voice", "agencies", "need")}


def _member(**answers) -> dict:
    member = {"id": str(uuid.UUID(int=len(answers) + 1000)), "name": "Marlowe Quintavalle", "relationship": "Stepfather",
              "date_of_birth": None, "age": "41", "lives_with_child": "yes", "address": "", "phone": "",
              "parental_responsibility": "no"}
    member.update(answers)
    return member


PUPIL = {
    "legal_forename": "Zorabelle", "legal_surname": "Quintavalle-Okonjo", "preferred_name": "Zora",
    "date_of_birth": date(2014, 3, 9), "sex": "Female", "gender": None, "upn": "V938123456789",
    "nhs_number": "9434765919", "address": "12 Cedar Row\nNorthtown", "postcode": "NT1 4AB",
    "ethnicity": "White British", "sen_status": "SEN support", "year_group": "Year 6",
}

CASES = {
    # Every section answered as the pages save them, two people, linked concerns.
    "complete": {
        "pupil": {},
        "urgent": False,
        "form": {
            "status": STATUS_DONE,
            "risk": {"immediate_risk": "no"},
            "child": {"legal_forename": "Zorabelle", "legal_surname": "Quintavalle-Okonjo", "preferred_name": "Zora",
                      "date_of_birth": "2014-03-09", "sex": "Female", "gender": "", "upn": "V938123456789",
                      "nhs_number": "943 476 5919", "address": "12 Cedar Row\nNorthtown", "postcode": "NT1 4AB",
                      "ethnicity": "White British", "first_language": "English", "sen_status": "SEN support",
                      "year_group": "Year 6"},
            "household": {"members": [
                _member(),
                _member(name="Ada Okonjo", relationship="Mother", date_of_birth="1985-08-15", age=None,
                        lives_with_child="no", address="4 Mill Lane\nSouthtown\nST2 9XY", phone="01632 960 002",
                        parental_responsibility="yes"),
            ]},
            "referrer": {"name": "Dana Lead", "role": "Designated safeguarding lead", "phone": "01632 960 001",
                         "email": "dana@school.test"},
            "reasons": {"summary": "Zorabelle said her stepfather locks her out overnight",
                        "categories": ["neglect", "cse", "domestic_abuse"], "other_category": "",
                        "actions_taken": "Spoke to Zorabelle; logged the concern; called the LADO for advice."},
            "consent": {"parents_aware": "no", "consent_given": "no", "no_consent_reason": "risk_to_child",
                        "no_consent_details": ""},
            "voice": {"child_voice": "I don't want to go home", "wishes": "To stay with my nan"},
            "agencies": {"involved": ["gp", "police", "camhs"], "details": "Dr Patel, Northtown Surgery"},
            "need": {"level": "child_protection", "why": "Locked out at night, in winter"},
        },
        "concerns": [
            {"days": 3, "categories": ["cse", "neglect"], "account": "Seen hungry again", "action_taken": "Told the DSL"},
            {"days": 10, "categories": ["missing", "family_in_prison", "child_on_child"], "account": "Missed a week",
             "action_taken": ""},
        ],
    },
    # Consent given, other category described, agencies none, urgent, an older child.
    "consented_other_category_urgent": {
        "pupil": {"sex": "Male", "sen_status": "Education, health and care plan", "year_group": "Year 11",
                  "preferred_name": None},
        "urgent": True,
        "form": {
            "status": STATUS_DONE,
            "risk": {"immediate_risk": "yes"},
            "child": {"legal_forename": "Tobias", "legal_surname": "Wren", "preferred_name": "",
                      "date_of_birth": "2009-11-30", "sex": "Male", "gender": "Non-binary", "upn": "",
                      "nhs_number": "", "address": "Flat 2\n9 High Street\nNorthtown", "postcode": "nt14ab",
                      "ethnicity": "", "first_language": "", "sen_status": "Education, health and care plan",
                      "year_group": "Year 11"},
            "household": {"members": [
                _member(name="Sol Wren", relationship="Father", age=None, date_of_birth="1979-01-02",
                        lives_with_child="yes", phone="+44 (0)1632 960001", parental_responsibility="not_known"),
            ]},
            "referrer": {"name": "Sam Deputy", "role": "Deputy DSL", "phone": "+44 1632 960 001",
                         "email": "sam.deputy@school.test"},
            "reasons": {"summary": "Threatened with a knife outside school", "categories": ["other", "serious_violence"],
                        "other_category": "Carrying a weapon", "actions_taken": ""},
            "consent": {"parents_aware": "yes", "consent_given": "yes", "no_consent_reason": None,
                        "no_consent_details": ""},
            "voice": {"child_voice": "He has not been asked: he left before we could speak to him", "wishes": ""},
            "agencies": {"involved": ["none"], "details": ""},
            "need": {"level": "child_in_need", "why": "Several agencies needed"},
        },
        "concerns": [],
    },
    # Odd values the form's checks would stop, and blanks the pupil's record fills.
    "odd_values": {
        "pupil": {"sex": "Not known", "sen_status": "No special educational needs"},
        "urgent": False,
        "form": {
            "status": STATUS_DONE,
            "risk": {"immediate_risk": "no"},
            "child": {"legal_forename": "   ", "legal_surname": "", "preferred_name": "  Zee  ",
                      "date_of_birth": "", "sex": "", "gender": "g" * 130, "upn": "a938 1234 56789",
                      "nhs_number": "943-476-5918", "address": "  , Flat 1 ,\n\n" + LONG_LINE + "\nLine 3\nLine 4\n"
                      "Line 5\nLine 6\nLine 7\nLine 8\nzz99 9zz", "postcode": "NOT A POSTCODE",
                      "ethnicity": "e" * 120, "first_language": "  Polish  ", "sen_status": "",
                      "year_group": "Year 6 (in a mixed class with Year 5)"},
            "household": {"members": [
                _member(name=LONG_NAME, relationship="r" * 150, age=" 7 ", phone="call me after six",
                        lives_with_child=None, parental_responsibility=None),
                _member(name="", relationship="", age="abc", phone="0" * 45, address="gir0aa"),
                _member(name="Old Relative", age="121", lives_with_child="no", address="Somewhere\nSW1A1AA"),
                _member(name="Exactly Old", age="120", phone="12345", address="  \n  "),
                _member(name="Baby", age="0", date_of_birth="2025-12-01", address="One line only, Northtown NT1 4AB"),
                _member(name="Negative", age="-1", phone="(01632) 960-001"),
            ]},
            "referrer": {"name": LONG_NAME, "role": "role " * 30, "phone": "ring the office",
                         "email": ("x" * 250) + "@school.test"},
            "reasons": {"summary": "   ", "categories": ["cse", "bogus", "cse", "other", "fgm"],
                        "other_category": "", "actions_taken": "  \n "},
            "consent": {"parents_aware": "no", "consent_given": "no", "no_consent_reason": "other",
                        "no_consent_details": "Mother is in hospital and father's whereabouts are unknown"},
            "voice": {"child_voice": "", "wishes": None},
            "agencies": {"involved": ["gp", "none", "martians", "other", "a" * 250], "details": "   "},
            "need": {"level": None, "why": ""},
        },
        "concerns": [
            {"days": 1, "categories": ["bogus"], "account": "", "action_taken": None},
            {"days": 2, "categories": [], "account": "  Said something worrying  ", "action_taken": "  "},
            {"days": 4, "versions": False},
            {"days": 5, "other_school": True, "categories": ["neglect"], "account": "Another school's concern"},
        ],
    },
    # Nothing answered at all, and a pupil's record with little in it.
    "empty_form": {
        "pupil": {"sex": None, "sen_status": None, "upn": None, "nhs_number": None, "address": None,
                  "postcode": None, "preferred_name": None, "year_group": None, "ethnicity": None},
        "urgent": False,
        "form": {},
        "concerns": [],
    },
    # Sections present but empty or null, long lists, other reasons and unknown codes.
    "null_sections_and_long_lists": {
        "pupil": {"sex": "Indeterminate", "sen_status": "Something else"},
        "urgent": True,
        "form": {
            "child": None,
            "household": {"members": [_member(name=f"Person {n}", age=str(20 + n)) for n in range(32)]},
            "referrer": None,
            "reasons": {"summary": "s" * 25_000, "categories": ["other"], "other_category": "o" * 250,
                        "actions_taken": None},
            "consent": {"parents_aware": None, "consent_given": None, "no_consent_reason": "mystery",
                        "no_consent_details": None},
            "voice": None,
            "agencies": {"involved": [f"agency_{n}" for n in range(35)], "details": None},
            "need": {"level": "early_help", "why": None},
        },
        "concerns": [],
    },
    # Consent refused with a reason and more detail; household key with no members list.
    "refused_consent": {
        "pupil": {"sex": "female", "sen_status": "sen support"},
        "urgent": False,
        "form": {
            "status": STATUS_DONE,
            "risk": {"immediate_risk": "no"},
            "child": {"legal_forename": "Mia", "legal_surname": "O'Brien", "preferred_name": "",
                      "date_of_birth": "2016-06-01", "sex": "", "gender": "", "upn": "V938123456789",
                      "nhs_number": "9434765919", "address": "not known", "postcode": "", "ethnicity": "",
                      "first_language": "", "sen_status": "", "year_group": ""},
            "household": {"members": None},
            "referrer": {"name": "Dana Lead", "role": "DSL", "phone": "01632 960 001", "email": "dana@school.test"},
            "reasons": {"summary": "Bruising on both upper arms", "categories": ["physical_abuse"],
                        "other_category": "ignored: not other", "actions_taken": "Body map completed"},
            "consent": {"parents_aware": "yes", "consent_given": "no", "no_consent_reason": "refused",
                        "no_consent_details": "Father said he would take her out of school"},
            "voice": {"child_voice": "Mia said she fell", "wishes": "Mia wants to go home"},
            "agencies": {"involved": ["health_visitor_school_nurse", "early_help", "social_care", "youth_justice",
                                      "housing", "adult_services"], "details": "School nurse: Jo Bright"},
            "need": {"level": "universal", "why": "Parents engaging"},
        },
        "concerns": [{"days": 0, "categories": ["physical_abuse"], "account": "Bruises seen in PE",
                      "action_taken": "Body map"}],
    },
}


def _fixed_id(case: str, n: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://safeguard.test/snapshot-goldens/{case}/{n}")


def build_case(case_name: str, case: dict) -> Referral:
    la = LocalAuthority(id=_fixed_id(case_name, 1), code="938", name="Northshire")
    school = School(id=_fixed_id(case_name, 2), urn="938001", local_authority_id=la.id, establishment_number="2001",
                    laestab="9382001", name="Oakfield Primary School", phase="Primary")
    other_school = School(id=_fixed_id(case_name, 3), urn="938002", local_authority_id=la.id,
                          establishment_number="4001", laestab="9384001", name="Riverside Academy", phase="Secondary")
    db.session.add_all([la, school, other_school])
    db.session.flush()
    dsl = make_user(Role.DSL, school, display_name="Dana Lead")
    pupil = Pupil(id=_fixed_id(case_name, 4), school_id=school.id, on_roll=True)
    for name, value in {**PUPIL, **case["pupil"]}.items():
        setattr(pupil, name, value)
    db.session.add(pupil)
    referral = Referral(id=_fixed_id(case_name, 5), school_id=school.id, pupil_id=pupil.id, local_authority_id=la.id,
                        created_by_id=dsl.id, status="submitted", urgent=case["urgent"], submitted_at=SUBMITTED_AT,
                        submitted_by_id=dsl.id, reference="938-2026-000001")
    referral.form = json.loads(json.dumps(case["form"]))
    db.session.add(referral)
    db.session.flush()
    for n, spec in enumerate(case["concerns"]):
        at = datetime(2026, 1, 14 - spec["days"], 9, 15, tzinfo=timezone.utc)
        concern = Concern(id=_fixed_id(case_name, 100 + n),
                          school_id=other_school.id if spec.get("other_school") else school.id, pupil_id=pupil.id,
                          logged_by_id=dsl.id, logged_at=at.replace(hour=16), occurred_at=at,
                          submission_token=f"{case_name}-{n}", status="reviewed")
        db.session.add(concern)
        db.session.flush()
        if spec.get("versions", True):
            version = ConcernVersion(concern_id=concern.id, version=1, created_by_id=dsl.id)
            version.content = {"location": "Playground", "categories": spec["categories"],
                               "account": spec["account"], "action_taken": spec.get("action_taken"),
                               "people_informed": None, "body_map": []}
            db.session.add(version)
        db.session.add(ReferralConcern(referral_id=referral.id, concern_id=concern.id))
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Referral, referral.id)


def _pretty(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case_name", sorted(CASES))
def test_the_payload_is_byte_for_byte_what_it_was(app, case_name):
    payload = build_referral_payload(build_case(case_name, CASES[case_name]))
    golden = GOLDENS / f"{case_name}.json"
    if WRITE:
        GOLDENS.mkdir(exist_ok=True)
        golden.write_text(_pretty(payload), encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert canonical_json(payload) == canonical_json(expected)
