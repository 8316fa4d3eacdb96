"""The connector's tables: the outbox, each LA's endpoint settings, the pull's cursor, pulled updates.

Nothing here holds a child's details in clear: the outbox payload (the referral as sent) is
encrypted; every other column is an id, a state, a time, a count or a short reason code.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow

# pending: waiting for its next attempt (next_attempt_at); in_flight: a worker holds a lease on
# it (until lease_until; after that it is due again); delivered: the case system has it;
# dead: refused for good (400/422/409/413) until a triage manager retries it.
class OutboxState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"


OUTBOX_STATES = tuple(OutboxState)


class PulledOutcome(StrEnum):
    """What became of an update taken from an LA's feed."""

    RECEIVED = "received"  # stored, not yet acted on (only inside the page's transaction)
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # read before: nothing done
    INVALID = "invalid"  # refused by the contract's validation
    ERROR = "error"  # could not be applied (logged); the rest of the page was
    STATUS_UNCHANGED = "status_unchanged"
    NO_MATCH = "no_match"
    NOTHING_PERMITTED = "nothing_permitted"
    NO_CURRENT_SCHOOL = "no_current_school"


class OutboxItem(UUIDPrimaryKey, Base):
    """One submitted referral on its way to the LA's case system.

    Written in the same transaction as the submission (portal.referrals.service.submit_referral),
    so a referral is never submitted without its outbox row, nor an outbox row left without a
    submitted referral. The payload is the snapshot taken at submission: every retry sends it
    unchanged, which is what makes the idempotency key safe.
    """

    __tablename__ = "connector_outbox"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), unique=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    payload = encrypted(dict)
    state: Mapped[str] = mapped_column(String(12), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "<worker id>/<claim nonce>": who holds the row, and which claim, so a worker whose lease
    # ran out cannot overwrite what a later claim recorded.
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(40))  # short code: timeout, conflict...
    # Field paths and codes from a 422 (never values), or a signature problem's code.
    last_error_detail: Mapped[str | None] = mapped_column(String(500))
    last_status_code: Mapped[int | None]
    last_attempt_at: Mapped[datetime | None]
    case_reference: Mapped[str | None] = mapped_column(String(40))
    person_id: Mapped[str | None] = mapped_column(String(40))
    delivered_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The workers' claim: due rows in order of their due time, per state.
Index("ix_connector_outbox_due", OutboxItem.state, OutboxItem.next_attempt_at)
Index("ix_connector_outbox_lease", OutboxItem.state, OutboxItem.lease_until)
# The status page (per LA) and the person-id-to-pupil mapping of the pull.
Index("ix_connector_outbox_la_state", OutboxItem.local_authority_id, OutboxItem.state, OutboxItem.created_at)
Index("ix_connector_outbox_la_delivered", OutboxItem.local_authority_id, OutboxItem.delivered_at)
Index("ix_connector_outbox_person", OutboxItem.local_authority_id, OutboxItem.person_id)


class DeliveryFailure(UUIDPrimaryKey, Base):
    """One failed delivery attempt (for the status page's "failures in the last 24 hours")."""

    __tablename__ = "connector_delivery_failure"

    outbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connector_outbox.id"), index=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(40))
    status_code: Mapped[int | None]
    permanent: Mapped[bool] = mapped_column(default=False)


Index("ix_connector_delivery_failure_la_at", DeliveryFailure.local_authority_id, DeliveryFailure.at)


class ConnectorEndpoint(UUIDPrimaryKey, Base):
    """Where an LA's case system listens, and the secret shared with it (encrypted at rest).

    Rotation: setting a new secret keeps the old one as `previous_secret` until
    `previous_secret_expires_at`; until then requests carry both signatures and replies signed
    with either are accepted, so the case system can switch at any moment within the overlap.
    """

    __tablename__ = "connector_endpoint"

    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), unique=True)
    base_url: Mapped[str] = mapped_column(String(500))
    secret = encrypted(str)
    previous_secret = encrypted(str, nullable=True)
    previous_secret_expires_at: Mapped[datetime | None]
    secret_set_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # A problem with the connection itself (auth_refused, endpoint_not_found...) since when, and
    # whether the LA's triage managers have been told; cleared by the next success.
    problem: Mapped[str | None] = mapped_column(String(40))
    problem_since: Mapped[datetime | None]


class PullState(UUIDPrimaryKey, Base):
    """Where an LA's update feed was read up to, and who is reading it now (a lease, as the outbox)."""

    __tablename__ = "connector_pull_state"

    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), unique=True)
    cursor: Mapped[str | None] = mapped_column(String(200))
    next_pull_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(40))


class PulledUpdate(UUIDPrimaryKey, Base):
    """An update taken from the feed, once (by its id). Its content is not kept here: what a
    school may see becomes a shared update; everything else is never stored."""

    __tablename__ = "connector_pulled_update"

    update_id: Mapped[str] = mapped_column(String(100), unique=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # applied, status_unchanged, no_match, nothing_permitted, invalid
    outcome: Mapped[str] = mapped_column(String(30))
    shared_updates: Mapped[int] = mapped_column(default=0)


class EndpointChangeState(StrEnum):
    PENDING = "pending"  # waiting for a second LA admin
    APPLIED = "applied"  # approved: the endpoint now has these settings
    CANCELLED = "cancelled"  # withdrawn or turned down before it took effect


class EndpointChange(UUIDPrimaryKey, Base):
    """A change to an LA's endpoint made in the portal: it takes effect only when an LA admin of
    that LA other than the proposer approves it (portal.connector.changes).

    The proposed secret is kept encrypted while the change waits and dropped once it is decided.
    """

    __tablename__ = "connector_endpoint_change"

    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    base_url: Mapped[str] = mapped_column(String(500))
    secret = encrypted(str, nullable=True)
    secret_changed: Mapped[bool] = mapped_column(default=False)
    overlap_hours: Mapped[int] = mapped_column(default=24)
    state: Mapped[str] = mapped_column(String(12), default=EndpointChangeState.PENDING)
    proposed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]


class NoticeOutboxItem(UUIDPrimaryKey, Base):
    """One Operation Encompass notice on its way to the council's case system (issue #16).

    Written in the same transaction as the routing of the notice's last child (the event
    EncompassNoticeRouted), once per notice (`notice_id` is unique), with the payload snapshot of
    the notice as routed, encrypted; every retry sends it unchanged under the notice's id as the
    idempotency key. The same states, lease and backoff as the referrals' outbox
    (portal.connector.notice_outbox).
    """

    __tablename__ = "connector_notice_outbox"

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("encompass_notice.id"), unique=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))
    payload = encrypted(dict)
    state: Mapped[str] = mapped_column(String(12), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(40))
    last_error_detail: Mapped[str | None] = mapped_column(String(500))
    last_status_code: Mapped[int | None]
    last_attempt_at: Mapped[datetime | None]
    notice_reference: Mapped[str | None] = mapped_column(String(40))  # the case system's receipt
    delivered_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_connector_notice_outbox_due", NoticeOutboxItem.state, NoticeOutboxItem.next_attempt_at)
Index("ix_connector_notice_outbox_lease", NoticeOutboxItem.state, NoticeOutboxItem.lease_until)
Index("ix_connector_notice_outbox_la_state", NoticeOutboxItem.local_authority_id, NoticeOutboxItem.state)
