"""The one clock that sign-in, lockouts and session timeouts read.

Everything time-dependent in accounts calls `wall_clock.now()` through this module (never
`from portal.auth.wall_clock import now`), so tests can move time forward with monkeypatch instead of
sleeping.
"""

from __future__ import annotations

from datetime import datetime

from portal.db import utcnow


def now() -> datetime:
    return utcnow()


def timestamp() -> float:
    return now().timestamp()
