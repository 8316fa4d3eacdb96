"""What the council's triage does when other areas tell it something (portal.events).

A submitted referral arrives in its LA's queue with its one-working-day clock, and is acknowledged
to the school, in the submission's transaction (portal.triage.arrival).
"""

from __future__ import annotations

from portal.events import ReferralSubmitted, subscribe
from portal.triage import arrival


@subscribe(ReferralSubmitted)
def referral_arrives(event: ReferralSubmitted) -> None:
    arrival.receive_referral(event.referral)
