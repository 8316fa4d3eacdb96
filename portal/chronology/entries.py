"""One line of a pupil's chronology, whatever kind of record it comes from.

Every kind of record (a concern, a review, a referral's status change, an update from the
council...) is turned into an `Entry` by a small adapter in portal.chronology.sources; the
pages, the printable view and the PDF only ever see entries. A new kind of record (the LA's
decisions, transfers) is one adapter function, registered with `@source("kind")`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

# Kinds, in the order a "what to show" list would name them. The code is stable (tests, CSS
# classes); the label is what people read.
KIND_LABELS = {
    "concern": "Concern",
    "concern_correction": "Concern corrected",
    "concern_review": "DSL review",
    "referral": "Referral",
    "referral_status": "Referral status",
    "decision": "Decision",
    "shared_update": "Update from the local authority",
    "case_summary": "Case summary",
    "transfer": "Transfer",
}


@dataclass(frozen=True)
class Entry:
    """What happened, when, who did it, and where the full record is.

    `at` is when it happened (a backdated concern: when what was seen or heard happened, not when
    it was logged), always timezone-aware UTC. `who_id` is resolved to `who` in bulk by the
    service (one query for every person on the chronology). `categories` are the concern
    categories the entry is about (used by the category filter; empty for entries about no
    concern). `details` are (label, text) pairs shown under the summary.
    """

    at: datetime
    kind: str
    summary: str
    object_type: str
    object_id: uuid.UUID
    who: str = ""
    who_id: uuid.UUID | None = None
    details: tuple[tuple[str, str], ...] = ()
    categories: frozenset[str] = frozenset()
    link: str | None = None
    urgent: bool = False
    # Ties (two entries at the same moment) are broken by this, higher first: a review logged in
    # the same second as its concern still reads after it.
    sequence: int = 0

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    def sort_key(self):
        return (self.at, self.sequence, str(self.object_id))
