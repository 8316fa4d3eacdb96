"""Signing a test client in as a user without walking the sign-in pages.

Tests of sign-in itself walk the real pages (tests/auth); every other test uses this shortcut.
It goes through the real server-side session mechanism: a `user_session` row is made and the
client's cookie carries its token, exactly as after a completed sign-in, so timeouts, sign-out
and deactivation apply to it too.
"""

from __future__ import annotations

from flask import current_app, session

from portal.auth import session_store
from portal.db import db


def sign_in(client, user) -> None:
    """Put `user` into the client's session exactly as a completed sign-in would."""
    with current_app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        session_store.start(user)
        db.session.commit()
        values = dict(session)
    with client.session_transaction() as client_session:
        client_session.clear()
        client_session.update(values)
