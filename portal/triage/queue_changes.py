"""Knowing when a council's referrals queue has changed, so that a cached queue page is never shown
once a change to it is committed.

Every change to a triage item (a referral arriving, being opened, assigned, rated, decided or sent
on) adds one to its council's `LocalAuthority.queue_version`, in the same transaction, just before
the commit (portal/change_versions.py). The queue page (portal/triage/queue.py) keys its cache on
that number, which every page already reads with the signed-in user and their organisation:
checking freshness costs nothing. Bulk `update(TriageItem)` / `delete(TriageItem)` statements must
name the council whose queue they change, `.execution_options(queue_of=la_id)`, or they raise.
"""

from __future__ import annotations

from portal.change_versions import ChangeVersion
from portal.orgs.models import LocalAuthority
from portal.triage.models import TriageItem


class UndeclaredQueueChange(RuntimeError):
    """A bulk statement on triage items did not say whose queue it changes."""


QUEUE_VERSION = ChangeVersion(owned=TriageItem, owner_attribute="local_authority_id",
                              owner_table=LocalAuthority.__table__, version_column="queue_version",
                              option="queue_of", error=UndeclaredQueueChange)
