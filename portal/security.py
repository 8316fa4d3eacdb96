"""Per-request security: request ids, CSP nonces and the headers every response carries."""

from __future__ import annotations

import secrets
import uuid

from flask import Flask, g, request


def init_security(app: Flask) -> None:
    production = app.config["PORTAL_ENV"] == "production"

    @app.before_request
    def _request_facts():
        g.request_id = str(uuid.uuid4())
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def _nonce():
        # govuk-frontend-jinja's template puts this nonce on its one inline script.
        return {"cspNonce": getattr(g, "csp_nonce", "")}

    @app.after_request
    def _headers(response):
        nonce = getattr(g, "csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; "
            "img-src 'self' data:; "
            "font-src 'self'; "
            "connect-src 'self'; "
            "object-src 'none'; "
            "base-uri 'none'; "
            "form-action 'self'; "
            "frame-ancestors 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not is_static_asset(request.path):
            # Pages can hold children's details: never keep them in a browser or proxy cache.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        if production:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if getattr(g, "request_id", None):
            response.headers["X-Request-Id"] = g.request_id
        return response


def is_static_asset(path: str) -> bool:
    return path.startswith("/static/") or path.startswith("/assets/")
