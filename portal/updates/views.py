"""The shared updates inbox of a school's DSLs and deputies."""

from __future__ import annotations

import uuid

from flask import Blueprint, has_request_context, render_template, request, url_for
from flask_login import current_user

from portal.policy import can, requires
from portal.updates import navigation
from portal.updates import service as updates

bp = Blueprint("updates", __name__, url_prefix="/updates")


@bp.get("")
@requires("updates:view")
def inbox():
    inbox_page = updates.inbox(current_user, page=request.args.get("page", 1, type=int) or 1)
    navigation.unread_counted(current_user, inbox_page.unread)
    return render_template("updates/index.html", inbox=inbox_page, shows_child_details=True)


@bp.get("/<uuid:update_id>")
@requires("updates:view")
def show(update_id: uuid.UUID):
    opened = updates.read_update(current_user, update_id)  # marked read and the view audited
    return render_template("updates/show.html", update=opened.update, la=opened.la, pupil=opened.pupil,
                           referral=opened.referral, facts=opened.facts)


_NAV_KEY = "portal.updates_nav"


@bp.app_context_processor
def _unread_updates():
    """The unread count for the navigation and the home page (only for those who may see updates:
    a school's leads, and a partner agency's referrers, whose updates are on their agency page).

    Worked out once per request: a page's GOV.UK widgets each render a template of their own, and
    every render runs the context processors again (the roll's search ran the count eight times)."""
    # Kept in the request's own environ: `g` belongs to the app context, which a test (or a CLI
    # command) may keep across several requests.
    if not has_request_context():  # an email or a command's template: no one is signed in
        return {"updates_nav": None}
    if _NAV_KEY not in request.environ:
        request.environ[_NAV_KEY] = _updates_nav()
    return {"updates_nav": request.environ[_NAV_KEY]}


def _updates_nav() -> dict | None:
    agency = can(current_user, "agency_updates:view")
    if not agency and not can(current_user, "updates:view"):
        return None
    counted = None if agency else navigation.unread_already_counted(current_user)
    count = updates.unread_count(current_user) if counted is None else counted
    return {
        "href": url_for("agencies.home") if agency else url_for("updates.inbox"),
        "text": f"Updates ({count} unread)" if count else "Updates",
        "unread": count,
    }


@bp.app_template_global("kind_label")
def _kind_label(kind: str) -> str:
    return updates.kind_label(kind)
