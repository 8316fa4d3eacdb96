"""Email: `queue_email(to, subject, body)` in a service's unit of work (portal.notify.outbox);
`send_email` is what the outbox uses to hand a message to the mail server.

Sent over SMTP when PORTAL_SMTP_HOST is set; otherwise (development and tests) written to
`instance/mail/` as .eml files that any mail program opens. Production refuses to fall back to
files: a link to set a password must never sit on a server's disk.

Emails never contain children's details: only links into the portal, where access is checked.
"""

from portal.notify.mail import EmailNotSent, outbox_path, send_email  # noqa: F401
