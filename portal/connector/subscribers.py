"""What the connector does when other areas tell it something (portal.events).

A submitted referral gets its outbox row, with the payload snapshot for the LA's case system, in
the submission's transaction: the referral and its row commit, or fail, together, and a worker
delivers the row afterwards (portal.connector.outbox).
"""

from __future__ import annotations

from portal.connector import outbox
from portal.events import ReferralSubmitted, subscribe


@subscribe(ReferralSubmitted)
def referral_goes_to_the_case_system(event: ReferralSubmitted) -> None:
    outbox.enqueue_referral(event.referral)
