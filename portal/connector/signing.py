"""Contract v1 message signing, used by both sides: the portal's client and the case-system server.

A message (request or response) is signed as HMAC-SHA256 over ``"<timestamp>.<body>"`` with the
LA's shared secret, where ``timestamp`` is the decimal unix time in seconds carried in
``X-Portal-Timestamp`` and ``body`` the exact bytes sent (empty for a GET). The signature travels as
``X-Portal-Signature: v1=<hex>``.

Rotation: a sender holding two secrets sends one ``v1=`` value per secret, comma-separated, and a
receiver holding one or two secrets accepts the message if any value matches any of its secrets.
So a rotation is: the receiver adds the new secret, the sender signs with both, the old one is
then removed from both, with no moment at which messages are refused.

Why the timestamp is signed and bounded: a captured message cannot be replayed later than
MAX_SKEW_SECONDS, and cannot be post-dated to stay valid longer. Every comparison is made with
hmac.compare_digest so the time taken reveals nothing about how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Sequence

TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_HEADER = "X-Portal-Signature"
SCHEME = "v1"
MAX_SKEW_SECONDS = 300
# A header with more values than this is refused: rotation needs two; more is a mistake or abuse.
MAX_SIGNATURE_VALUES = 4
# Secrets shorter than this are refused when configuring either side: HMAC is only as strong as
# its key, and these secrets protect children's records in transit.
MIN_SECRET_LENGTH = 32

_HEX_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_TIMESTAMP = re.compile(r"^\d{1,12}$")

Secret = str | bytes


class SignatureError(Exception):
    """A message failed verification. `reason` is a short code safe to log and to send back."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _key(secret: Secret) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode("utf-8")


def _as_list(secrets: Secret | Iterable[Secret]) -> list[bytes]:
    if isinstance(secrets, (str, bytes)):
        secrets = [secrets]
    keys = [_key(s) for s in secrets if s]
    if not keys:
        raise ValueError("at least one shared secret is needed to sign or verify")
    return keys


def check_secret(secret: str) -> str:
    """Refuse a secret too short to be safe. Returns it unchanged; the message never repeats it."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"a shared secret must be at least {MIN_SECRET_LENGTH} characters")
    return secret


def compute_signature(secret: Secret, timestamp: int | str, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>"."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Secret | Iterable[Secret], timestamp: int | str, body: bytes) -> str:
    """The X-Portal-Signature value: one `v1=` value per secret (two during a rotation)."""
    return ",".join(f"{SCHEME}={compute_signature(k, timestamp, body)}" for k in _as_list(secrets))


def signed_headers(secrets: Secret | Iterable[Secret], body: bytes, now: float | None = None) -> dict[str, str]:
    """Both headers for a message with this body, timestamped now."""
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_header(secrets, timestamp, body),
    }


def _parse_signatures(header: str) -> list[str]:
    values = [part.strip() for part in header.split(",")]
    if len(values) > MAX_SIGNATURE_VALUES:
        raise SignatureError("malformed_signature")
    signatures = []
    for value in values:
        scheme, sep, digest = value.partition("=")
        if not sep:
            raise SignatureError("malformed_signature")
        if scheme.strip() != SCHEME:
            # Another scheme (a future v2) is ignored, not an error, so that senders can add one.
            continue
        digest = digest.strip().lower()
        if not _HEX_SIGNATURE.match(digest):
            raise SignatureError("malformed_signature")
        signatures.append(digest)
    if not signatures:
        raise SignatureError("missing_signature")
    return signatures


def check_timestamp(timestamp_header: str | None, now: float | None = None, max_skew: int = MAX_SKEW_SECONDS) -> int:
    """The timestamp as an int, or SignatureError if it is missing, malformed, stale or future."""
    if not timestamp_header:
        raise SignatureError("missing_timestamp")
    timestamp_header = timestamp_header.strip()
    if not _TIMESTAMP.match(timestamp_header):
        raise SignatureError("malformed_timestamp")
    timestamp = int(timestamp_header)
    current = time.time() if now is None else now
    if timestamp < current - max_skew:
        raise SignatureError("stale_timestamp")
    if timestamp > current + max_skew:
        raise SignatureError("future_timestamp")
    return timestamp


def verify(
    secrets: Secret | Sequence[Secret],
    timestamp_header: str | None,
    signature_header_value: str | None,
    body: bytes,
    now: float | None = None,
    max_skew: int = MAX_SKEW_SECONDS,
) -> int:
    """Check a received message; return its timestamp or raise SignatureError.

    Accepts the message if any `v1=` value matches any of `secrets` (rotation on either side).
    Every candidate pair is compared, in constant time, so no early exit reveals which failed.
    """
    keys = _as_list(secrets)
    timestamp = check_timestamp(timestamp_header, now=now, max_skew=max_skew)
    if not signature_header_value:
        raise SignatureError("missing_signature")
    received = _parse_signatures(signature_header_value)
    matched = False
    for key in keys:
        expected = compute_signature(key, timestamp_header.strip(), body)
        for candidate in received:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("bad_signature")
    return timestamp
