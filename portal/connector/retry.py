"""When to try a failed delivery again: exponential backoff with full jitter, capped.

Full jitter (a uniform draw between zero and the exponential ceiling) spreads the retries of many
referrals that failed together (the case system was down for ten minutes) so that they do not all
arrive again in the same second when it comes back.
"""

from __future__ import annotations

import random
from typing import Protocol

DEFAULT_BASE_SECONDS = 2.0
DEFAULT_CAP_SECONDS = 900.0  # 15 minutes: a referral is never left waiting longer between tries


class UniformSource(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def backoff_ceiling(attempt: int, base: float = DEFAULT_BASE_SECONDS, cap: float = DEFAULT_CAP_SECONDS) -> float:
    """min(cap, base * 2**(attempt - 1)): the largest delay the attempt-th retry may wait."""
    if attempt < 1:
        raise ValueError("attempt counts failed tries and starts at 1")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    # 2**exponent overflows floats for huge attempts; beyond 64 doublings the cap wins anyway.
    exponent = min(attempt - 1, 64)
    return min(cap, base * (2.0**exponent))


def next_attempt_delay(
    attempt: int,
    base: float = DEFAULT_BASE_SECONDS,
    cap: float = DEFAULT_CAP_SECONDS,
    rng: UniformSource | None = None,
) -> float:
    """Seconds to wait after the attempt-th failed try: uniform in [0, min(cap, base * 2**(attempt-1))].

    `rng` is anything with `uniform(a, b)` (a random.Random in tests, for repeatable draws).
    A server's Retry-After, when given, should be honoured as a floor by the caller:
    `max(next_attempt_delay(...), min(result.retry_after, cap))`.
    """
    ceiling = backoff_ceiling(attempt, base, cap)
    source = rng if rng is not None else random
    delay = source.uniform(0.0, ceiling)
    # Guard against a source that strays outside the range it was asked for.
    return min(max(delay, 0.0), ceiling)
