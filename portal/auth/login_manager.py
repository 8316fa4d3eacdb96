"""Flask-Login wiring: a request's user comes from its live server-side session (see session_store)."""

from __future__ import annotations

from flask import Flask, g, jsonify, redirect, request, url_for
from flask_login import current_user

from portal.auth import session_store
from portal.extensions import login_manager
from portal.auth.identity_kept import init_identity_kept
from portal.policy import can


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    # The server-side session is the protection: binding the cookie to an IP address would sign
    # out staff whose network changes address (mobile data, school proxies).
    login_manager.session_protection = None
    init_identity_kept(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        return session_store.load(user_id)

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return jsonify(signed_in=False), 401
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        if g.get("session_timed_out"):
            return redirect(url_for("auth.timed_out", next=session_store.safe_next(target)))
        return redirect(url_for("auth.sign_in", next=session_store.safe_next(target)))

    @app.before_request
    def _load_user_early():
        # Load (and time out, or mark active) the session before the view runs, so that the
        # activity is recorded on its own and never mixed into the view's transaction.
        # `g` normally starts empty for each request; the test suite keeps one app context for a
        # whole test, so forget any user loaded by an earlier request and check afresh.
        for name in ("_login_user", "user_session", "session_timed_out"):
            g.pop(name, None)
        # Static files and the load balancer's probes need nobody signed in: a probe sent with a
        # browser's cookie must still answer about the service, not about that session.
        if request.endpoint in ("static", "govuk_assets", "health.healthz", "health.readyz") or request.endpoint is None:
            return
        current_user._get_current_object()

    @app.context_processor
    def _account_context():
        """The timeout warning's settings and the signed-in navigation items, for base.html."""
        record = g.get("user_session")
        if record is None:
            return {"session_timeout": None, "account_nav": []}
        seconds, _ = session_store.seconds_left(record)
        nav = [{"text": "Your account", "href": url_for("auth.account")}]
        if can(current_user, "users:list"):
            nav.insert(0, {"text": "Users", "href": url_for("admin.users")})
        return {
            "session_timeout": {
                "idle_seconds": int(session_store.idle_limit().total_seconds()),
                "expires_in": seconds,
                "warning_seconds": session_store.WARNING_SECONDS,
                "marker": str(record.user_id),
            },
            "account_nav": nav,
        }

