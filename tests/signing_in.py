"""Signing a test client in as a user without walking the sign-in pages.

Tests of sign-in itself walk the real pages; every other test uses this shortcut.
"""

from __future__ import annotations

from flask import current_app
from flask_login import login_user


def sign_in(client, user) -> None:
    """Put `user` into the client's session exactly as a completed sign-in would."""
    with current_app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        login_user(user, fresh=True)
        from flask import session

        values = dict(session)
    with client.session_transaction() as session:
        session.update(values)
