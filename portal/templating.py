"""Template globals shared by every page: service name, header navigation, date formats."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, url_for
from flask_login import current_user
from govuk_frontend_wtf.main import wtforms_errors

SERVICE_NAME = "Safeguard Portal"
UK = ZoneInfo("Europe/London")


def uk_datetime(value: datetime | None) -> str:
    """'23 November 2026 at 4:58pm', in UK local time: how GOV.UK writes times."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local:%p}".replace("AM", "am").replace("PM", "pm")


def uk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK)
    return f"{value.day} {value:%B %Y}"


CSRF_FIELD = "csrf_token"
CSRF_MESSAGE = "This page had expired, so your answers were not sent. We kept what you typed: check it and submit again."


def portal_errors(form, params=None):
    """The GOV.UK error summary for a form, with a plain-English message for an expired token."""
    summary = wtforms_errors(form, params or {})
    for item in summary["errorList"]:
        if item["href"] == f"#{CSRF_FIELD}":
            item["text"] = CSRF_MESSAGE
            item["href"] = "#main-content"
    return summary


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["uk_datetime"] = uk_datetime
    app.jinja_env.filters["uk_date"] = uk_date
    app.add_template_global(portal_errors)

    @app.context_processor
    def _globals():
        user = current_user if current_user and current_user.is_authenticated else None
        return {
            "serviceName": SERVICE_NAME,
            "serviceUrl": url_for("home.index"),
            "assetPath": "/assets",
            "signed_in_user": user,
            "session_idle_minutes": app.config["PORTAL_SESSION_IDLE_MINUTES"],
        }
