"""Flask-Login wiring: a request's user comes from its live server-side session (see sessions)."""

from __future__ import annotations

from flask import Flask, g, jsonify, redirect, request, url_for

from portal.extensions import login_manager


def init_login(app: Flask) -> None:
    from portal.auth import sessions

    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    # The server-side session is the protection: binding the cookie to an IP address would sign
    # out staff whose network changes address (mobile data, school proxies).
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(user_id: str):
        return sessions.load(user_id)

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return jsonify(signed_in=False), 401
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        if g.get("session_timed_out"):
            return redirect(url_for("auth.timed_out", next=sessions.safe_next(target)))
        return redirect(url_for("auth.sign_in", next=sessions.safe_next(target)))

    @app.before_request
    def _load_user_early():
        # Load (and time out, or mark active) the session before the view runs, so that the
        # activity is recorded on its own and never mixed into the view's transaction.
        if request.endpoint in ("static", "govuk_assets") or request.endpoint is None:
            return
        from flask_login import current_user

        current_user._get_current_object()
