from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

DEFAULT_FROM = "Safeguard Portal <no-reply@safeguard-portal.invalid>"


class EmailNotSent(RuntimeError):
    """The email could not be handed to the mail server. The message names no recipient."""


def init_mail(app, secrets: dict[str, str]) -> None:
    """Keep the SMTP password where only this module reads it (not in app.config)."""
    app.extensions["portal_smtp_password"] = secrets.get("PORTAL_SMTP_PASSWORD")


def _settings() -> dict[str, str]:
    settings = current_app.config.get("PORTAL_SETTINGS")
    return dict(settings.extra) if settings is not None else {}


def outbox_path() -> Path:
    return Path(current_app.instance_path) / "mail"


def _message(to: str, subject: str, body: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">") or "portal")
    message.set_content(body)
    return message


def send_email(to: str, subject: str, body: str) -> None:
    """Send a plain-text email. Raises EmailNotSent if the mail server refuses it."""
    settings = _settings()
    sender = settings.get("PORTAL_SMTP_FROM") or DEFAULT_FROM
    message = _message(to, subject, body, sender)
    host = settings.get("PORTAL_SMTP_HOST")
    if host:
        _send_smtp(message, host, settings)
        return
    if current_app.config.get("PORTAL_ENV") == "production":
        raise EmailNotSent("PORTAL_SMTP_HOST is not set: production does not write emails to disk")
    folder = outbox_path()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4()}.eml"
    path.write_bytes(bytes(message))
    log.info("email written to the development outbox (%s)", path.name)


def _send_smtp(message: EmailMessage, host: str, settings: dict[str, str]) -> None:
    port = int(settings.get("PORTAL_SMTP_PORT") or 587)
    username = settings.get("PORTAL_SMTP_USERNAME")
    password = current_app.extensions.get("portal_smtp_password")
    use_ssl = settings.get("PORTAL_SMTP_SSL", "").lower() in ("1", "true", "yes") or port == 465
    starttls = settings.get("PORTAL_SMTP_STARTTLS", "true").lower() not in ("0", "false", "no")
    context = ssl.create_default_context()
    try:
        if use_ssl:
            server = smtplib.SMTP_SSL(host, port, timeout=15, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=15)
        with server:
            if not use_ssl and starttls:
                server.starttls(context=context)
            if username:
                server.login(username, password or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The type only: SMTP errors can quote the recipient's address.
        log.error("email not sent: %s", type(error).__name__)
        raise EmailNotSent("The mail server did not accept the email") from None
