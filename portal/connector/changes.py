"""Changing an LA's case-system endpoint in the portal: two people, a fresh sign-in, everyone told.

    propose_change(user, base_url, secret, overlap_hours, *, allow_http) -> EndpointChange
    pending_change(local_authority_id) -> EndpointChange | None
    get_change_for(user, change_id) -> EndpointChange
    approve_change(user, change_id, *, allow_http) -> EndpointChange
    cancel_change(user, change_id) -> EndpointChange

Where the LA's referrals go (names, dates of birth, NHS numbers, addresses) must never be one
person's decision. A triage manager or LA admin of the LA proposes a new base URL or secret; it
is stored as a pending change (the secret encrypted) and nothing changes yet. It takes effect
only when an LA admin of the same LA who did not propose it approves it. Proposing and approving
both need the password and a code within the last 15 minutes (the views' `recent_auth`); both,
and a cancellation, are audited and emailed to every LA admin and triage manager of the LA, so
an unexpected change is seen by people who can stop it. The host must be on the operator's
allow-list when proposed and again when approved. A change waits at most CHANGE_LIFETIME.

The operator's `flask connector set-endpoint` applies at once (operators are trusted at
deployment), through the same allow-list.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from portal import audit
from portal.auth.links import external_url
from portal.auth.models import User
from portal.auth.roles import Role
from portal.connector.endpoints import (
    EndpointInvalid,
    checked_settings,
    get_endpoint,
    managed_local_authority,
    set_endpoint,
)
from portal.connector.models import EndpointChange, EndpointChangeState
from portal.db import db, utcnow
from portal.domain_errors import Conflict, NotFound, Refused
from portal.notify.outbox import queue_email
from portal.orgs.models import LocalAuthority
from portal.policy import can, require
from portal.templating import uk_datetime
from portal.transaction import transactional

CHANGE_LIFETIME = timedelta(days=3)


def _as_utc(value):
    from datetime import timezone

    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def is_expired(change: EndpointChange, now=None) -> bool:
    return change.state == EndpointChangeState.PENDING and _as_utc(change.expires_at) <= (now or utcnow())


def pending_change(local_authority_id: uuid.UUID) -> EndpointChange | None:
    """The change waiting for approval (an expired one is not waiting any more)."""
    change = db.session.execute(
        select(EndpointChange).where(EndpointChange.local_authority_id == local_authority_id,
                                     EndpointChange.state == EndpointChangeState.PENDING)
        .order_by(EndpointChange.proposed_at.desc())
    ).scalars().first()
    return None if change is None or is_expired(change) else change


def _people_to_tell(local_authority_id: uuid.UUID) -> list[User]:
    return list(db.session.execute(
        select(User).where(User.local_authority_id == local_authority_id, User.active.is_(True),
                           User.role.in_([Role.LA_ADMIN.value, Role.TRIAGE_MANAGER.value]))
    ).scalars())


def _link(change: EndpointChange) -> str:
    try:
        return external_url("connector.change_page", change_id=change.id)
    except RuntimeError:
        return "(sign in to Safeguard Portal and open Case system connection settings)"


def _tell(la: LocalAuthority, change: EndpointChange, subject: str, opening: str) -> None:
    """Email every LA admin and triage manager of the LA (queued in this unit of work)."""
    proposer = db.session.get(User, change.proposed_by_id)
    host = urlsplit(change.base_url).netloc
    body = (
        f"{opening}\n\n"
        f"Proposed by: {proposer.display_name} ({proposer.email}) on {uk_datetime(change.proposed_at)}\n"
        f"Case system address: {host}\n"
        f"Shared secret changed: {'yes' if change.secret_changed else 'no'}\n\n"
        f"See the change:\n{_link(change)}\n\n"
        "If you did not expect this change, cancel it if it is still waiting, and tell your information "
        "security team at once: this connection carries every referral from schools to your case system.\n\n"
        "This email does not contain any details about children. Do not reply to it."
    )
    for person in _people_to_tell(la.id):
        queue_email(person.email, subject, body)


@transactional
def propose_change(user, base_url: str, secret: str | None, overlap_hours: int, *, allow_http: bool) -> EndpointChange:
    """A new base URL and/or secret for the user's LA, waiting for a second LA admin."""
    la = managed_local_authority(user, "connector:change")
    url, secret, endpoint = checked_settings(la, base_url, secret, timedelta(hours=overlap_hours),
                                             allow_http=allow_http)
    if endpoint is not None and endpoint.base_url == url and (not secret or secret == endpoint.secret):
        raise EndpointInvalid("base_url", "These are the current settings: change the base URL or enter a new secret")
    if pending_change(la.id) is not None:
        raise Conflict("A change to this connection is already waiting for approval: approve or cancel it first")
    now = utcnow()
    change = EndpointChange(local_authority_id=la.id, base_url=url, secret_changed=bool(secret),
                            overlap_hours=overlap_hours, state=EndpointChangeState.PENDING,
                            proposed_by_id=user.id, proposed_at=now, expires_at=now + CHANGE_LIFETIME)
    change.secret = secret or None
    db.session.add(change)
    db.session.flush()
    what = "url_secret" if secret and (endpoint is None or endpoint.base_url != url) else ("secret" if secret else "url")
    audit.record("connector.endpoint_change_proposed", object_type="connector_endpoint_change", object_id=change.id,
                 detail=what, actor=user, organisation_id=la.id)
    _tell(la, change, f"A change to {la.name}’s case system connection is waiting for approval",
          f"Someone has proposed a change to where Safeguard Portal sends {la.name}’s referrals. "
          "It takes effect only when another LA admin of your council approves it.")
    return change


def get_change_for(user, change_id: uuid.UUID, action: str = "connector:change") -> EndpointChange:
    """The change, if it is of the user's LA (NotFound otherwise: another LA must not learn it
    exists); for "connector:approve", Refused unless the user may approve it (an LA admin who did
    not propose it)."""
    change = db.session.get(EndpointChange, change_id)
    if change is None or not can(user, "connector:change", change):
        raise NotFound("No such change")
    require("connector:change", change)
    if action != "connector:change" and not can(user, action, change):
        raise Refused("Another LA admin of your council must approve this change")
    return change


def _decidable(change: EndpointChange) -> None:
    if change.state != EndpointChangeState.PENDING:
        raise Conflict("This change has already been approved or cancelled")
    if is_expired(change):
        raise Conflict("This change waited too long for approval and has expired: propose it again")


@transactional
def approve_change(user, change_id: uuid.UUID, *, allow_http: bool) -> EndpointChange:
    """A second LA admin approves: the endpoint takes the proposed settings now."""
    change = get_change_for(user, change_id, "connector:approve")
    _decidable(change)
    la = db.session.get(LocalAuthority, change.local_authority_id)
    set_endpoint(la, change.base_url, change.secret, overlap=timedelta(hours=change.overlap_hours), user=user,
                 allow_http=allow_http)
    change.state = EndpointChangeState.APPLIED
    change.decided_by_id = user.id
    change.decided_at = utcnow()
    change.secret = None
    audit.record("connector.endpoint_change_approved", object_type="connector_endpoint_change", object_id=change.id,
                 actor=user, organisation_id=la.id)
    approver = user.display_name
    _tell(la, change, f"A change to {la.name}’s case system connection has taken effect",
          f"{approver} approved a change to where Safeguard Portal sends {la.name}’s referrals. "
          "It has taken effect: referrals now go to the address below.")
    return change


@transactional
def cancel_change(user, change_id: uuid.UUID) -> EndpointChange:
    """The proposer withdraws it, or another LA admin or manager turns it down."""
    change = get_change_for(user, change_id)
    _decidable(change)
    la = db.session.get(LocalAuthority, change.local_authority_id)
    change.state = EndpointChangeState.CANCELLED
    change.decided_by_id = user.id
    change.decided_at = utcnow()
    change.secret = None
    audit.record("connector.endpoint_change_cancelled", object_type="connector_endpoint_change", object_id=change.id,
                 actor=user, organisation_id=la.id)
    _tell(la, change, f"A change to {la.name}’s case system connection was cancelled",
          f"{user.display_name} cancelled a proposed change to where Safeguard Portal sends {la.name}’s referrals. "
          "Nothing was changed.")
    return change


def change_facts(change: EndpointChange) -> dict:
    """For the change page: who, when, what (never the secret)."""
    proposer = db.session.get(User, change.proposed_by_id)
    decider = db.session.get(User, change.decided_by_id) if change.decided_by_id else None
    return {
        "change": change,
        "proposer": proposer,
        "decider": decider,
        "expired": is_expired(change),
        "current": get_endpoint(change.local_authority_id),
    }
