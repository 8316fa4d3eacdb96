"""Per-request security: request ids, CSP nonces and the headers every response carries."""

from __future__ import annotations

import secrets
import uuid

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import UnsupportedMediaType

# Bodies the portal's pages take. A page's form is form-encoded (or multipart with a file); JSON
# only where a view says so with @accepts_json (the concern autosave). Anything else is refused
# before the CSRF check or the view reads it: Flask-WTF would otherwise feed a JSON body to a
# page's form as if it were one, with numbers and lists where strings belong.
FORM_BODIES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def accepts_json(view):
    """Marks a view that takes a JSON body (its own parsing, not a FlaskForm's)."""
    view.accepts_json = True
    return view


def init_security(app: Flask) -> None:
    production = app.config["PORTAL_ENV"] == "production"

    def _request_facts():
        g.request_id = str(uuid.uuid4())
        g.csp_nonce = secrets.token_urlsafe(16)

    def _only_bodies_the_view_takes():
        if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not request.content_length:
            return
        if request.mimetype in FORM_BODIES:
            return
        view = current_app.view_functions.get(request.endpoint or "")
        if request.mimetype == "application/json" and getattr(view, "accepts_json", False):
            return
        raise UnsupportedMediaType()

    # First of all the request hooks: before the CSRF check, so that its failure page has a
    # request id and a refused body never reaches a form.
    app.before_request_funcs.setdefault(None, [])[0:0] = [_request_facts, _only_bodies_the_view_takes]

    # Flask-WTF offers `csrf_token` both as a global and from a context processor (registered
    # before this one, which therefore wins): both are replaced.
    app.jinja_env.globals["csrf_token"] = page_csrf_token

    @app.context_processor
    def _nonce():
        # govuk-frontend-jinja's template puts this nonce on its one inline script.
        return {"cspNonce": getattr(g, "csp_nonce", ""), "csrf_token": page_csrf_token}

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


def page_csrf_token() -> str:
    """The CSRF token for a page's forms (templates' `csrf_token()`): Flask-WTF's, signed once per
    session and process rather than on every page.

    Flask-WTF signs the session's token afresh for each page (a key derivation, an HMAC and a
    timestamp: a few percent of a busy page). Tokens have no time limit here (WTF_CSRF_TIME_LIMIT
    is None: the session's own timeouts bound them), so a token signed earlier for the same session
    token is exactly as valid. With a time limit set, every page signs afresh, as Flask-WTF does."""
    raw = session.get("csrf_token")
    on_this_page = g.get("portal_csrf")
    if raw and on_this_page and on_this_page[0] == raw:
        return on_this_page[1]
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    signed_tokens = current_app.extensions.setdefault("portal_signed_csrf", {})
    signed = signed_tokens.get(raw) if raw else None
    if signed is None:
        g.pop("csrf_token", None)  # so that Flask-WTF signs this session's token, whatever came before
        signed = generate_csrf()  # makes the session's token if there is none yet
        if len(signed_tokens) >= 10_000:  # one per live session; start again rather than grow
            signed_tokens.clear()
        signed_tokens[session["csrf_token"]] = signed
    g.csrf_token = signed  # what Flask-WTF's own fields on this page will use too
    g.portal_csrf = (session["csrf_token"], signed)
    return signed
