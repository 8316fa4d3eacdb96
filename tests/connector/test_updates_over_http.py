"""pull_updates against the simulator: paging by cursor, signatures, the feed's content."""

from __future__ import annotations

import time

import httpx
import pytest

from portal.connector import signing
from portal.connector.client import PullError, deliver_referral, pull_updates
from portal.connector.payload import validate_update
from tests.connector.conftest import SECRET_938, SECRET_939
from tests.connector.payloads import referral_payload


def _deliver(casesim, la_code="938", **child):
    payload = referral_payload(la_code, **child)
    endpoint = casesim.endpoint(la_code, secrets=(SECRET_938 if la_code == "938" else SECRET_939,))
    result = deliver_referral(endpoint, payload, payload["referral_id"])
    assert result.delivered
    return result


def _feed(casesim, endpoint, limit):
    """Pull page after page until an empty one; return every update and each page's size."""
    cursor, seen, sizes = None, [], []
    while True:
        updates, cursor_after = pull_updates(endpoint, cursor, limit)
        if not updates:
            assert cursor_after == cursor
            return seen, sizes, cursor
        sizes.append(len(updates))
        seen.extend(updates)
        cursor = cursor_after


def test_paging_by_cursor_returns_every_update_once_in_order(casesim):
    first, second = _deliver(casesim), _deliver(casesim, nhs_number="4010232137", upn=None)
    store = casesim.store
    published = [
        store.set_status(first.case_reference, "acknowledged")["id"],
        store.set_status(first.case_reference, "in_triage")["id"],
        store.set_status(
            first.case_reference, "decided", decision={"outcome": "early_help", "feedback_for_school": "Early help offered."}
        )["id"],
        store.add_summary("938", first.person_id, {"status": "open_early_help", "start_date": "2025-01-20"})["id"],
        store.set_status(second.case_reference, "acknowledged")["id"],
    ]
    updates, sizes, final_cursor = _feed(casesim, casesim.endpoint(), limit=2)
    assert [u["id"] for u in updates] == published
    assert sizes == [2, 2, 1]
    assert all(validate_update(u) == [] for u in updates)

    # Asking again from the end gives nothing new; a newer update then arrives exactly once.
    assert pull_updates(casesim.endpoint(), final_cursor, 2) == ([], final_cursor)
    late = store.set_status(second.case_reference, "in_triage")["id"]
    again, cursor = pull_updates(casesim.endpoint(), final_cursor, 2)
    assert [u["id"] for u in again] == [late]
    assert pull_updates(casesim.endpoint(), cursor, 2) == ([], cursor)


def test_an_la_sees_only_its_own_updates(casesim):
    north, south = _deliver(casesim), _deliver(casesim, "939")
    casesim.store.set_status(north.case_reference, "acknowledged")
    casesim.store.set_status(south.case_reference, "acknowledged")
    updates, _ = pull_updates(casesim.endpoint("938"), None, 10)
    assert [u["case_reference"] for u in updates] == [north.case_reference]


def test_a_case_summary_carries_the_contract_fields_and_any_extra_ones_the_case_system_adds(casesim):
    delivered = _deliver(casesim)
    casesim.store.add_summary(
        "938",
        delivered.person_id,
        {
            "status": "child_protection_plan",
            "cp_category": "neglect",
            "start_date": "2025-02-01",
            "allocated_worker": {"name": "Jo Worker", "email": "jo.worker@northshire.example", "phone": "01234 567890"},
            "team": {"name": "Child Protection Team North", "email": "cp.north@northshire.example"},
            "next_review_date": "2025-05-01",
            "note_for_school": "Please attend the review conference.",
        },
        extra={"case_notes": "not for schools"},
    )
    (summary,), _ = pull_updates(casesim.endpoint(), None, 10)
    assert summary["kind"] == "case_summary" and summary["person_id"] == delivered.person_id
    assert summary["case_reference"] == delivered.case_reference
    assert summary["cp_category"] == "neglect" and summary["case_notes"] == "not for schools"
    assert validate_update(summary) == []


def test_a_pull_signed_with_a_wrong_secret_or_an_old_timestamp_is_refused(casesim):
    with pytest.raises(PullError) as refused:
        pull_updates(casesim.endpoint(secrets=("another-secret-long-enough-for-the-rules-00",)), None, 10)
    assert (refused.value.status_code, refused.value.reason, refused.value.retryable) == (401, "auth_refused", True)
    with pytest.raises(PullError) as stale:
        pull_updates(casesim.endpoint(), None, 10, now=time.time() - 400)
    assert stale.value.status_code == 401


def test_a_pull_answer_with_a_bad_signature_is_refused_by_the_client(casesim):
    casesim.set_fault("bad_response_signature", scope="updates", count=1)
    with pytest.raises(PullError) as refused:
        pull_updates(casesim.endpoint(), None, 10)
    assert refused.value.reason == "untrusted_response"


def test_faults_on_the_feed_are_retryable(casesim):
    casesim.set_fault("error_500", scope="updates", count=1)
    with pytest.raises(PullError) as failed:
        pull_updates(casesim.endpoint(), None, 10)
    assert (failed.value.reason, failed.value.retryable) == ("server_error", True)
    casesim.set_fault("hang", scope="updates", delay=0.5, count=1)
    with pytest.raises(PullError) as hung:
        pull_updates(casesim.endpoint(read_timeout=0.1), None, 10)
    assert hung.value.reason == "timeout"
    assert pull_updates(casesim.endpoint(), None, 10) == ([], "0")


def test_a_referral_fault_does_not_touch_the_feed(casesim):
    casesim.set_fault("error_500", scope="referrals")
    assert pull_updates(casesim.endpoint(), None, 10) == ([], "0")


def test_the_server_refuses_a_malformed_cursor_or_limit(casesim):
    def get(params):
        headers = signing.signed_headers([SECRET_938], b"")
        return httpx.get(f"{casesim.base_url}/la/938/v1/updates", params=params, headers=headers, timeout=5)

    assert get({"since": "abc"}).status_code == 400
    assert get({"limit": "0"}).status_code == 400
    assert get({"limit": "501"}).status_code == 400
    assert get({"limit": "5"}).json() == {"updates": [], "next_cursor": "0"}


def test_the_client_refuses_a_limit_outside_the_contract(casesim):
    with pytest.raises(ValueError):
        pull_updates(casesim.endpoint(), None, 0)
