"""Single-use links sent by email: invitations (valid 72 hours), password resets (1 hour) and
confirmations of a new sign-in address (24 hours)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from portal.auth import wall_clock
from portal.auth.models import AccountToken, TokenPurpose, User
from portal.db import db

LIFETIMES = {
    TokenPurpose.INVITATION: timedelta(hours=72),
    TokenPurpose.PASSWORD_RESET: timedelta(hours=1),
    TokenPurpose.EMAIL_CHANGE: timedelta(hours=24),
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, purpose: TokenPurpose, created_by: User | None = None, *, new_email: str | None = None) -> str:
    """Make a new token for `user`, cancelling earlier unused ones of the same purpose."""
    now = wall_clock.now()
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
            created_by_id=created_by.id if created_by else None,
            new_email=new_email,
        )
    )
    db.session.flush()
    return token


def find_valid(token: str, purpose: TokenPurpose) -> AccountToken | None:
    """The unused, unexpired token row for this link, or None (never says which check failed)."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(AccountToken).where(AccountToken.token_hash == _hash(token), AccountToken.purpose == purpose)
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= wall_clock.now():
        return None
    return row


def use(row: AccountToken) -> bool:
    """Mark the token used; False if another request used it first (a single use, even in a race)."""
    result = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=wall_clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def pending_invitation(user: User) -> AccountToken | None:
    return db.session.execute(
        select(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == TokenPurpose.INVITATION)
        .order_by(AccountToken.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
