"""Recovery codes: ten single-use codes, shown once at enrolment, stored as SHA-256 hashes.

Each code has 79 random bits (16 characters from a 31-letter alphabet without look-alikes), so
a fast hash is safe: there is nothing to guess offline. Codes are compared by hash lookup.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select, update

from portal.auth import wall_clock
from portal.auth.models import RecoveryCode, User
from portal.db import db

COUNT = 10
# No i, l, o, 0 or 1: nothing to misread when typing a code from paper.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash(user: User, code: str) -> str:
    # The user id is mixed in so that one code cannot match another user's row.
    return hashlib.sha256(f"{user.id}:{_normalise(code)}".encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def replace_codes(user: User) -> list[str]:
    """Delete the user's codes and make ten new ones; the plain codes are returned once only."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_code() for _ in range(COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(user, code)))
    db.session.flush()
    return codes


def remove_codes(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def remaining(user: User) -> int:
    return db.session.execute(
        select(func.count()).select_from(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def use_code(user: User, code: str) -> bool:
    """Use up a code; True if it was valid and unused (a race lets only one request win)."""
    if len(_normalise(code)) != 16:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(user, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=wall_clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
