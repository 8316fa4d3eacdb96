"""Half-finished sign-ins, held on the server (SignInStage rows).

After a correct password (or an accepted invitation) the browser gets a random token in its
cookie and the server keeps a row, found by the token's hash, saying what may come next: a code
(`CODE`) or setting up the authenticator app (`ENROL`). A row lives `LIFETIME` and is used once.
Nothing about the stage is in the cookie itself, so a forged cookie (someone who has the app's
SECRET_KEY) names no row and gets nowhere.

Enrolment is only for someone with no second factor: a new account, or one whose app an LA
admin has reset (`users:reset_2fa` clears the secret). A row is refused for the wrong kind: an
`ENROL` row once the user has a second factor (set up in another browser, say), a `CODE` row
once they have none.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from portal.auth import wall_clock
from portal.auth.models import FirstFactor, SignInStage, SignInStageKind, User
from portal.db import db

LIFETIME = timedelta(minutes=10)
NEXT_URL_LIMIT = 500


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _kind_fits(user: User, kind: SignInStageKind) -> bool:
    return user.has_second_factor if kind == SignInStageKind.CODE else not user.has_second_factor


def begin(user: User, next_url: str | None = None, first_factor: FirstFactor = FirstFactor.PASSWORD) -> str:
    """Start the next stage for `user` (a code if they have a second factor, setting up the app
    if not) in the caller's unit of work; return the token for the browser's cookie.
    `first_factor`: what was passed to get here (the password, or single sign-on)."""
    now = wall_clock.now()
    # Stages long gone are swept away as new ones are made (only hashes, but no reason to keep them).
    db.session.execute(
        delete(SignInStage).where(SignInStage.expires_at < now - timedelta(days=1))
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(SignInStage(
        user_id=user.id,
        kind=SignInStageKind.CODE if user.has_second_factor else SignInStageKind.ENROL,
        token_hash=_hash(token),
        next_url=next_url if next_url and len(next_url) <= NEXT_URL_LIMIT else None,
        created_at=now,
        expires_at=now + LIFETIME,
        first_factor=first_factor,
    ))
    db.session.flush()
    return token


def find(token: str | None, kind: SignInStageKind) -> SignInStage | None:
    """The live stage of this kind for this token: unused, unexpired, for an account that may
    still sign in and whose second factor fits the kind. None otherwise (never says why)."""
    stage = _live(token)
    if stage is None or stage.kind != kind or not _kind_fits(stage.user, kind):
        return None
    return stage


def _live(token: str | None) -> SignInStage | None:
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    stage = db.session.execute(
        select(SignInStage).where(SignInStage.token_hash == _hash(token))
    ).scalar_one_or_none()
    if stage is None or stage.used_at is not None or stage.expires_at <= wall_clock.now():
        return None
    if not stage.user.is_active:
        return None
    return stage


def use(stage: SignInStage) -> bool:
    """Mark the stage used; False if another request used it first (once only, even in a race)."""
    result = db.session.execute(
        update(SignInStage)
        .where(SignInStage.id == stage.id, SignInStage.used_at.is_(None))
        .values(used_at=wall_clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
