"""Emails about Operation Encompass notices. They never name the child, the school's pupil or the
incident: only that a notice is waiting in the portal, and a link to it, where access is checked.

Queued in the unit of work of the change they tell of (portal.notify.outbox.queue_email); the
routing and the chase run in the mail worker, outside any web request, so links are built from
PORTAL_BASE_URL.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from portal.auth.links import external_url
from portal.auth.models import User
from portal.auth.roles import Role
from portal.db import db
from portal.notify.outbox import queue_email


def _active(users) -> list[User]:
    return [u for u in users if u.active and u.has_accepted_invitation]


def school_leads(school_id: uuid.UUID, roles=(Role.DSL, Role.DEPUTY_DSL)) -> list[User]:
    return _active(db.session.execute(
        select(User).where(User.school_id == school_id, User.role.in_([r.value for r in roles]))
    ).scalars())


def key_contacts(local_authority_id: uuid.UUID) -> list[User]:
    return _active(db.session.execute(
        select(User).where(User.local_authority_id == local_authority_id,
                           User.role == Role.ENCOMPASS_KEY_CONTACT.value)
    ).scalars())


def _queue_all(users: list[User], subject: str, body: str) -> int:
    for user in users:
        queue_email(user.email, subject, body)
    return len(users)


def delivered(child) -> int:
    """A notice reached the school: its DSLs and deputies are told."""
    link = external_url("encompass.school_notice", child_id=child.id)
    return _queue_all(
        school_leads(child.school_id),
        "An Operation Encompass notice for your school",
        "The police have sent your school an Operation Encompass notice through Safeguard Portal.\n\n"
        "Please read it before the start of the next school day:\n"
        f"{link}\n",
    )


def held(child) -> int:
    """The portal could not route a child: the council's Encompass key contacts are told."""
    link = external_url("encompass.council_child", child_id=child.id)
    return _queue_all(
        key_contacts(child.local_authority_id),
        "An Operation Encompass notice to route",
        "An Operation Encompass notice could not be matched to a school in Safeguard Portal.\n\n"
        f"Please route it to the child's school, or record how it was handled:\n{link}\n",
    )


def unread_at_school(child) -> int:
    """08:30 passed and nobody at the school has read it: the deputies and the key contacts."""
    school_link = external_url("encompass.school_notice", child_id=child.id)
    council_link = external_url("encompass.register")
    sent = _queue_all(
        school_leads(child.school_id, roles=(Role.DEPUTY_DSL,)),
        "An Operation Encompass notice has not been read",
        "An Operation Encompass notice sent to your school has not been read, and the school day has "
        f"started.\n\nPlease read it now:\n{school_link}\n",
    )
    return sent + _queue_all(
        key_contacts(child.local_authority_id),
        "An Operation Encompass notice has not been read",
        "An Operation Encompass notice delivered to a school in your area had not been read by 08:30.\n\n"
        f"The register shows which school:\n{council_link}\n",
    )


def still_held(child) -> int:
    """08:30 passed and the notice is still with the council."""
    link = external_url("encompass.council_child", child_id=child.id)
    return _queue_all(
        key_contacts(child.local_authority_id),
        "An Operation Encompass notice is still waiting to be routed",
        "An Operation Encompass notice held by the council has not been routed to a school, and the "
        f"school day has started.\n\nPlease route it now:\n{link}\n",
    )
