"""Emails about transfers. They never name the child, nor the schools: only that something is
waiting in the portal and a link to it, where access is checked.

Each is queued in the mail outbox by the service function whose change it tells of, in that
unit of work: it goes out once the change has committed (retried by the mail worker if the mail
server is away), and never for a change that rolled back. The portal's own lists and home page
counts show the same thing meanwhile.
"""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from portal.auth.links import external_url
from portal.auth.models import User
from portal.db import db
from portal.notify.outbox import queue_email
from portal.policy import can


def _leads(school_id, action: str, obj) -> list[User]:
    """The school's active users who have set up their account and may `action` the record."""
    users = db.session.execute(select(User).where(User.school_id == school_id, User.active.is_(True))).scalars()
    return [u for u in users if u.has_accepted_invitation and can(u, action, obj)]


def _queue_all(users: list[User], subject: str, body: str) -> int:
    for user in users:
        queue_email(user.email, subject, body)
    return len(users)


def file_sent(transfer) -> int:
    link = url_for("transfers.show", transfer_id=transfer.id, _external=True)
    return _queue_all(
        _leads(transfer.to_school_id, "transfers:receive", transfer),
        "A child protection file is waiting for you",
        "A child protection file has been sent to your school through Safeguard Portal.\n\n"
        "Sign in to confirm that you have received it, or to send it back if it reached the wrong school:\n"
        f"{link}\n\nKeeping Children Safe in Education asks you to confirm receipt promptly.\n",
    )


def file_accepted(transfer) -> int:
    link = url_for("transfers.show", transfer_id=transfer.id, _external=True)
    return _queue_all(
        _leads(transfer.from_school_id, "transfers:send", transfer),
        "Receipt confirmed for a child protection file",
        "The school you sent a child protection file to has confirmed receipt.\n\n"
        f"The receipt is in Safeguard Portal:\n{link}\n",
    )


def file_rejected(transfer) -> int:
    link = url_for("transfers.show", transfer_id=transfer.id, _external=True)
    return _queue_all(
        _leads(transfer.from_school_id, "transfers:send", transfer),
        "A child protection file was sent back to you",
        "A school has sent back a child protection file you sent, saying it reached the wrong school.\n\n"
        f"Sign in to see why and to send it to the right school:\n{link}\n",
    )


def file_requested(target) -> int:
    # Queued by the mail worker (service.match_waiting_requests), outside any web request: the
    # link is built from PORTAL_BASE_URL.
    link = external_url("transfers.index") + "#requests"
    return _queue_all(
        _leads(target.holder_school_id, "transfer_requests:answer", target),
        "A school has asked for a child protection file",
        "Another school has asked for the child protection file of a pupil it has enrolled.\n\n"
        f"Sign in to send the file or to say that you hold none:\n{link}\n",
    )


def request_answered(request) -> int:
    link = url_for("transfers.index", _external=True) + "#my-requests"
    return _queue_all(
        _leads(request.requesting_school_id, "transfers:request", request),
        "Your request for a child protection file has been answered",
        f"A school has answered your request for a child protection file.\n\nSee the answer in Safeguard Portal:\n{link}\n",
    )
