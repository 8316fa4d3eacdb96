"""What the pupil record hears from other areas (registered by portal.wiring).

- TransferAccepted: the receiving school confirmed receipt, so the sending school's record of the
  child is transferred out: `Pupil.transferred_out_at` is set, and the policy keeps the record
  read-only there from then on (it reads the column; it never looks for the transfer).
"""

from __future__ import annotations

from portal.db import db
from portal.events import TransferAccepted, subscribe
from portal.pupils.models import Pupil


@subscribe(TransferAccepted)
def mark_record_transferred_out(event: TransferAccepted) -> None:
    transfer = event.transfer
    pupil = db.session.get(Pupil, transfer.pupil_id)
    # Only the sending school's own record; the first acceptance is the moment it became read-only.
    if pupil is None or pupil.school_id != transfer.from_school_id or pupil.transferred_out_at is not None:
        return
    pupil.transferred_out_at = transfer.accepted_at
