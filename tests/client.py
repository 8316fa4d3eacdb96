"""A test client that posts forms the way a browser does: with the page's CSRF token.

CSRF protection stays switched on in tests. `client.post(..., csrf=False)` sends no token, to test
the refusal.
"""

from __future__ import annotations

import hashlib
import os

from flask import current_app
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer


class PortalClient(FlaskClient):
    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
            if raw is None:
                raw = session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "json" not in kwargs:
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)
