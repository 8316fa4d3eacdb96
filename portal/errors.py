"""Styled error pages that reveal nothing internal, and the CSRF failure that loses nothing."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.domain_errors import ServiceError

log = logging.getLogger(__name__)

TITLES = {
    400: "Sorry, there is a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Sorry, there is a problem with your request",
    409: "Sorry, this has changed since you opened it",
    413: "The file is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
}


def reshows_form_on_csrf_failure(view):
    """Marks a view whose form validation includes the CSRF check (a FlaskForm).

    When the token has expired, such a view is run again instead of showing an error page: its
    form fails validation with a CSRF error and is re-shown with everything the user typed.
    Only views that validate a FlaskForm before acting may carry this mark.
    """
    view.reshows_form_on_csrf_failure = True
    return view


def render_error(status: int):
    return render_template("errors/error.html", status=status, title=TITLES.get(status, TITLES[400])), status


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        view = current_app.view_functions.get(request.endpoint or "")
        if view is not None and getattr(view, "reshows_form_on_csrf_failure", False) and not g.get("csrf_retry"):
            g.csrf_retry = True
            return current_app.ensure_sync(view)(**(request.view_args or {}))
        return render_error(400)

    @app.errorhandler(ServiceError)
    def _refused_by_a_service(error: ServiceError):
        # A domain error no view chose to show in its own page: its status says it all. The
        # message is not shown here: a NotFound must look the same as any other missing page.
        return render_error(error.status)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        # Log the type, where it happened and the request id, never the exception's message or
        # local values: they can carry a child's details.
        log.error(
            "unhandled %s on %s %s (request %s) at %s",
            type(error).__name__,
            request.method,
            request.url_rule.rule if request.url_rule else "-",
            g.get("request_id"),
            _where(error),
        )
        return render_error(500)


def _where(error: BaseException) -> str:
    """The innermost frames as 'file:line in function', without any values."""
    frames = traceback.extract_tb(error.__traceback__)[-5:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames))
