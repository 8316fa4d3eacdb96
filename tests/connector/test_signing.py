"""Contract v1 signatures: the one module both sides use."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from portal.connector import signing
from portal.connector.signing import SignatureError, signed_headers, verify

SECRET = "a-shared-secret-of-at-least-thirty-two-chars"
OTHER = "another-shared-secret-of-thirty-two-chars!!"
NOW = 1_750_000_000
BODY = b'{"referral_id":"x"}'


def _verify(headers, body=BODY, secrets=(SECRET,), now=NOW):
    return verify(secrets, headers.get(signing.TIMESTAMP_HEADER), headers.get(signing.SIGNATURE_HEADER), body, now=now)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    headers = signed_headers([SECRET], BODY, now=NOW)
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert headers == {"X-Portal-Timestamp": str(NOW), "X-Portal-Signature": f"v1={expected}"}
    assert _verify(headers) == NOW


def test_a_changed_body_or_timestamp_or_a_wrong_secret_is_refused():
    headers = signed_headers([SECRET], BODY, now=NOW)
    for attempt in (
        lambda: _verify(headers, body=BODY + b" "),
        lambda: _verify({**headers, "X-Portal-Timestamp": str(NOW + 1)}),
        lambda: _verify(headers, secrets=(OTHER,)),
    ):
        with pytest.raises(SignatureError) as refused:
            attempt()
        assert refused.value.reason == "bad_signature"


@pytest.mark.parametrize(
    "age, reason",
    [(300, None), (-300, None), (301, "stale_timestamp"), (-301, "future_timestamp"), (86_400, "stale_timestamp")],
)
def test_timestamps_more_than_five_minutes_old_or_ahead_are_refused(age, reason):
    headers = signed_headers([SECRET], BODY, now=NOW - age)
    if reason is None:
        assert _verify(headers) == NOW - age
    else:
        with pytest.raises(SignatureError) as refused:
            _verify(headers)
        assert refused.value.reason == reason


@pytest.mark.parametrize(
    "timestamp, signature, reason",
    [
        (None, "v1=" + "0" * 64, "missing_timestamp"),
        ("soon", "v1=" + "0" * 64, "malformed_timestamp"),
        ("-5", "v1=" + "0" * 64, "malformed_timestamp"),
        (str(NOW), None, "missing_signature"),
        (str(NOW), "", "missing_signature"),
        (str(NOW), "v1=zz", "malformed_signature"),
        (str(NOW), "nonsense", "malformed_signature"),
        (str(NOW), "v2=" + "0" * 64, "missing_signature"),
        (str(NOW), ",".join(["v1=" + "0" * 64] * 5), "malformed_signature"),
    ],
)
def test_malformed_headers_are_refused_with_a_reason_code(timestamp, signature, reason):
    with pytest.raises(SignatureError) as refused:
        verify([SECRET], timestamp, signature, BODY, now=NOW)
    assert refused.value.reason == reason


def test_during_a_rotation_the_header_carries_two_values_and_either_is_accepted():
    both = signed_headers([SECRET, OTHER], BODY, now=NOW)
    assert both["X-Portal-Signature"].count("v1=") == 2
    assert _verify(both, secrets=(SECRET,)) == NOW
    assert _verify(both, secrets=(OTHER,)) == NOW
    # A receiver holding both accepts a sender that has moved to either one.
    assert _verify(signed_headers([OTHER], BODY, now=NOW), secrets=(SECRET, OTHER)) == NOW
    assert _verify(signed_headers([SECRET], BODY, now=NOW), secrets=(SECRET, OTHER)) == NOW


def test_a_later_scheme_beside_v1_is_ignored_not_refused():
    headers = signed_headers([SECRET], BODY, now=NOW)
    headers["X-Portal-Signature"] = "v2=" + "a" * 64 + ", " + headers["X-Portal-Signature"].upper().replace("V1=", "v1=")
    assert _verify(headers) == NOW


def test_signatures_are_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(signing.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    _verify(signed_headers([SECRET, OTHER], BODY, now=NOW), secrets=(SECRET, OTHER))
    assert len(calls) == 4  # every received value against every secret, no early exit


def test_short_secrets_are_refused_when_configured():
    with pytest.raises(ValueError):
        signing.check_secret("short")
    assert signing.check_secret(SECRET) == SECRET
