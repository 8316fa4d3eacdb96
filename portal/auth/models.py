from __future__ import annotations

import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.roles import Role
from portal.db import Base, Timestamps, UUIDPrimaryKey
from portal.orgs.models import LocalAuthority, School


class User(UUIDPrimaryKey, Timestamps, UserMixin, Base):
    """A person who signs in. One role in one organisation: a school or a local authority."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "(school_id IS NULL) <> (local_authority_id IS NULL)", name="one_organisation"
        ),
    )

    # Stored lower-cased so that uniqueness and sign-in ignore case.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"), index=True)
    local_authority_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("local_authority.id"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]

    school: Mapped[School | None] = relationship()
    local_authority: Mapped[LocalAuthority | None] = relationship()

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def organisation(self) -> School | LocalAuthority:
        return self.school if self.school_id else self.local_authority

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.school_id or self.local_authority_id

    @property
    def home_local_authority_id(self) -> uuid.UUID:
        """The LA the user works in or under: their own LA, or their school's LA."""
        return self.local_authority_id or self.school.local_authority_id

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users and organisations are refused
        org = self.organisation
        return bool(self.active and org is not None and org.active)
