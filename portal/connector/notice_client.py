"""Deliver one Operation Encompass notice: `POST {base}/v1/encompass-notices`, signed as every
request of contract v1, with `Idempotency-Key: <notice id>`. One HTTP exchange per call; no
database and no retries (portal.connector.notice_outbox and the worker own both).

The answers are classified as a referral's (portal.connector.client), with two differences:
- a receipt is `{"notice_reference", "received_at"}` (no case or person: a notice is not a
  referral, and the case system decides what, if anything, to open from it);
- 404/405 on this path, from a case system whose referrals arrive, mean that it does not take
  notices (yet): `not_accepted`, permanent (a dead letter the triage managers can retry once the
  council's adapter takes them), and *not* an endpoint problem, so referrals carry on unflagged.

Nothing personal is logged: the notice id (a UUID), status codes and reason codes only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx

from portal.connector.client import (
    DeliveryResult,
    Endpoint,
    Outcome,
    _json_object,
    _reply_signature_problem,
    classify_delivery_reply,
    post_once,
)
from portal.connector.notice_payload import NOTICES_PATH, validate_notice_payload

def deliver_notice(
    endpoint: Endpoint,
    payload: dict,
    notice_id: uuid.UUID | str,
    *,
    http: httpx.Client | None = None,
    now: float | None = None,
) -> DeliveryResult:
    """POST the notice once and classify the answer. `payload` is the snapshot kept with the
    outbox row (the same bytes on every retry); `notice_id` is the idempotency key and must equal
    payload["notice_id"]. The receipt's reference comes back as `case_reference` of the result.
    Never raises for network trouble."""
    return post_once(endpoint, payload, notice_id, kind="notice", path=NOTICES_PATH,
                     validate=validate_notice_payload, classify=classify_notice_reply, http=http, now=now)


def classify_notice_reply(endpoint: Endpoint, reply) -> DeliveryResult:
    status = reply.status
    if status in (404, 405):
        return DeliveryResult(Outcome.PERMANENT, "not_accepted", status)
    if status not in (200, 201):
        return classify_delivery_reply(endpoint, reply)
    signature_problem = _reply_signature_problem(endpoint, reply)
    if signature_problem:
        return DeliveryResult(Outcome.RETRYABLE, "untrusted_response", status, endpoint_problem=True, detail=signature_problem)
    receipt = _parse_receipt(_json_object(reply.body))
    if receipt is None:
        return DeliveryResult(Outcome.RETRYABLE, "bad_response", status, endpoint_problem=True)
    reference, received_at = receipt
    return DeliveryResult(Outcome.DELIVERED, "created" if status == 201 else "replayed", status,
                          case_reference=reference, received_at=received_at)


def _parse_receipt(data: dict | None) -> tuple[str, datetime] | None:
    if not data:
        return None
    reference, received_at = data.get("notice_reference"), data.get("received_at")
    if not isinstance(reference, str) or not 0 < len(reference) <= 40:
        return None
    try:
        when = datetime.fromisoformat(received_at) if isinstance(received_at, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        return None
    return reference, when
