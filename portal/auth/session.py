"""Flask-Login wiring: how a request's user is found from its session."""

from __future__ import annotations

import uuid

from flask import Flask

from portal.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from portal.auth.models import User

        try:
            key = uuid.UUID(user_id)
        except ValueError:
            return None
        user = db.session.get(User, key)
        # Deactivated users, and users of deactivated organisations, are refused at once.
        if user is None or not user.is_active:
            return None
        return user
