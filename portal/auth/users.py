"""Finding accounts: by the email address someone typed, or by id."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from portal.auth.models import User
from portal.db import db


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    email = normalise_email(email)
    if not email:
        return None
    return db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()


def get_user(user_id: uuid.UUID | str) -> User | None:
    """The account with this id (None for an id that is not a UUID)."""
    if not isinstance(user_id, uuid.UUID):
        try:
            user_id = uuid.UUID(user_id)
        except (TypeError, ValueError, AttributeError):
            return None
    return db.session.get(User, user_id)
