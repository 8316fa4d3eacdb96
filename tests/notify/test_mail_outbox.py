"""The mail outbox: an email is a row committed with its change, sent after commit, and retried
until the mail server takes it."""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.db import db, utcnow
from portal.notify import mail, outbox
from portal.notify.models import MailMessage, MailState
from portal.notify.mail import EmailNotSent, outbox_path
from portal.transaction import unit_of_work


def _written() -> set:
    return set(outbox_path().glob("*.eml")) if outbox_path().exists() else set()


@pytest.fixture
def mail_server_down(monkeypatch):
    """A mail server that refuses everything until `.up()` is called."""

    class Server:
        refusals = 0
        down = True

        def up(self):
            self.down = False

    server = Server()
    real_send = mail.send_email

    def send(to, subject, body):
        if server.down:
            server.refusals += 1
            raise EmailNotSent("The mail server did not accept the email")
        real_send(to, subject, body)

    monkeypatch.setattr(outbox, "send_email", send)
    return server


def _make_due(message_id) -> None:
    with unit_of_work() as session:
        session.get(MailMessage, message_id).next_attempt_at = utcnow() - timedelta(seconds=1)


def test_an_email_queued_in_a_committed_change_is_sent_right_after_the_commit(app):
    before = _written()
    with unit_of_work():
        queued = outbox.queue_email("dsl@example.test", "A new update", "Sign in to read it.")
    [path] = _written() - before
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == "dsl@example.test" and message["Subject"] == "A new update"
    row = db.session.get(MailMessage, queued.id)
    assert row.state == MailState.SENT and row.attempts == 1 and row.sent_at is not None


def test_an_email_queued_in_a_change_that_rolled_back_is_never_sent(app):
    before = _written()
    with pytest.raises(RuntimeError):
        with unit_of_work():
            outbox.queue_email("dsl@example.test", "A new update", "Sign in to read it.")
            raise RuntimeError("the change failed")
    assert _written() == before
    assert db.session.execute(select(MailMessage)).first() is None


def test_a_mail_failure_is_retried_until_sent(app, mail_server_down):
    before = _written()
    with unit_of_work():
        queued = outbox.queue_email("dsl@example.test", "A new update", "Sign in to read it.")
    row = db.session.get(MailMessage, queued.id)
    assert row.state == MailState.PENDING and row.attempts == 1 and row.last_error == "EmailNotSent"
    first_wait = row.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)

    # The worker does not try before the message is due...
    assert outbox.send_due() == 0 and mail_server_down.refusals == 1
    # ...then tries again, still refused: the wait grows.
    _make_due(queued.id)
    assert outbox.send_due() == 0 and mail_server_down.refusals == 2
    db.session.expire_all()
    row = db.session.get(MailMessage, queued.id)
    assert row.attempts == 2 and row.next_attempt_at - utcnow() > timedelta(minutes=1, seconds=50)

    # The server comes back: the next pass sends it, once.
    mail_server_down.up()
    _make_due(queued.id)
    assert outbox.send_due() == 1
    assert outbox.send_due() == 0
    [path] = _written() - before
    assert email.message_from_bytes(path.read_bytes())["To"] == "dsl@example.test"
    db.session.expire_all()
    row = db.session.get(MailMessage, queued.id)
    assert row.state == MailState.SENT and row.attempts == 3 and row.last_error is None


def test_a_message_refused_for_days_is_given_up_and_counted(app, mail_server_down):
    with unit_of_work():
        queued = outbox.queue_email("dsl@example.test", "Subject", "Body")
    with unit_of_work() as session:
        session.get(MailMessage, queued.id).attempts = outbox.MAX_ATTEMPTS - 1
    _make_due(queued.id)
    outbox.send_due()
    db.session.expire_all()
    assert db.session.get(MailMessage, queued.id).state == MailState.FAILED
    result = app.test_cli_runner().invoke(args=["mail", "status"])
    assert result.exit_code == 1 and "failed: 1" in result.output


def test_the_worker_command_sends_what_is_due(app, mail_server_down):
    with unit_of_work():
        queued = outbox.queue_email("dsl@example.test", "Subject", "Body")
    mail_server_down.up()
    _make_due(queued.id)
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "1 sent" in result.output


def test_the_outbox_keeps_addresses_and_text_encrypted(app):
    with unit_of_work():
        queued = outbox.queue_email("dsl@example.test", "Subject words", "Body words",
                                    send_after_commit=False)
    raw = db.session.execute(
        select(MailMessage.__table__.c.recipient, MailMessage.__table__.c.body)
        .where(MailMessage.__table__.c.id == queued.id)
    ).one()
    assert "dsl@example.test" not in str(raw[0]) and "Body words" not in str(raw[1])
