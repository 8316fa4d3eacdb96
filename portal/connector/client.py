"""The portal's side of contract v1: deliver a referral, pull updates. One HTTP exchange per call.

No database here and no retries: the outbox worker owns both. This module turns one exchange into
a DeliveryResult that says what the worker should do next:

- delivered: 201 (new) or 200 (the same key and body seen before): keep the case reference.
- permanent: 400/422 (the body is wrong), 409 (this key was used with another body), other 4xx:
  sending it again cannot help; dead-letter it and alert.
- retryable: 5xx, 408/425/429, timeouts, connection errors, a reply we cannot trust or read.
  Also 401/403 (the server refused our signature: a wrong secret or a clock adrift) and
  404/405/3xx (a wrong base URL): nothing is wrong with the referral itself, so it must not be
  dead-lettered and lost; `endpoint_problem` tells the worker to alert the LA that its connection
  settings need attention while the referral waits.

Responses are signed by the server the same way as requests (docs/connector-contract.md), and the
client refuses a 2xx, 400, 409 or 422 reply whose signature or timestamp fails: a forged "delivered"
would lose a referral, a forged "conflict" would dead-letter it. Unsigned 5xx replies (a proxy's
502) need no check: they only cause a retry.

Nothing personal is logged: the referral id (a UUID), status codes and reason codes only.
"""

from __future__ import annotations

import enum
import json
import logging
import re
import ssl
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from portal.connector import signing
from portal.connector.destinations import AllowList, DestinationRefused, GuardedTransport, allowed_hosts
from portal.connector.payload import canonical_json, validate_referral_payload

log = logging.getLogger("portal.connector")

IDEMPOTENCY_HEADER = "Idempotency-Key"
REFERRALS_PATH = "/v1/referrals"
UPDATES_PATH = "/v1/updates"
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
MAX_PULL_LIMIT = 500
MAX_RETRY_AFTER_SECONDS = 3600
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.\[\]$]{1,80}$")


@dataclass(frozen=True)
class Endpoint:
    """Where an LA's case system (or its adapter) listens, and the secrets shared with it.

    `secrets` holds the current secret, or two during a rotation: requests are signed with each,
    and a reply signed with either is accepted.
    """

    base_url: str
    secrets: tuple[str, ...]
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    # A server that trickles bytes can keep every single read under read_timeout; this bounds the
    # whole exchange so a worker's lease can never run out while it waits.
    total_timeout: float = 20.0
    verify_responses: bool = True

    def __post_init__(self):
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the base URL must start with https:// (or http:// for a local simulator)")
        if isinstance(self.secrets, (str, bytes)) or not self.secrets:
            raise ValueError("an endpoint needs a tuple of one or two shared secrets")
        object.__setattr__(self, "secrets", tuple(self.secrets))

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect_timeout, read=self.read_timeout, write=self.read_timeout, pool=self.connect_timeout)


class Outcome(str, enum.Enum):
    DELIVERED = "delivered"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    reason: str  # short code: created, replayed, conflict, rejected, invalid_payload, server_error, timeout...
    status_code: int | None = None
    case_reference: str | None = None
    person_id: str | None = None
    received_at: datetime | None = None
    retry_after: float | None = None  # seconds, from a Retry-After header
    endpoint_problem: bool = False  # the LA's connection settings need a person's attention
    detail: str = ""  # safe diagnostic (field paths and codes from a 422), never values
    elapsed: float = field(default=0.0, compare=False)

    @property
    def delivered(self) -> bool:
        return self.outcome is Outcome.DELIVERED

    @property
    def retryable(self) -> bool:
        return self.outcome is Outcome.RETRYABLE

    @property
    def permanent(self) -> bool:
        return self.outcome is Outcome.PERMANENT


class PullError(Exception):
    """A pull failed. `retryable` is False only when asking again the same way cannot help."""

    def __init__(self, reason: str, *, retryable: bool, status_code: int | None = None, endpoint_problem: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status_code = status_code
        self.endpoint_problem = endpoint_problem


_ssl_context: ssl.SSLContext | None = None
_ssl_lock = threading.Lock()


def _shared_ssl_context() -> ssl.SSLContext:
    # Building a verifying SSL context loads the CA bundle (~30 ms); build it once per process.
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def new_http_client(allow: AllowList | None = None) -> httpx.Client:
    """A client a worker keeps for many calls (connection pooling). Redirects are not followed:
    a redirected POST is a misconfigured base URL, reported as such rather than silently resent.

    Every connection goes through GuardedTransport: only hosts on the operator's allow-list
    (`allow`, by default PORTAL_CONNECTOR_ALLOWED_HOSTS), at addresses checked when connecting
    (portal.connector.destinations)."""
    transport = GuardedTransport(
        allow if allow is not None else allowed_hosts(),
        verify=_shared_ssl_context(),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )
    return httpx.Client(transport=transport, follow_redirects=False)


# --- one exchange ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: httpx.Headers
    body: bytes


class _ResponseTooLarge(Exception):
    pass


class _DeadlineExceeded(Exception):
    pass


def _exchange(
    endpoint: Endpoint,
    http: httpx.Client | None,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    params: dict[str, str] | None = None,
) -> _Reply:
    owned = http is None
    client = new_http_client() if owned else http
    deadline = time.monotonic() + endpoint.total_timeout
    try:
        with client.stream(
            method,
            endpoint.url(path),
            content=body if method != "GET" else None,
            headers=headers,
            params=params,
            timeout=endpoint.timeout,
        ) as response:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise _ResponseTooLarge()
                if time.monotonic() > deadline:
                    raise _DeadlineExceeded()
                chunks.append(chunk)
            if time.monotonic() > deadline:
                raise _DeadlineExceeded()
            return _Reply(response.status_code, response.headers, b"".join(chunks))
    finally:
        if owned:
            client.close()


def _request_headers(endpoint: Endpoint, body: bytes, now: float | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = signing.signed_headers(endpoint.secrets, body, now=now)
    headers["Accept"] = "application/json"
    headers["User-Agent"] = "SafeguardPortal-Connector/1"
    if extra:
        headers.update(extra)
    return headers


def _reply_signature_problem(endpoint: Endpoint, reply: _Reply) -> str | None:
    if not endpoint.verify_responses:
        return None
    try:
        signing.verify(
            endpoint.secrets,
            reply.headers.get(signing.TIMESTAMP_HEADER),
            reply.headers.get(signing.SIGNATURE_HEADER),
            reply.body,
        )
    except signing.SignatureError as error:
        return error.reason
    return None


def _json_object(body: bytes) -> dict | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER_SECONDS))
    return None


def _problems_detail(data: dict | None) -> str:
    """Field paths and codes from a 422 body, filtered so no value can ride along."""
    if not data:
        return ""
    items = []
    for problem in data.get("problems", [])[:20] if isinstance(data.get("problems"), list) else []:
        if isinstance(problem, dict):
            path, code = str(problem.get("path", "")), str(problem.get("code", ""))
            if _SAFE_CODE.match(path) and _SAFE_CODE.match(code):
                items.append(f"{path}:{code}")
    error = str(data.get("error", ""))
    head = error if _SAFE_CODE.match(error) else ""
    return "; ".join(filter(None, [head, ", ".join(items)]))[:500]


# --- delivery ----------------------------------------------------------------------------------


def deliver_referral(
    endpoint: Endpoint,
    payload: dict,
    referral_id: uuid.UUID | str,
    *,
    http: httpx.Client | None = None,
    now: float | None = None,
) -> DeliveryResult:
    """POST the referral to {base}/v1/referrals once and classify the answer.

    `payload` must be the snapshot taken when the referral was submitted (kept with its outbox
    row), so every retry sends the same bytes. `referral_id` is the idempotency key and must equal
    payload["referral_id"]. Pass a long-lived `http` client (new_http_client()) to reuse
    connections. `now` overrides the signing clock (tests only). Never raises for network trouble.
    """
    return post_once(endpoint, payload, referral_id, kind="referral", path=REFERRALS_PATH,
                     validate=validate_referral_payload, classify=classify_delivery_reply, http=http, now=now)


def post_once(endpoint: Endpoint, payload: dict, record_id, *, kind: str, path: str, validate, classify,
              http: httpx.Client | None = None, now: float | None = None) -> DeliveryResult:
    """One signed POST of a snapshot to `path` with `Idempotency-Key: <record id>` (which must
    equal payload["<kind>_id"]), classified by `classify`: a referral's or an Encompass notice's.
    Never raises for network trouble."""
    key = str(uuid.UUID(str(record_id)))
    if payload.get(f"{kind}_id") != key:
        raise ValueError(f"payload {kind}_id must equal the idempotency key")
    problems = validate(payload)
    if problems:
        result = DeliveryResult(Outcome.PERMANENT, "invalid_payload", detail="; ".join(map(str, problems[:20]))[:500])
        _log(kind, key, result)
        return result

    body = canonical_json(payload)
    headers = _request_headers(endpoint, body, now, {IDEMPOTENCY_HEADER: key, "Content-Type": "application/json"})
    started = time.monotonic()
    try:
        reply = _exchange(endpoint, http, "POST", path, body, headers)
    except DestinationRefused as refused:
        # Not on the operator's allow-list (or resolving to an address that is not allowed):
        # nothing was sent. The record waits; the LA is told its settings need attention.
        result = DeliveryResult(Outcome.RETRYABLE, refused.reason, endpoint_problem=True)
    except (httpx.TimeoutException, _DeadlineExceeded):
        result = DeliveryResult(Outcome.RETRYABLE, "timeout")
    except httpx.UnsupportedProtocol:
        result = DeliveryResult(Outcome.RETRYABLE, "bad_base_url", endpoint_problem=True)
    except httpx.TransportError:
        # Refused, reset, or closed without an answer (perhaps after storing: the retry's 200
        # then gives the same case reference).
        result = DeliveryResult(Outcome.RETRYABLE, "connection_error")
    except _ResponseTooLarge:
        result = DeliveryResult(Outcome.RETRYABLE, "response_too_large", endpoint_problem=True)
    else:
        result = classify(endpoint, reply)
    result = _with_elapsed(result, time.monotonic() - started)
    _log(kind, key, result)
    return result


def classify_delivery_reply(endpoint: Endpoint, reply: _Reply) -> DeliveryResult:
    status = reply.status
    if 500 <= status <= 599:
        return DeliveryResult(Outcome.RETRYABLE, "server_error", status, retry_after=_retry_after(reply.headers))
    if status in (408, 425, 429):
        return DeliveryResult(Outcome.RETRYABLE, "throttled" if status == 429 else "timeout", status, retry_after=_retry_after(reply.headers))
    if status in (401, 403):
        return DeliveryResult(Outcome.RETRYABLE, "auth_refused", status, endpoint_problem=True, detail=_problems_detail(_json_object(reply.body)))
    if status in (404, 405) or 300 <= status <= 399:
        return DeliveryResult(Outcome.RETRYABLE, "endpoint_not_found", status, endpoint_problem=True)
    if status == 413:
        # The server cannot authenticate a body it refused to read, so this answer is unsigned.
        return DeliveryResult(Outcome.PERMANENT, "too_large", status)

    # From here the answer would settle the referral's fate: trust it only if the server signed it.
    signature_problem = _reply_signature_problem(endpoint, reply)
    if signature_problem:
        return DeliveryResult(Outcome.RETRYABLE, "untrusted_response", status, endpoint_problem=True, detail=signature_problem)

    data = _json_object(reply.body)
    if status in (200, 201):
        parsed = _parse_receipt(data)
        if parsed is None:
            return DeliveryResult(Outcome.RETRYABLE, "bad_response", status, endpoint_problem=True)
        case_reference, person_id, received_at = parsed
        return DeliveryResult(
            Outcome.DELIVERED,
            "created" if status == 201 else "replayed",
            status,
            case_reference=case_reference,
            person_id=person_id,
            received_at=received_at,
        )
    if status == 409:
        return DeliveryResult(Outcome.PERMANENT, "conflict", status, detail=_problems_detail(data))
    if 400 <= status <= 499:
        return DeliveryResult(Outcome.PERMANENT, "rejected", status, detail=_problems_detail(data))
    # 1xx/other 2xx: not part of the contract.
    return DeliveryResult(Outcome.RETRYABLE, "unexpected_status", status, endpoint_problem=True)


def _parse_receipt(data: dict | None) -> tuple[str, str | None, datetime] | None:
    if not data:
        return None
    case_reference, person_id, received_at = data.get("case_reference"), data.get("person_id"), data.get("received_at")
    if not isinstance(case_reference, str) or not 0 < len(case_reference) <= 40:
        return None
    if person_id is not None and (not isinstance(person_id, str) or not 0 < len(person_id) <= 40):
        return None
    try:
        when = datetime.fromisoformat(received_at) if isinstance(received_at, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        return None
    return case_reference, person_id, when


def _with_elapsed(result: DeliveryResult, elapsed: float) -> DeliveryResult:
    return replace(result, elapsed=elapsed)


def _log(kind: str, key: str, result: DeliveryResult) -> None:
    level = logging.INFO if result.delivered else logging.WARNING
    log.log(
        level,
        "connector delivery %s=%s outcome=%s reason=%s status=%s elapsed=%.3f",
        kind,
        key,
        result.outcome.value,
        result.reason,
        result.status_code,
        result.elapsed,
    )


# --- pull --------------------------------------------------------------------------------------


def pull_updates(
    endpoint: Endpoint,
    since_cursor: str | None,
    limit: int = 100,
    *,
    http: httpx.Client | None = None,
    now: float | None = None,
) -> tuple[list[dict], str | None]:
    """GET one page of {base}/v1/updates after `since_cursor` (None: from the beginning).

    Returns (updates, next_cursor). Keep next_cursor only after storing the page: a page pulled
    twice is harmless because updates are stored once by id. The cursor is opaque: store what
    the server sends (the one given, if it sends none). Each update is a dict with at least a string "id" and "kind"; validate the rest with
    portal.connector.payload.validate_update. Raises PullError.
    """
    if not 1 <= limit <= MAX_PULL_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_PULL_LIMIT}")
    params = {"limit": str(limit)}
    if since_cursor:
        params["since"] = since_cursor
    headers = _request_headers(endpoint, b"", now)
    try:
        reply = _exchange(endpoint, http, "GET", UPDATES_PATH, b"", headers, params=params)
    except DestinationRefused as refused:
        raise PullError(refused.reason, retryable=True, endpoint_problem=True) from None
    except (httpx.TimeoutException, _DeadlineExceeded):
        raise PullError("timeout", retryable=True) from None
    except httpx.UnsupportedProtocol:
        raise PullError("bad_base_url", retryable=True, endpoint_problem=True) from None
    except httpx.TransportError:
        raise PullError("connection_error", retryable=True) from None
    except _ResponseTooLarge:
        raise PullError("response_too_large", retryable=True, endpoint_problem=True) from None

    status = reply.status
    if status != 200:
        if 500 <= status <= 599 or status in (408, 425, 429):
            raise PullError("server_error", retryable=True, status_code=status)
        if status in (401, 403):
            raise PullError("auth_refused", retryable=True, status_code=status, endpoint_problem=True)
        raise PullError("rejected", retryable=False, status_code=status, endpoint_problem=True)
    signature_problem = _reply_signature_problem(endpoint, reply)
    if signature_problem:
        log.warning("connector pull refused an untrusted response reason=%s", signature_problem)
        raise PullError("untrusted_response", retryable=True, status_code=status, endpoint_problem=True)
    data = _json_object(reply.body)
    updates = data.get("updates") if data else None
    next_cursor = data.get("next_cursor", since_cursor) if data else None
    if not isinstance(updates, list) or not all(_has_id_and_kind(u) for u in updates):
        raise PullError("bad_response", retryable=True, status_code=status, endpoint_problem=True)
    if next_cursor is not None and (not isinstance(next_cursor, str) or len(next_cursor) > 200):
        raise PullError("bad_response", retryable=True, status_code=status, endpoint_problem=True)
    log.info("connector pull updates=%d", len(updates))
    return updates, (next_cursor or since_cursor)


def _has_id_and_kind(update) -> bool:
    return (
        isinstance(update, dict)
        and isinstance(update.get("id"), str)
        and 0 < len(update["id"]) <= 100
        and isinstance(update.get("kind"), str)
    )


__all__: Sequence[str] = (
    "DeliveryResult",
    "Endpoint",
    "Outcome",
    "PullError",
    "deliver_referral",
    "new_http_client",
    "pull_updates",
)
