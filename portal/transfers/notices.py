"""Emails about transfers. They never name the child, nor the schools: only that something is
waiting in the portal and a link to it, where access is checked. Sent after the commit; a mail
failure is logged (without recipients) and does not undo what was done: the portal's own lists
and home page counts still show it."""

from __future__ import annotations

import logging

from flask import url_for
from sqlalchemy import select

from portal.auth.models import User
from portal.notify import EmailNotSent, send_email
from portal.policy import can

log = logging.getLogger(__name__)


def _leads(school_id, action: str, obj) -> list[User]:
    users = db_users(school_id)
    return [u for u in users if u.has_accepted_invitation and can(u, action, obj)]


def db_users(school_id) -> list[User]:
    from portal.db import db

    return list(db.session.execute(select(User).where(User.school_id == school_id, User.active.is_(True))).scalars())


def _send_all(users: list[User], subject: str, body: str) -> int:
    sent = 0
    for user in users:
        try:
            send_email(user.email, subject, body)
            sent += 1
        except EmailNotSent:
            log.warning("transfer email not sent")
    return sent


def file_sent(transfer) -> int:
    link = url_for("transfers.show", transfer_id=transfer.id, _external=True)
    return _send_all(
        _leads(transfer.to_school_id, "transfers:receive", transfer),
        "A child protection file is waiting for you",
        "A child protection file has been sent to your school through Safeguard Portal.\n\n"
        "Sign in to confirm that you have received it, or to send it back if it reached the wrong school:\n"
        f"{link}\n\nKeeping Children Safe in Education asks you to confirm receipt promptly.\n",
    )


def file_accepted(transfer) -> int:
    link = url_for("transfers.show", transfer_id=transfer.id, _external=True)
    return _send_all(
        _leads(transfer.from_school_id, "transfers:send", transfer),
        "Receipt confirmed for a child protection file",
        "The school you sent a child protection file to has confirmed receipt.\n\n"
        f"The receipt is in Safeguard Portal:\n{link}\n",
    )


def file_rejected(transfer) -> int:
    link = url_for("transfers.show", transfer_id=transfer.id, _external=True)
    return _send_all(
        _leads(transfer.from_school_id, "transfers:send", transfer),
        "A child protection file was sent back to you",
        "A school has sent back a child protection file you sent, saying it reached the wrong school.\n\n"
        f"Sign in to see why and to send it to the right school:\n{link}\n",
    )


def file_requested(target) -> int:
    link = url_for("transfers.index", _external=True) + "#requests"
    return _send_all(
        _leads(target.holder_school_id, "transfer_requests:answer", target),
        "A school has asked for a child protection file",
        "Another school has asked for the child protection file of a pupil it has enrolled.\n\n"
        f"Sign in to send the file or to say that you hold none:\n{link}\n",
    )


def request_answered(request) -> int:
    link = url_for("transfers.index", _external=True) + "#my-requests"
    return _send_all(
        _leads(request.requesting_school_id, "transfers:request", request),
        "Your request for a child protection file has been answered",
        f"A school has answered your request for a child protection file.\n\nSee the answer in Safeguard Portal:\n{link}\n",
    )
