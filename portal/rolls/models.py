"""A Common Transfer File waiting between its upload and the DSL's answer.

The file itself is kept encrypted in the file store (portal.files); this row says whose it is
(the school, the DSL who uploaded it), when it came, and how far the import got: `waiting` for
the DSL to confirm or cancel, `confirmed` (the DSL's decisions on probable matches kept here
while the import runs), `imported` (the counts of what it did, for the confirmation page). A file
never confirmed is deleted after 24 hours (`portal.rolls.service.delete_stale_uploads`, run by
the mail worker and by `flask --app portal rolls sweep`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UUIDPrimaryKey, utcnow

WAITING, CONFIRMED, IMPORTED = "waiting", "confirmed", "imported"


class CtfUpload(UUIDPrimaryKey, Base):
    __tablename__ = "ctf_upload"

    # The encrypted file while it waits; None once imported or cancelled (the file is deleted).
    stored_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="SET NULL"), unique=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    pupil_count: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default=WAITING)
    # Probable matches as the DSL decided them: the pupil's place in the file -> "leave", "new" or
    # the id of the record that is the same child. Opaque ids and positions only.
    decisions: Mapped[dict | None] = mapped_column(JSON)
    # What the import did, as counts (added, updated, ...), for the confirmation page.
    result: Mapped[dict | None] = mapped_column(JSON)
    finished_at: Mapped[datetime | None]
