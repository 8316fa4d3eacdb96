"""A legal hold: while one is in force on a pupil, none of that pupil's records is destroyed.

Set by the pupil's school's DSL or the council's LA admin, with a reason (encrypted: it may name
proceedings or people), released with a reason of its own. Released holds are kept with the
records they held, and go when those records go.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow


class LegalHold(UUIDPrimaryKey, Base):
    __tablename__ = "legal_hold"

    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupil.id"), index=True)
    reason = encrypted(str)
    placed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    released_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    release_reason = encrypted(str, nullable=True)

    @property
    def in_force(self) -> bool:
        return self.released_at is None
