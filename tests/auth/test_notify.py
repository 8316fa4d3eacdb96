"""Email: .eml files in development, SMTP when configured, never files in production."""

import email

import pytest

from portal.notify import EmailNotSent, mail, outbox_path, send_email


class FakeSMTP:
    sent = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port, self.calls = host, port, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context=None):
        self.calls.append("starttls")

    def login(self, username, password):
        self.calls.append(("login", username))

    def send_message(self, message):
        FakeSMTP.sent.append((self.host, self.port, self.calls, message))


@pytest.fixture
def settings(app):
    extra = app.config["PORTAL_SETTINGS"].extra
    saved = dict(extra)
    yield extra
    extra.clear()
    extra.update(saved)


def test_without_smtp_an_eml_file_is_written(app, settings):
    before = set(outbox_path().glob("*.eml")) if outbox_path().exists() else set()
    send_email("someone@example.org", "Subject line", "Body text")
    [path] = set(outbox_path().glob("*.eml")) - before
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == "someone@example.org" and message["Subject"] == "Subject line"
    assert "Body text" in message.get_payload(decode=True).decode()


def test_with_smtp_settings_the_message_goes_to_the_server(app, settings, monkeypatch):
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent.clear()
    settings.update({"PORTAL_SMTP_HOST": "smtp.example.org", "PORTAL_SMTP_PORT": "2525",
                     "PORTAL_SMTP_USERNAME": "portal", "PORTAL_SMTP_PASSWORD": "x", "PORTAL_SMTP_FROM": "Portal <portal@example.org>"})
    send_email("someone@example.org", "Subject", "Body")
    [(host, port, calls, message)] = FakeSMTP.sent
    assert (host, port) == ("smtp.example.org", 2525)
    assert calls == ["starttls", ("login", "portal")]
    assert message["From"] == "Portal <portal@example.org>"


def test_smtp_failure_raises_without_naming_the_recipient(app, settings, monkeypatch):
    class Broken(FakeSMTP):
        def send_message(self, message):
            raise mail.smtplib.SMTPRecipientsRefused({"someone@example.org": (550, b"no")})

    monkeypatch.setattr(mail.smtplib, "SMTP", Broken)
    settings["PORTAL_SMTP_HOST"] = "smtp.example.org"
    with pytest.raises(EmailNotSent) as error:
        send_email("someone@example.org", "Subject", "Body")
    assert "someone" not in str(error.value)


def test_production_never_writes_emails_to_disk(app, settings):
    app.config["PORTAL_ENV"] = "production"
    try:
        with pytest.raises(EmailNotSent):
            send_email("someone@example.org", "Subject", "Body")
    finally:
        app.config["PORTAL_ENV"] = "test"
