"""The mail outbox: every email the portal sends is first a row here, written in the same
transaction as the change it tells someone about.

Addresses, subjects and bodies are encrypted like every other personal field (an address names a
member of staff; a subject names a school). The other columns say only where the email is in its
life: waiting, sent, or given up on after many tries.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow


class MailState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENT = "sent"  # handed to the mail server
    FAILED = "failed"  # refused for too long: an operator looks (flask mail status)


class MailMessage(UUIDPrimaryKey, Base):
    __tablename__ = "mail_outbox"

    recipient = encrypted(str)
    subject = encrypted(str)
    body = encrypted(str)
    state: Mapped[str] = mapped_column(String(10), default=MailState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The error's class only (EmailNotSent, TimeoutError...): never the server's words, which can
    # quote the address.
    last_error: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


# The worker's claim: due rows in the order they fall due.
Index("ix_mail_outbox_due", MailMessage.state, MailMessage.next_attempt_at)
