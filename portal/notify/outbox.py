"""Emails that are never lost: queued in the transaction, sent after it commits, retried until sent.

`queue_email(to, subject, body)` is called inside a service's unit of work. The row commits (or
rolls back) with the change the email is about, so no email goes out about something that did
not happen, and none is forgotten because the process stopped. Right after the commit the same
process tries to send it, so people get their email at once; if the mail server is down, the row
stays pending and `flask --app portal mail send` (run as a supervised worker, see README) tries
again with a growing delay until it is sent, giving up (state "failed", counted by
`flask mail status`) only after about three days.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from typing import Callable

from sqlalchemy import func, select

from portal.db import db, utcnow
from portal.notify.mail import EmailNotSent, send_email
from portal.notify.models import MailMessage, MailState
from portal.transaction import after_commit, unit_of_work

log = logging.getLogger(__name__)

# 1 min, 2, 4, ... capped at an hour: about 3 days of tries before a message is given up on.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
MAX_ATTEMPTS = 80


# Work that areas leave to the mail worker, done at the start of each pass (registered by
# portal.wiring): answers whose timing must not tell anything (a password reset for an address that
# may or may not have an account; a file request for a UPN that may or may not be held anywhere)
# only record the request, and the worker does the look-up and queues the emails.
_before_each_pass: list[Callable[[], object]] = []


def before_each_pass(fn: Callable[[], object]) -> Callable[[], object]:
    """Register `fn` to run (in units of work of its own) before each `send_due` pass."""
    if fn not in _before_each_pass:
        _before_each_pass.append(fn)
    return fn


def queue_email(to: str, subject: str, body: str, *, send_after_commit: bool = True) -> MailMessage:
    """Add an email to the outbox in the current unit of work.

    With `send_after_commit` (the default) this process sends it as soon as the transaction
    commits; without it, only the worker does (for answers whose timing must not depend on
    whether an email goes out).
    """
    message = MailMessage(recipient=to, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    if send_after_commit:
        message_id = message.id
        after_commit(lambda: send_queued([message_id]))
    return message


def send_queued(ids: list[uuid.UUID]) -> int:
    """Send these messages now if they are still pending and due. Returns how many were sent."""
    sent = 0
    for message_id in ids:
        sent += _send_one(message_id)
    return sent


def send_due(limit: int = 100) -> int:
    """The worker's pass: the work areas left to it, then send what is due, oldest first.
    Returns how many were sent."""
    for prepare in list(_before_each_pass):
        prepare()
    with unit_of_work() as session:
        ids = list(session.execute(
            select(MailMessage.id)
            .where(MailMessage.state == MailState.PENDING, MailMessage.next_attempt_at <= utcnow())
            .order_by(MailMessage.next_attempt_at)
            .limit(limit)
        ).scalars())
    return send_queued(ids)


def _send_one(message_id: uuid.UUID) -> int:
    # Each message is its own unit of work, claimed with a row lock (SKIP LOCKED on PostgreSQL) so
    # that two workers, or a worker and the request that queued it, never both send it.
    with unit_of_work() as session:
        message = session.execute(
            select(MailMessage)
            .where(MailMessage.id == message_id, MailMessage.state == MailState.PENDING,
                   MailMessage.next_attempt_at <= utcnow())
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if message is None:
            return 0
        message.attempts += 1
        try:
            send_email(message.recipient, message.subject, message.body)
        except (EmailNotSent, OSError) as error:
            _postpone(message, type(error).__name__)
            return 0
        message.state = MailState.SENT
        message.sent_at = utcnow()
        message.last_error = None
        return 1


def _postpone(message: MailMessage, error_class: str) -> None:
    message.last_error = error_class
    if message.attempts >= MAX_ATTEMPTS:
        message.state = MailState.FAILED
        log.error("email %s given up after %d attempts (%s)", message.id, message.attempts, error_class)
        return
    wait = min(FIRST_RETRY * (2 ** (message.attempts - 1)), LONGEST_WAIT)
    message.next_attempt_at = utcnow() + wait
    log.warning("email %s not sent (%s); next try in %d s", message.id, error_class, wait.total_seconds())


def counts() -> dict[str, int]:
    """How many messages are in each state (for `flask mail status`)."""
    rows = db.session.execute(select(MailMessage.state, func.count()).group_by(MailMessage.state)).all()
    found = {state: count for state, count in rows}
    return {state.value: found.get(state.value, 0) for state in MailState}
