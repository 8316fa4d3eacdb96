"""Template globals shared by every page: service name, header navigation, date formats."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, render_template, url_for
from markupsafe import Markup
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


def unchanging_fragment(template_name: str) -> Markup:
    """A fragment that is the same on every page (the GOV.UK header and footer), rendered once
    per process: the GOV.UK macros are slow, and these two cost a busy page several ms."""
    cache = current_app.extensions.setdefault("portal_fragments", {})
    if template_name not in cache:
        cache[template_name] = Markup(render_template(template_name))
    return cache[template_name]


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["uk_datetime"] = uk_datetime
    app.jinja_env.filters["uk_date"] = uk_date
    app.add_template_global(portal_errors)
    app.add_template_global(unchanging_fragment)

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
