"""Template globals shared by every page: service name, header navigation, date formats.

Also the template environment's two economies, measured on the busiest page (the triage queue):
every page pays for them, so they are kept here, in one place.
- Template globals are copied into a plain dict when a template is loaded, not chained to the
  environment's: Jinja's ChainMap made every import and every render look through both maps in
  Python (about a tenth of a page's rendering). So the globals are fixed once the app is built
  (`freeze_template_globals`): one added later would be missing from templates already loaded,
  and is refused instead.
- `url_for` in templates remembers the links it has built: a link depends only on its endpoint,
  its values and the app's root path, and pages build the same few (the stylesheets, the
  navigation, the queue's count links) again on every request.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, render_template, request, url_for
from flask.templating import Environment
from markupsafe import Markup
from flask_login import current_user
from govuk_frontend_wtf.main import wtforms_errors

from portal.forms import install_form_defaults
from portal.govuk_components import summary_list, table, tag

SERVICE_NAME = "Safeguard Portal"
UK = ZoneInfo("Europe/London")

# The deploying council's (or consortium's) own identity: this is a council's service, not GOV.UK's,
# so the header carries its name (and logo), never the crown. README "Configuration".
OPERATOR_SETTINGS = ("PORTAL_OPERATOR_NAME", "PORTAL_OPERATOR_LOGO", "PORTAL_PRIVACY_NOTICE_URL",
                     "PORTAL_ACCESSIBILITY_STATEMENT_URL")
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
              ".svg": "image/svg+xml", ".webp": "image/webp"}
DEFAULT_OPERATOR_NAME = "Your local authority"


class OperatorSettingError(ValueError):
    """An operator setting that cannot be used (says which, never shows a secret)."""


@dataclass(frozen=True)
class Operator:
    name: str
    logo_path: Path | None
    privacy_notice_url: str | None
    accessibility_statement_url: str | None

    @property
    def in_a_sentence(self) -> str:
        """The operator's name inside a sentence ("run by your local authority" when not set)."""
        return self.name if self.name != DEFAULT_OPERATOR_NAME else "your local authority"

    @property
    def logo_type(self) -> str | None:
        return LOGO_TYPES.get(self.logo_path.suffix.lower()) if self.logo_path else None


def _https_or_path(name: str, value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("/") and not value.startswith("//"):
        return value
    if value.startswith("https://") or value.startswith("http://"):
        return value
    raise OperatorSettingError(f"{name} must be an http(s):// address or a path on this site")


def read_operator(config) -> Operator:
    """The operator settings from app.config (create_app's overrides) or the environment; a logo
    that is not a readable image file of a known type stops the start with the setting's name."""
    def get(name: str) -> str:
        value = config.get(name)
        return str(value if value is not None else os.environ.get(name, "")).strip()

    name = " ".join(get("PORTAL_OPERATOR_NAME").split())[:120] or DEFAULT_OPERATOR_NAME
    logo = get("PORTAL_OPERATOR_LOGO")
    logo_path = None
    if logo:
        logo_path = Path(logo).resolve()
        if logo_path.suffix.lower() not in LOGO_TYPES:
            raise OperatorSettingError("PORTAL_OPERATOR_LOGO must be a .png, .jpg, .gif, .webp or .svg file")
        if not logo_path.is_file():
            raise OperatorSettingError("PORTAL_OPERATOR_LOGO names a file that does not exist")
    return Operator(
        name=name,
        logo_path=logo_path,
        privacy_notice_url=_https_or_path("PORTAL_PRIVACY_NOTICE_URL", get("PORTAL_PRIVACY_NOTICE_URL")),
        accessibility_statement_url=_https_or_path("PORTAL_ACCESSIBILITY_STATEMENT_URL",
                                                   get("PORTAL_ACCESSIBILITY_STATEMENT_URL")),
    )


def operator() -> Operator:
    return current_app.extensions["portal_operator"]


def uk_time(value: datetime) -> str:
    """A time as the GOV.UK style guide writes it: '9am', '5:30pm', 'midday', 'midnight'."""
    local = value.astimezone(UK)
    if local.hour == 0 and local.minute == 0:
        return "midnight"
    if local.hour == 12 and local.minute == 0:
        return "midday"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def uk_datetime(value: datetime | None) -> str:
    """'23 November 2026 at 4:58pm', '8 December 2026 at 9am', in UK local time: how GOV.UK writes
    times. Midnight is written as the end of the day before ('7 December 2026 at midnight' for
    00:00 on the 8th), so that it is never read as the end of the day named."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    if local.hour == 0 and local.minute == 0:
        day = local.date() - timedelta(days=1)
        return f"{day.day} {day:%B %Y} at midnight"
    return f"{local.day} {local:%B %Y} at {uk_time(local)}"


def uk_deadline(value: datetime | None) -> str:
    """A deadline as GOV.UK writes one: 'by 5pm on Monday 8 December 2026'; 00:00 is 'by
    midnight on Sunday 7 December 2026' (the end of the day before)."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    day = local.date()
    if local.hour == 0 and local.minute == 0:
        day -= timedelta(days=1)
    return f"by {uk_time(local)} on {day:%A} {day.day} {day:%B %Y}"


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


# Where the signed-in person's items go in the service navigation rendered once per process.
_NAVIGATION_END = "<!-- portal: navigation end -->"


def service_navigation(navigation_end: str = "") -> Markup:
    """The GOV.UK service navigation: the service name, and on a signed-in page the person's items
    (organisation, updates, account, sign out) at the end of its list.

    Everything but those items is the same on every page: the macro is rendered once per process
    with a marker where they go (and once without, for signed-out pages, where the macro leaves
    the list out), and each page puts its own items in the marker's place. The GOV.UK macro stays
    the source of the markup; only the items vary."""
    navigation_end = Markup(navigation_end).strip()  # a signed-out page's is only white space
    cache = current_app.extensions.setdefault("portal_fragments", {})
    key = ("service_navigation", bool(navigation_end))
    if key not in cache:
        html = current_app.jinja_env.get_template("_service_navigation.html").render(
            service_name=SERVICE_NAME, service_url=url_for("home.index"),
            navigation_end=Markup(_NAVIGATION_END) if navigation_end else "")
        parts = html.split(_NAVIGATION_END) if navigation_end else [html, ""]
        if len(parts) != 2:
            raise RuntimeError("the service navigation macro did not show its navigationEnd slot once")
        cache[key] = parts
    before, after = cache[key]
    return Markup(before) + navigation_end + Markup(after) if navigation_end else Markup(before)


class TemplateEnvironment(Environment):
    """Flask's Jinja environment, with each template's globals a plain dict (see the module's note)."""

    def make_globals(self, d):
        return {**self.globals, **d} if d else dict(self.globals)


class TemplateGlobals(dict):
    """The template globals once the app is built: read-only (see the module's note)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("template globals are fixed once the app is built: add them in create_app")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _refuse


def freeze_template_globals(app: Flask) -> None:
    """Called at the end of create_app, before any page is rendered."""
    app.jinja_env.globals = TemplateGlobals(app.jinja_env.globals)
    app.jinja_env.cache.clear()  # nothing rendered yet should have a copy, but be sure


class _LinkMemory:
    """url_for for templates, remembering the links it has built (see the module's note).

    Only plain calls are remembered: a relative endpoint ('.index') depends on the blueprint of
    the request, and _external/_anchor/_method/_scheme links are rare; those go to url_for as they
    are. The key holds the app's root path, so a portal mounted under a prefix builds its own.
    Bounded: links with ids in them (a referral's page) must not grow it without end, so when it
    is full it starts again (the links every page uses are back after one page)."""

    def __init__(self, size: int = 4096):
        self._size = size
        self._links: dict[tuple, str] = {}

    def __call__(self, endpoint: str, **values) -> str:
        if not has_request_context():  # an email or export rendered by a command: as Flask does
            return url_for(endpoint, **values)
        try:
            key = (request.script_root, endpoint, *values.items())
            link = self._links.get(key)
        except TypeError:  # a value that cannot be a key (a list of values): built each time
            return url_for(endpoint, **values)
        if link is None:
            link = url_for(endpoint, **values)
            if not endpoint.startswith(".") and not any(name.startswith("_") for name in values):
                if len(self._links) >= self._size:
                    self._links = {}
                self._links[key] = link
        return link


# Characters that reorder or hide text (bidirectional overrides and isolates, zero-width marks):
# a name typed with U+202E could be shown reversed, disguised as someone else's. Removed from
# everything a page shows; NUL too.
_HIDDEN = re.compile("[\u0000\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def shown_plainly(value):
    """Jinja's finalize: every value a template writes, with hidden reordering characters removed."""
    if isinstance(value, str) and _HIDDEN.search(value):
        cleaned = _HIDDEN.sub("", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def init_templating(app: Flask) -> None:
    install_form_defaults()
    app.jinja_env.finalize = shown_plainly
    app.extensions["portal_operator"] = read_operator(app.config)
    app.jinja_env.globals["url_for"] = _LinkMemory()
    app.jinja_env.filters["uk_datetime"] = uk_datetime
    app.jinja_env.filters["uk_date"] = uk_date
    app.jinja_env.filters["uk_deadline"] = uk_deadline
    app.add_template_global(portal_errors)
    # The GOV.UK summary list, table and tag, as govuk-frontend-jinja's macros write them, at a
    # fraction of their cost (portal/govuk_components.py).
    app.add_template_global(functools.partial(summary_list, finalize=shown_plainly), "portalSummaryList")
    app.add_template_global(functools.partial(table, finalize=shown_plainly), "portalTable")
    app.add_template_global(functools.partial(tag, finalize=shown_plainly), "portalTag")
    app.add_template_global(unchanging_fragment)
    app.add_template_global(service_navigation)
    app.add_template_global(operator)

    @app.context_processor
    def _globals():
        user = current_user._get_current_object()  # not the proxy: base.html reads it often
        user = user if user is not None and user.is_authenticated else None
        return {
            "serviceName": SERVICE_NAME,
            "serviceUrl": url_for("home.index"),
            "assetPath": "/assets",
            "signed_in_user": user,
            "session_idle_minutes": app.config["PORTAL_SESSION_IDLE_MINUTES"],
        }
