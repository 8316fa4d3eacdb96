"""What the council's triage does when an off-roll notice is flagged (portal.events): it goes on
the LA's panel of flagged off-roll notices beside the referrals queue (portal.triage.off_roll)."""

from __future__ import annotations

from portal.events import OffRollNoticeFlagged, subscribe
from portal.triage import off_roll


@subscribe(OffRollNoticeFlagged)
def off_roll_notice_flagged(event: OffRollNoticeFlagged) -> None:
    off_roll.flag(event.notice, event.reasons)
