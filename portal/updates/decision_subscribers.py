"""The referrer hears of the council's decision on its referral (portal.events.ReferralDecided):
the school, or the partner agency that made it (Working Together 2023: the referrer is told the
outcome).

In the decision's unit of work: the shared update (and its email to the school's DSLs, sent once
the decision has committed) exists exactly when the decision does. What the school reads was built
by the triage area (`content_for_school`); this only delivers it and links it to the decision.
"""

from __future__ import annotations

from portal.events import ReferralDecided, subscribe
from portal.updates.models import UpdateKind
from portal.updates.service import addressed_to, create_shared_update


@subscribe(ReferralDecided)
def tell_the_school_of_the_decision(event: ReferralDecided) -> None:
    referral, decision = event.referral, event.decision
    shared = create_shared_update(**addressed_to(referral), local_authority_id=decision.local_authority_id,
                                  kind=UpdateKind.DECISION, content=event.content_for_school,
                                  referral_id=referral.id, created_by=event.decided_by)
    decision.shared_update_id = shared.id
