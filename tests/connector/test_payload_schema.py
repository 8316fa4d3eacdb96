"""The referral payload schema (contract v1) and update validation."""

from __future__ import annotations

import copy
import uuid

import pytest

from portal.connector.payload import SCHEMA_VERSION, canonical_json, validate_referral_payload, validate_update
from tests.connector.payloads import referral_payload


def _codes(payload) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in validate_referral_payload(payload)}


def test_a_complete_referral_follows_the_schema():
    assert validate_referral_payload(referral_payload()) == []
    assert referral_payload()["schema_version"] == SCHEMA_VERSION == 1


def test_a_child_without_identifiers_or_address_is_still_a_valid_referral():
    payload = referral_payload(upn=None, nhs_number=None, address=None)
    del payload["child"]["sex"]
    assert validate_referral_payload(payload) == []


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda p: p.update(schema_version=2), ("schema_version", "not_allowed")),
        (lambda p: p.update(schema_version="1"), ("schema_version", "not_allowed")),
        (lambda p: p.update(referral_id="not-a-uuid"), ("referral_id", "invalid")),
        (lambda p: p.update(la_code="93"), ("la_code", "invalid")),
        (lambda p: p.update(submitted_at="2025-01-14T09:30:00"), ("submitted_at", "invalid")),
        (lambda p: p.update(urgent=1), ("urgent", "wrong_type")),
        (lambda p: p.update(level_of_need="severe"), ("level_of_need", "not_allowed")),
        (lambda p: p.update(extra="x"), ("extra", "unknown_field")),
        (lambda p: p["child"].update(upn="B801200005002"), ("child.upn", "invalid")),
        (lambda p: p["child"].update(nhs_number="123456789X"), ("child.nhs_number", "invalid")),
        (lambda p: p["child"].update(date_of_birth="2014-02-30"), ("child.date_of_birth", "invalid")),
        (lambda p: p["child"].update(legal_surname="   "), ("child.legal_surname", "empty")),
        (lambda p: p["child"]["address"].update(postcode="nt1 1aa"), ("child.address.postcode", "invalid")),
        (lambda p: p["reasons"].update(categories=[]), ("reasons.categories", "too_few")),
        (lambda p: p["reasons"].update(categories=["other"]), ("reasons.other_category", "required")),
        (lambda p: p["consent"].update(reason_not_sought=None), ("consent.reason_not_sought", "required")),
        (lambda p: p["household"][0].pop("lives_with_child"), ("household[0].lives_with_child", "required")),
        (lambda p: p["concerns"][0].update(categories=["gossip"]), ("concerns[0].categories[0]", "not_allowed")),
        (lambda p: p.pop("child_voice"), ("child_voice", "required")),
    ],
)
def test_each_rule_names_the_field_that_breaks_it(change, problem):
    payload = referral_payload()
    change(payload)
    assert problem in _codes(payload)


def test_consent_given_needs_no_reason():
    payload = referral_payload()
    payload["consent"] = {"parents_aware": True, "consent_given": True}
    assert validate_referral_payload(payload) == []


def test_problems_never_repeat_a_value():
    payload = referral_payload(legal_surname="X" * 500, nhs_number="9999999999")
    payload["Secret Field Name With Spaces"] = "value"
    text = " ".join(map(str, validate_referral_payload(payload)))
    assert "XXXX" not in text and "9999999999" not in text and "Secret" not in text


def test_the_body_bytes_are_the_same_for_the_same_payload_whatever_the_key_order():
    payload = referral_payload()
    shuffled = dict(reversed(list(copy.deepcopy(payload).items())))
    assert canonical_json(payload) == canonical_json(shuffled)


def test_updates_are_checked_for_the_fields_the_portal_uses_and_may_carry_more():
    summary = {
        "id": str(uuid.uuid4()),
        "kind": "case_summary",
        "created_at": "2025-01-20T10:00:00+00:00",
        "person_id": "PER-938-000001",
        "status": "child_protection_plan",
        "start_date": "2025-01-20",
        "case_notes": "extra fields are tolerated here and filtered by the sharing policy",
    }
    assert [(p.path, p.code) for p in validate_update(summary)] == [("cp_category", "required")]
    assert validate_update({**summary, "cp_category": "neglect"}) == []
    status = {
        "id": str(uuid.uuid4()),
        "kind": "referral_status",
        "created_at": "2025-01-20T10:00:00+00:00",
        "referral_id": str(uuid.uuid4()),
        "case_reference": "CASE-938-000001",
        "status": "decided",
    }
    assert [(p.path, p.code) for p in validate_update(status)] == [("decision", "required")]
    assert validate_update({**status, "decision": {"outcome": "early_help"}}) == []
    assert [(p.path, p.code) for p in validate_update({"kind": "gossip"})] == [("kind", "not_allowed")]
