"""What the connector does when other areas tell it something (portal.events).

A submitted referral gets its outbox row, with the payload snapshot for the LA's case system, in
the submission's transaction: the referral and its row commit, or fail, together, and a worker
delivers the row afterwards (portal.connector.outbox).
"""

from __future__ import annotations

from portal.connector import notice_outbox, outbox
from portal.events import EncompassNoticeRouted, ReferralSubmitted, subscribe


@subscribe(ReferralSubmitted)
def referral_goes_to_the_case_system(event: ReferralSubmitted) -> None:
    outbox.enqueue_referral(event.referral)


@subscribe(EncompassNoticeRouted)
def notice_goes_to_the_case_system(event: EncompassNoticeRouted) -> None:
    # An Operation Encompass notice whose children are all routed: its outbox row, in the same
    # transaction as the routing of its last child (portal.connector.notice_outbox).
    notice_outbox.enqueue_notice(event.notice)
