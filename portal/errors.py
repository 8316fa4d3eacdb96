"""Error pages that reveal nothing internal, the CSRF failure that loses nothing, and failures
that stay a page and one short log line.

- A domain error (portal.domain_errors) or an HTTP error renders the GOV.UK error page.
- The database being away (a restart, a failover, a network blip) answers 503 "Sorry, the service
  is unavailable" with Retry-After; anything else unexpected answers 500. Both render the
  standalone page, which needs neither the database nor the signed-in user, so the error page
  can never fail in turn.
- Each failure is logged as one line: the error's class, the route, the request id and where it
  happened (file:line, no values). Never the exception's text: a database error quotes the SQL
  and its parameters, and those can be a child's details or a session token. A burst of the same
  failure is summarised (portal.log_bursts).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from portal.domain_errors import ServiceError
from portal.log_bursts import BurstLog

log = logging.getLogger(__name__)

TITLES = {
    400: "Sorry, there is a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Sorry, there is a problem with your request",
    409: "Sorry, this has changed since you opened it",
    413: "The file is too large",
    415: "Sorry, there is a problem with your request",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}
RETRY_AFTER_SECONDS = 30


def reshows_form_on_csrf_failure(view):
    """Marks a view whose form validation includes the CSRF check (a FlaskForm).

    When the token has expired, such a view is run again instead of showing an error page: its
    form fails validation with a CSRF error and is re-shown with everything the user typed.
    Only views that validate a FlaskForm before acting may carry this mark.
    """
    view.reshows_form_on_csrf_failure = True
    return view


def render_error(status: int):
    if status >= 500:
        return render_failure(status)
    return render_template("errors/error.html", status=status, title=TITLES.get(status, TITLES[400])), status


def render_failure(status: int):
    """The standalone page: no context processors, so no current_user, no database."""
    template = current_app.jinja_env.get_template("errors/standalone.html")
    body = template.render(
        status=status,
        title=TITLES.get(status, TITLES[500]),
        request_id=g.get("request_id"),
        service_name="Safeguard Portal",
        cspNonce=g.get("csp_nonce", ""),
    )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    return body, status, headers


def database_unavailable(error: BaseException) -> bool:
    """Whether this failure means the database cannot be reached (as opposed to a bug)."""
    if isinstance(error, (DisconnectionError, PoolTimeout)):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        # psycopg and sqlite3 both call "cannot connect / connection lost" OperationalError.
        return type(error.orig).__name__ in ("OperationalError", "InterfaceError")
    return False


def init_errors(app: Flask) -> None:
    failures = BurstLog(log)  # per app (one per worker process in production)

    @app.errorhandler(CSRFError)
    def _csrf(error):
        view = current_app.view_functions.get(request.endpoint or "")
        if view is not None and getattr(view, "reshows_form_on_csrf_failure", False) and not g.get("csrf_retry"):
            g.csrf_retry = True
            try:
                return current_app.ensure_sync(view)(**(request.view_args or {}))
            except Exception as raised:
                # Whatever the view answers without a token it answers here too: a 404 for
                # another school's record, a 400 for a body that is not a form. An error raised
                # inside an error handler would otherwise escape as a bare 500.
                return current_app.handle_user_exception(raised)
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
        status = 503 if database_unavailable(error) else 500
        failures.record(
            f"unhandled {type(error).__name__} on {request.method} {request.url_rule.rule if request.url_rule else '-'}",
            f"(request {g.get('request_id')}) answered {status} at {_where(error)}",
        )
        return render_failure(status)


def _where(error: BaseException) -> str:
    """The innermost frames as 'file:line in function', without any values."""
    frames = traceback.extract_tb(error.__traceback__)[-5:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames))
