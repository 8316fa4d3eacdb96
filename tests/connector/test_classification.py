"""How a reply's status code becomes delivered / retryable / permanent (the outbox worker acts on it)."""

from __future__ import annotations

import json

import httpx
import pytest

from portal.connector import signing
from portal.connector.client import Endpoint, Outcome, _Reply, classify_delivery_reply

SECRET = "classification-test-secret-0123456789abcdef"
ENDPOINT = Endpoint("https://case-system.example/la/938", (SECRET,))


def _reply(status: int, data: dict | None = None, *, signed: bool = True, headers: dict | None = None) -> _Reply:
    body = json.dumps(data or {}).encode()
    all_headers = dict(signing.signed_headers([SECRET], body)) if signed else {}
    all_headers.update(headers or {})
    return _Reply(status, httpx.Headers(all_headers), body)


RECEIPT = {"case_reference": "CASE-938-000001", "person_id": "PER-938-000001", "received_at": "2025-01-14T09:30:01+00:00"}


@pytest.mark.parametrize(
    "status, outcome, reason",
    [
        (201, Outcome.DELIVERED, "created"),
        (200, Outcome.DELIVERED, "replayed"),
        (400, Outcome.PERMANENT, "rejected"),
        (422, Outcome.PERMANENT, "rejected"),
        (409, Outcome.PERMANENT, "conflict"),
        (413, Outcome.PERMANENT, "too_large"),
        (500, Outcome.RETRYABLE, "server_error"),
        (502, Outcome.RETRYABLE, "server_error"),
        (503, Outcome.RETRYABLE, "server_error"),
        (429, Outcome.RETRYABLE, "throttled"),
        (408, Outcome.RETRYABLE, "timeout"),
        (401, Outcome.RETRYABLE, "auth_refused"),
        (404, Outcome.RETRYABLE, "endpoint_not_found"),
        (302, Outcome.RETRYABLE, "endpoint_not_found"),
    ],
)
def test_status_codes_are_classified_as_the_contract_says(status, outcome, reason):
    result = classify_delivery_reply(ENDPOINT, _reply(status, RECEIPT if status in (200, 201) else {"error": "x"}))
    assert (result.outcome, result.reason, result.status_code) == (outcome, reason, status)


def test_retry_after_is_passed_on_for_the_worker_to_honour():
    result = classify_delivery_reply(ENDPOINT, _reply(503, signed=False, headers={"Retry-After": "120"}))
    assert (result.retryable, result.retry_after) == (True, 120.0)


@pytest.mark.parametrize("status", [200, 201, 400, 409, 422])
def test_an_unsigned_answer_that_would_settle_the_referral_is_not_trusted(status):
    result = classify_delivery_reply(ENDPOINT, _reply(status, RECEIPT, signed=False))
    assert (result.outcome, result.reason, result.detail) == (Outcome.RETRYABLE, "untrusted_response", "missing_timestamp")


def test_an_endpoint_may_opt_out_of_reply_signatures_for_an_adapter_that_cannot_sign():
    endpoint = Endpoint(ENDPOINT.base_url, ENDPOINT.secrets, verify_responses=False)
    assert classify_delivery_reply(endpoint, _reply(201, RECEIPT, signed=False)).delivered


@pytest.mark.parametrize(
    "receipt",
    [{}, {**RECEIPT, "case_reference": ""}, {**RECEIPT, "received_at": "yesterday"}, {**RECEIPT, "received_at": "2025-01-14T09:30:01"}],
)
def test_a_success_without_a_usable_receipt_is_retried_not_taken(receipt):
    result = classify_delivery_reply(ENDPOINT, _reply(201, receipt))
    assert (result.outcome, result.reason) == (Outcome.RETRYABLE, "bad_response")


def test_the_detail_of_a_422_keeps_field_paths_and_codes_but_nothing_that_could_be_a_value():
    data = {"error": "invalid_payload", "problems": [{"path": "child.upn", "code": "invalid"}, {"path": "Jane Smith", "code": "x"}]}
    result = classify_delivery_reply(ENDPOINT, _reply(422, data))
    assert result.detail == "invalid_payload; child.upn:invalid"


def test_endpoints_refuse_bad_base_urls_and_missing_secrets():
    with pytest.raises(ValueError):
        Endpoint("ftp://case-system.example", (SECRET,))
    with pytest.raises(ValueError):
        Endpoint("https://case-system.example", ())
    with pytest.raises(ValueError):
        Endpoint("https://case-system.example", SECRET)
