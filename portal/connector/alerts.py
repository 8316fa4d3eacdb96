"""Telling an LA's triage managers that the connector needs them.

Two kinds of alert: referrals that the case system refused for good (dead letters), and a
problem with the connection itself (a refused signature, a wrong base URL). Both are shown on the
managers' home page (a count, from `alert_summary`) and emailed through the mail outbox, in the
transaction that found them: sent once it has committed, never for one that rolled back.
Emails carry counts, reason codes and a link: never a child's details, never a case reference.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from portal.auth.links import external_url
from portal.auth.models import User
from portal.auth.roles import Role
from portal.connector.models import ConnectorEndpoint, OutboxItem, OutboxState
from portal.db import db
from portal.notify.outbox import queue_email
from portal.orgs.models import LocalAuthority

REASON_TEXT = {
    "conflict": "the case system already holds a different referral under the same identifier (409)",
    "rejected": "the case system refused the referral as invalid (400 or 422)",
    "invalid_payload": "the referral does not fit the case system contract",
    "too_large": "the referral is too large for the case system (413)",
    "auth_refused": "the case system refused the portal’s signature (check the shared secret and clocks)",
    "endpoint_not_found": "the case system was not found at the base URL (check the base URL)",
    "bad_base_url": "the base URL is not valid",
    "untrusted_response": "the case system’s answers are not signed with the shared secret",
    "bad_response": "the case system’s answers are not in the expected format",
    "response_too_large": "the case system’s answers are too large",
    "unexpected_status": "the case system answered in a way the contract does not allow",
    "no_endpoint": "no case system connection has been set up",
    "host_not_allowed": "the case system’s address is not on the list of addresses this portal may send to "
                        "(ask the portal’s operator to check PORTAL_CONNECTOR_ALLOWED_HOSTS)",
    "address_not_allowed": "the case system’s name leads to a network address the portal must not send to",
}


def reason_text(code: str | None) -> str:
    return REASON_TEXT.get(code or "", (code or "unknown").replace("_", " "))


def _managers(local_authority_id: uuid.UUID) -> list[User]:
    return list(db.session.execute(
        select(User).where(User.local_authority_id == local_authority_id, User.role == Role.TRIAGE_MANAGER.value,
                           User.active.is_(True))
    ).scalars())


def queue_dead_letter_alert(local_authority_id: uuid.UUID, count: int, reasons: set[str]) -> None:
    """Email the LA's triage managers (after commit; in the caller's unit of work) that `count` referrals were dead-lettered."""
    la = db.session.get(LocalAuthority, local_authority_id)
    lines = "\n".join(f"- {reason_text(r)}" for r in sorted(reasons))
    subject = f"{count} referral{'s' if count != 1 else ''} could not be delivered to your case system"
    body = (
        f"Safeguard Portal could not deliver {count} referral{'s' if count != 1 else ''} from schools to "
        f"{la.name}’s case system, and will not try again until someone retries {'them' if count != 1 else 'it'}:\n"
        f"{lines}\n\nThe referrals are safe in the portal and in your triage queue. "
        f"See the connector status page to retry once the cause is fixed:\n{_status_link()}\n\n"
        "This email does not contain any details about children. Do not reply to it."
    )
    _queue(local_authority_id, subject, body)


def queue_endpoint_alert(local_authority_id: uuid.UUID, problem: str) -> None:
    la = db.session.get(LocalAuthority, local_authority_id)
    subject = f"Problem with {la.name}’s case system connection"
    body = (
        f"Safeguard Portal cannot reach {la.name}’s case system: {reason_text(problem)}.\n\n"
        "Referrals are waiting in the portal and will be sent as soon as the connection works again. "
        f"Check the connection settings:\n{_status_link()}\n\n"
        "This email does not contain any details about children. Do not reply to it."
    )
    _queue(local_authority_id, subject, body)


def _status_link() -> str:
    try:
        return external_url("connector.status_page")
    except RuntimeError:  # outside a request, with no PORTAL_BASE_URL to build links from
        return "(sign in to Safeguard Portal and open Case system connection)"


def _queue(local_authority_id: uuid.UUID, subject: str, body: str) -> None:
    for user in _managers(local_authority_id):
        queue_email(user.email, subject, body)


def alert_summary(local_authority_id: uuid.UUID) -> dict:
    """For the home page: dead letters waiting for a person, and a connection problem if any."""
    dead = db.session.execute(
        select(func.count(OutboxItem.id)).where(OutboxItem.local_authority_id == local_authority_id,
                                                OutboxItem.state == OutboxState.DEAD)
    ).scalar_one()
    problem = db.session.execute(
        select(ConnectorEndpoint.problem).where(ConnectorEndpoint.local_authority_id == local_authority_id)
    ).scalar_one_or_none()
    return {"dead": dead, "problem": problem, "problem_text": reason_text(problem) if problem else None}
