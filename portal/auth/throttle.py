"""Sign-in throttling: guessing is stopped, and an attacker cannot lock a DSL out.

Three counters, kept in Flask-Limiter's storage (Redis when PORTAL_REDIS_URL is set, so every
worker and machine shares them; memory otherwise):

1. Per account *and source*: 10 consecutive failures (password or code) from one source lock
   the account for that source only, for 15 minutes. A success clears the count.
2. Per account, from all *unrecognised* sources together: at most 100 failures in any hour
   (ASVS 2.2.1). Past that, unrecognised sources are refused for that account until the hour
   has passed.
3. Per IP address, across all accounts: Flask-Limiter's own limit on the sign-in and reset
   forms (see views), against one machine spraying many accounts.

A "source" is the browser's device cookie when it holds a valid one for this account (it is
issued after a successful sign-in, OWASP's "device cookie" scheme), and the IP address
otherwise. So an attacker guessing from elsewhere — even from many addresses, even from the
school's own network — exhausts only their own source's and the unrecognised sources' budgets:
the DSL, on a browser they have signed in from before, keeps signing in.

Accounts are keyed by a hash of the email address typed, whether or not an account exists, so
the answers for unknown addresses are the same as for real ones (no enumeration by lockout).

Windows are measured with `portal.auth.wall_clock`, so tests move time instead of sleeping: a lock is
stored as the time it ends, and the hourly budget as 10-minute buckets.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from portal.auth import wall_clock
from portal.extensions import limiter
from portal.templating import uk_datetime

SOURCE_FAILURE_LIMIT = 10
LOCK_MINUTES = 15
ACCOUNT_FAILURES_PER_HOUR = 100
BUCKET_SECONDS = 600
BUCKETS_PER_HOUR = 6  # an hour is covered by the current bucket and the 6 before it
FAILURE_MEMORY_SECONDS = 24 * 3600

DEVICE_COOKIE = "portal_device"
DEVICE_COOKIE_DAYS = 180
DEVICE_COOKIE_ACCOUNTS = 5  # a shared school computer may recognise a few staff


class LockScope(StrEnum):
    SOURCE = "source"  # this browser (device cookie) or address, for this account
    ACCOUNT = "account"  # every unrecognised source, for this account (the hourly budget)


@dataclass(frozen=True)
class Locked:
    until: datetime
    scope: LockScope
    started: bool = False  # this failure is the one that started the lock


@dataclass(frozen=True)
class Source:
    account: str
    key: str
    recognised: bool


def account_key(email: str) -> str:
    """An opaque key for whatever email was typed (the address itself is never stored here)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, (email or "").strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


# --- device cookies -------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="portal-device-cookie")


def _device_entries() -> list[list[str]]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(value, list):
        return []
    return [e for e in value if isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)]


def source_for(email: str) -> Source:
    account = account_key(email)
    for acct, device_id in _device_entries():
        if hmac.compare_digest(acct, account):
            return Source(account, f"dev:{device_id}", True)
    return Source(account, f"ip:{request.remote_addr or 'unknown'}", False)


def remember_device(response, email: str) -> None:
    """After a successful sign-in: this browser becomes a recognised source for the account."""
    account = account_key(email)
    entries = [e for e in _device_entries() if e[0] != account]
    entries.insert(0, [account, secrets.token_urlsafe(16)])
    production = current_app.config.get("PORTAL_ENV") == "production"
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(entries[:DEVICE_COOKIE_ACCOUNTS]),
        max_age=DEVICE_COOKIE_DAYS * 86400,
        httponly=True,
        secure=production,
        samesite="Lax",
    )


# --- counters -------------------------------------------------------------------------------


def _storage():
    return limiter.storage


def _k(*parts: str) -> str:
    return "portal-auth/" + "/".join(parts)


def _bucket(ts: float) -> int:
    return int(ts) // BUCKET_SECONDS


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def _account_buckets(account: str, now_ts: float) -> list[int]:
    current = _bucket(now_ts)
    storage = _storage()
    return [int(storage.get(_k("acct", account, str(b))) or 0) for b in range(current - BUCKETS_PER_HOUR, current + 1)]


def check(source: Source) -> Locked | None:
    """Is this source refused for this account right now? Checked before any password work."""
    now_ts = wall_clock.timestamp()
    storage = _storage()
    lock_until = int(storage.get(_k("lock", source.account, source.key)) or 0)
    if lock_until > now_ts:
        return Locked(_at(lock_until), LockScope.SOURCE)
    if not source.recognised:
        counts = _account_buckets(source.account, now_ts)
        if sum(counts) >= ACCOUNT_FAILURES_PER_HOUR:
            # The budget frees up as old buckets fall out of the hour: find when it drops below.
            current = _bucket(now_ts)
            total = sum(counts)
            for k, dropped in enumerate(counts, start=1):
                total -= dropped
                if total < ACCOUNT_FAILURES_PER_HOUR:
                    return Locked(_at((current + k) * BUCKET_SECONDS), LockScope.ACCOUNT)
            return Locked(_at((current + len(counts)) * BUCKET_SECONDS), LockScope.ACCOUNT)
    return None


def record_failure(source: Source) -> Locked | None:
    """Count a failed password or code; returns the lock if this failure started one."""
    now_ts = wall_clock.timestamp()
    storage = _storage()
    if not source.recognised:
        storage.incr(_k("acct", source.account, str(_bucket(now_ts))), (BUCKETS_PER_HOUR + 2) * BUCKET_SECONDS)
    failures = storage.incr(_k("fail", source.account, source.key), FAILURE_MEMORY_SECONDS)
    if failures >= SOURCE_FAILURE_LIMIT:
        until = int(now_ts) + LOCK_MINUTES * 60
        lock_key = _k("lock", source.account, source.key)
        storage.clear(lock_key)
        # Storage holds counters only: the lock is a counter whose value is the time it ends.
        storage.incr(lock_key, LOCK_MINUTES * 60 + 60, amount=until)
        storage.clear(_k("fail", source.account, source.key))
        return Locked(_at(until), LockScope.SOURCE, started=True)
    lock = check(source)
    if lock is not None and lock.scope == LockScope.ACCOUNT:
        started = sum(_account_buckets(source.account, now_ts)) == ACCOUNT_FAILURES_PER_HOUR
        return Locked(lock.until, lock.scope, started=started)
    return lock


def record_success(source: Source) -> None:
    """A correct password and code: the failures from this source were not consecutive."""
    _storage().clear(_k("fail", source.account, source.key))


def failures_so_far(source: Source) -> int:
    return int(_storage().get(_k("fail", source.account, source.key)) or 0)


# --- simple per-key budgets (password reset emails) ------------------------------------------


def spend(name: str, key: str, limit: int, window: timedelta) -> bool:
    """Take one from a fixed-window budget; False when it is spent."""
    now_ts = wall_clock.timestamp()
    seconds = int(window.total_seconds())
    window_id = int(now_ts) // seconds
    count = _storage().incr(_k(name, key, str(window_id)), seconds + 60)
    return count <= limit


def sign_in_rate_limit() -> str:
    """Flask-Limiter's per-IP limit on sign-in and reset forms (a whole school may share an IP)."""
    return current_app.config.get("PORTAL_SETTINGS").extra.get("PORTAL_SIGN_IN_RATE_LIMIT", "120 per minute")


def describe(lock: Locked) -> str:
    """'at 5:23pm' for the user, in UK time."""
    return uk_datetime(lock.until).split(" at ")[-1]


def lock_message(lock: Locked) -> str:
    """What the sign-in and re-authentication pages say about a lock."""
    when = describe(lock)
    if lock.scope == LockScope.ACCOUNT:
        return (
            "There have been too many attempts to sign in to this account. Try again at "
            f"{when}, or sign in from a device you have used before."
        )
    return f"There have been too many attempts to sign in. Try again at {when}."
