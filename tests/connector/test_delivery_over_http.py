"""deliver_referral against the simulator over real HTTP on loopback: every answer classified."""

from __future__ import annotations

import json
import time
import uuid

import httpx

from portal.connector import signing
from portal.connector.client import Outcome, deliver_referral, new_http_client
from portal.connector.payload import canonical_json
from tests.connector.conftest import NEXT_SECRET_938, SECRET_938
from tests.connector.payloads import changed, referral_payload


def test_delivery_returns_a_case_reference_and_person_id(casesim):
    payload = referral_payload()
    result = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert result.outcome is Outcome.DELIVERED
    assert (result.status_code, result.reason) == (201, "created")
    assert result.case_reference == "CASE-938-000001"
    assert result.person_id == "PER-938-000001"
    assert result.received_at.tzinfo is not None
    assert [c["referral_id"] for c in casesim.cases()] == [payload["referral_id"]]


def test_a_retry_with_the_same_key_and_body_answers_200_with_the_same_reference_and_no_second_case(casesim):
    payload = referral_payload()
    first = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    again = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert (again.outcome, again.status_code, again.reason) == (Outcome.DELIVERED, 200, "replayed")
    assert (again.case_reference, again.person_id, again.received_at) == (
        first.case_reference,
        first.person_id,
        first.received_at,
    )
    assert len(casesim.cases()) == 1


def test_the_same_key_with_a_different_body_is_a_permanent_conflict(casesim):
    payload = referral_payload()
    deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    altered = changed(payload, urgent=True)
    result = deliver_referral(casesim.endpoint(), altered, payload["referral_id"])
    assert (result.outcome, result.status_code, result.reason) == (Outcome.PERMANENT, 409, "conflict")
    assert len(casesim.cases()) == 1


def test_a_body_the_server_refuses_with_422_is_permanent_and_says_which_field(casesim):
    payload = referral_payload(la_code="939")  # valid, but sent to LA 938's base URL
    result = deliver_referral(casesim.endpoint("938"), payload, payload["referral_id"])
    assert (result.outcome, result.status_code, result.reason) == (Outcome.PERMANENT, 422, "rejected")
    assert "la_code:not_allowed" in result.detail
    assert casesim.cases() == []


def test_a_malformed_payload_is_stopped_before_sending_and_the_reason_names_fields_not_values(casesim):
    payload = referral_payload(nhs_number="9434765918")  # wrong check digit
    result = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert (result.outcome, result.reason, result.status_code) == (Outcome.PERMANENT, "invalid_payload", None)
    assert "child.nhs_number" in result.detail and "9434765918" not in result.detail
    assert casesim.cases() == []


def _raw_post(casesim, body: bytes, key: str | None, secret=SECRET_938, la="938") -> httpx.Response:
    headers = signing.signed_headers([secret], body)
    headers["Content-Type"] = "application/json"
    if key is not None:
        headers["Idempotency-Key"] = key
    return httpx.post(f"{casesim.base_url}/la/{la}/v1/referrals", content=body, headers=headers, timeout=5)


def test_the_server_answers_400_to_a_body_that_is_not_json_or_lacks_a_key_and_422_to_a_bad_schema(casesim):
    key = str(uuid.uuid4())
    assert _raw_post(casesim, b"{not json", key).status_code == 400
    assert _raw_post(casesim, b"[1, 2]", key).status_code == 400
    assert _raw_post(casesim, canonical_json(referral_payload(referral_id=key)), None).status_code == 400
    other_key = _raw_post(casesim, canonical_json(referral_payload()), key)
    assert (other_key.status_code, other_key.json()["error"]) == (400, "idempotency_key_does_not_match_referral_id")

    broken = referral_payload(referral_id=key)
    del broken["child"]["date_of_birth"]
    broken["surprise"] = "field"
    answer = _raw_post(casesim, canonical_json(broken), key)
    assert answer.status_code == 422
    assert {"path": "child.date_of_birth", "code": "required"} in answer.json()["problems"]
    assert {"path": "surprise", "code": "unknown_field"} in answer.json()["problems"]
    assert casesim.cases() == []


def test_the_same_json_with_other_spacing_is_the_same_body(casesim):
    payload = referral_payload()
    first = _raw_post(casesim, canonical_json(payload), payload["referral_id"])
    spaced = _raw_post(casesim, json.dumps(payload, indent=2).encode(), payload["referral_id"])
    assert (first.status_code, spaced.status_code) == (201, 200)
    assert first.json()["case_reference"] == spaced.json()["case_reference"]


def test_an_injected_500_is_retryable_and_the_next_try_delivers(casesim):
    casesim.set_fault("error_500", count=1)
    payload = referral_payload()
    failed = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert (failed.outcome, failed.status_code, failed.reason) == (Outcome.RETRYABLE, 500, "server_error")
    assert casesim.cases() == []
    assert deliver_referral(casesim.endpoint(), payload, payload["referral_id"]).reason == "created"


def test_a_server_hanging_past_the_client_timeout_is_retryable_and_the_retry_finds_one_case(casesim):
    casesim.set_fault("hang", delay=0.4, count=1)
    payload = referral_payload()
    started = time.monotonic()
    failed = deliver_referral(casesim.endpoint(read_timeout=0.15), payload, payload["referral_id"])
    assert (failed.outcome, failed.reason) == (Outcome.RETRYABLE, "timeout")
    assert time.monotonic() - started < 0.35
    time.sleep(0.4)  # the hung request wakes up and stores the referral nobody heard back about
    retried = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert (retried.outcome, retried.reason) == (Outcome.DELIVERED, "replayed")
    assert len(casesim.cases()) == 1


def test_a_slow_answer_within_the_timeout_is_delivered(casesim):
    casesim.set_fault("slow", delay=0.2, count=1)
    payload = referral_payload()
    result = deliver_referral(casesim.endpoint(read_timeout=2), payload, payload["referral_id"])
    assert result.reason == "created" and result.elapsed >= 0.2


def test_a_connection_dropped_after_storing_is_retryable_and_the_retry_creates_no_second_case(casesim):
    casesim.set_fault("drop_after_store", count=1)
    payload = referral_payload()
    dropped = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert (dropped.outcome, dropped.reason, dropped.status_code) == (Outcome.RETRYABLE, "connection_error", None)
    assert len(casesim.cases()) == 1  # stored, though the client never heard
    retried = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert (retried.reason, retried.case_reference) == ("replayed", casesim.cases()[0]["case_reference"])
    assert len(casesim.cases()) == 1


def test_a_server_that_is_down_is_a_retryable_connection_error(casesim, monkeypatch):
    payload = referral_payload()
    endpoint = casesim.endpoint()
    down = type(endpoint)("http://127.0.0.1:9/la/938", endpoint.secrets, connect_timeout=0.5)
    monkeypatch.setenv("PORTAL_CONNECTOR_ALLOWED_HOSTS", "127.0.0.1:9")
    result = deliver_referral(down, payload, payload["referral_id"])
    assert (result.outcome, result.reason) == (Outcome.RETRYABLE, "connection_error")


def test_a_wrong_secret_is_refused_by_the_server_and_kept_for_retry_as_an_endpoint_problem(casesim):
    payload = referral_payload()
    result = deliver_referral(casesim.endpoint(secrets=("a-wrong-secret-that-is-long-enough-000000",)), payload, payload["referral_id"])
    assert (result.outcome, result.status_code, result.reason) == (Outcome.RETRYABLE, 401, "auth_refused")
    assert result.endpoint_problem and "bad_signature" in result.detail
    assert casesim.cases() == []


def test_old_and_future_timestamps_are_refused_by_the_server(casesim):
    payload = referral_payload()
    # Well outside the 300 s window: the header carries whole seconds, so a skew of 301 could
    # arrive as 300.x by the server's clock and be accepted (seen once in CI). The exact boundary
    # is tested with a fixed clock in test_signing.py.
    for skew, reason in ((-330, "stale_timestamp"), (330, "future_timestamp")):
        result = deliver_referral(casesim.endpoint(), payload, payload["referral_id"], now=time.time() + skew)
        assert (result.status_code, result.reason, result.detail) == (401, "auth_refused", reason)
    assert casesim.cases() == []
    inside = deliver_referral(casesim.endpoint(), payload, payload["referral_id"], now=time.time() - 280)
    assert inside.reason == "created"


def test_a_reply_with_a_bad_signature_is_refused_by_the_client(casesim):
    casesim.set_fault("bad_response_signature", count=1)
    payload = referral_payload()
    result = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert (result.outcome, result.reason, result.detail) == (Outcome.RETRYABLE, "untrusted_response", "bad_signature")
    assert result.case_reference is None
    assert deliver_referral(casesim.endpoint(), payload, payload["referral_id"]).reason == "replayed"


def test_a_reply_with_an_old_timestamp_is_refused_by_the_client(casesim):
    casesim.set_fault("stale_response_timestamp", count=1)
    payload = referral_payload()
    result = deliver_referral(casesim.endpoint(), payload, payload["referral_id"])
    assert (result.reason, result.detail) == ("untrusted_response", "stale_timestamp")


def test_during_a_rotation_either_secret_is_accepted_on_both_sides(start_casesim):
    rotating_server = start_casesim({"938": (SECRET_938, NEXT_SECRET_938)})
    # The portal already moved to the new secret only: the server, holding both, accepts it.
    payload = referral_payload()
    assert deliver_referral(rotating_server.endpoint(secrets=(NEXT_SECRET_938,)), payload, payload["referral_id"]).delivered
    # The portal still on the old one only: accepted too, and the reply (signed with both) verifies.
    payload = referral_payload()
    assert deliver_referral(rotating_server.endpoint(secrets=(SECRET_938,)), payload, payload["referral_id"]).delivered

    new_only_server = start_casesim({"938": (NEXT_SECRET_938,)})
    payload = referral_payload()
    both = new_only_server.endpoint(secrets=(SECRET_938, NEXT_SECRET_938))
    assert deliver_referral(both, payload, payload["referral_id"]).delivered
    assert signing.signature_header(both.secrets, 1, b"").count("v1=") == 2


def test_a_shared_http_client_reuses_connections_for_many_deliveries(casesim):
    with new_http_client() as http:
        results = [deliver_referral(casesim.endpoint(), p, p["referral_id"], http=http) for p in (referral_payload() for _ in range(20))]
    assert all(r.reason == "created" for r in results)
    assert len({r.case_reference for r in results}) == 20


def test_an_unknown_la_is_not_found_and_kept_for_retry_as_an_endpoint_problem(casesim):
    payload = referral_payload(la_code="940")
    result = deliver_referral(casesim.endpoint("940"), payload, payload["referral_id"])
    assert (result.status_code, result.outcome, result.endpoint_problem) == (404, Outcome.RETRYABLE, True)
