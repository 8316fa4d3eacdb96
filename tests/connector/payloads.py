"""Valid contract v1 referral payloads for tests (invented children, valid check digits)."""

from __future__ import annotations

import copy
import uuid


def referral_payload(la_code: str = "938", *, referral_id: str | None = None, **child_overrides) -> dict:
    child = {
        "legal_forenames": "Amelia Rose",
        "legal_surname": "Testchild",
        "preferred_name": "Milly",
        "date_of_birth": "2014-03-09",
        "sex": "F",
        "upn": "B801200005001",
        "nhs_number": "9434765919",
        "year_group": "Year 5",
        "sen_provision": "none",
        "address": {"lines": ["1 Example Street", "Northtown"], "postcode": "NT1 1AA"},
    }
    child.update(child_overrides)
    return {
        "schema_version": 1,
        "referral_id": referral_id or str(uuid.uuid4()),
        "la_code": la_code,
        "submitted_at": "2025-01-14T09:30:00+00:00",
        "source_code": "2A",
        "urgent": False,
        "school": {"urn": "938001", "laestab": "9382001", "name": "Oakfield Primary School"},
        "referrer": {"name": "Dana Lead", "role": "Designated safeguarding lead", "email": "dsl@oakfield.example"},
        "child": child,
        "household": [
            {"name": "Sam Testparent", "relationship": "Mother", "lives_with_child": True, "parental_responsibility": True}
        ],
        "reasons": {"summary": "Repeated unexplained bruising.", "categories": ["physical_abuse"]},
        "level_of_need": "child_in_need",
        "consent": {"parents_aware": False, "consent_given": None, "reason_not_sought": "Informing the parent may place the child at risk."},
        "child_voice": "Said she did not want to go home.",
        "other_agencies": [],
        "concerns": [
            {
                "concern_id": str(uuid.uuid4()),
                "occurred_at": "2025-01-13T14:00:00+00:00",
                "recorded_at": "2025-01-13T15:10:00+00:00",
                "categories": ["physical_abuse"],
                "summary": "Bruise on the upper arm.",
                "action_taken": "Spoke with the DSL.",
            }
        ],
    }


def changed(payload: dict, **top_level) -> dict:
    other = copy.deepcopy(payload)
    other.update(top_level)
    return other
