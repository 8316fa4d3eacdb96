"""What one business area tells the others, inside the same transaction.

An area that does something others care about raises an event (`publish(ReferralSubmitted(...))`)
from inside its service function's unit of work. Each subscriber runs there and then, in the
order the subscriptions were made, in the same transaction: if any of them raises, the whole unit
of work rolls back, so a referral is never submitted without its triage item, its outbox row and
its acknowledgement, nor they without it.

This module is the only thing areas share: it imports no area, and an area imports no other area's
service to tell it something. Subscriptions are made in each area's `subscribers.py`, which
`portal.wiring` imports when the app is built (the list is in docs/architecture.md).

Events carry the objects involved (already flushed, so they have ids) and nothing else: a
subscriber reads what it needs from them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from portal.transaction import in_unit_of_work

E = TypeVar("E")
Handler = Callable[[Any], None]

_subscribers: dict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E]) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    """Decorator: call the function with every event of this type, inside the publisher's
    transaction."""

    def register(handler: Callable[[E], None]) -> Callable[[E], None]:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        return handler

    return register


def publish(event: object) -> None:
    """Tell every subscriber, now, in the current unit of work (which must be open)."""
    if not in_unit_of_work():
        raise RuntimeError(f"{type(event).__name__} published outside a unit of work")
    for handler in list(_subscribers.get(type(event), ())):
        handler(event)


def subscribers_of(event_type: type) -> list[Handler]:
    """For docs and tests: who hears an event, in order."""
    return list(_subscribers.get(event_type, ()))


# --- the events -----------------------------------------------------------------------------
# Each names who raises it; docs/architecture.md lists the subscribers.


@dataclass(frozen=True)
class ReferralSubmitted:
    """A school (or agency) sent a referral to the council's front door.
    Raised by portal.referrals.service."""

    referral: Any
    submitted_by: Any


@dataclass(frozen=True)
class TransferAccepted:
    """The receiving school confirmed receipt of a child protection file.
    Raised by portal.transfers.service."""

    transfer: Any
    accepted_by: Any


@dataclass(frozen=True)
class ReferralDecided:
    """The council decided a referral (`decision`, already flushed); `content_for_school` is exactly
    what the school may read of it (the outcome and the feedback, never RAG, reasons or notes).
    Raised by portal.triage.service; portal.updates tells the school and links the shared update
    to the decision (`decision.shared_update_id`)."""

    referral: Any
    decision: Any
    content_for_school: dict
    decided_by: Any


@dataclass(frozen=True)
class OffRollNoticeSent:
    """A school sent its council an off-roll notice about a pupil (`notice`, already flushed).
    Raised by portal.cme.service, which then reads `open_records`: each area that holds records
    about children hears it and adds what it holds open about this child (`"concern"`,
    `"referral"`, ...), so an area joins the check by subscribing. Anything added flags the notice
    to the council's triage (OffRollNoticeFlagged)."""

    notice: Any
    sent_by: Any
    open_records: list = field(default_factory=list)


@dataclass(frozen=True)
class OffRollNoticeFlagged:
    """An off-roll notice is about a child with something open (`reasons`, codes such as
    "concern"): the council's triage sees it beside its queue. Raised by portal.cme.service."""

    notice: Any
    reasons: tuple


@dataclass(frozen=True)
class EncompassNoticeRouted:
    """The portal has routed every child of a sent Operation Encompass notice (`notice`, each child
    delivered to a school or held by the council's key contact): the council is told of every
    notice (2025 guidance). Raised by portal.encompass.service, once per notice, in the unit of
    work that routed its last child; the connector queues it for the council's case system."""

    notice: Any
