"""The shared updates inbox of a school's DSLs and deputies."""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from portal.policy import can, requires
from portal.updates import service as updates

bp = Blueprint("updates", __name__, url_prefix="/updates")


@bp.get("")
@requires("updates:view")
def inbox():
    inbox_page = updates.inbox(current_user, page=request.args.get("page", 1, type=int) or 1)
    return render_template("updates/index.html", inbox=inbox_page, shows_child_details=True)


@bp.get("/<uuid:update_id>")
@requires("updates:view")
def show(update_id: uuid.UUID):
    opened = updates.read_update(current_user, update_id)  # marked read and the view audited
    return render_template("updates/show.html", update=opened.update, la=opened.la, pupil=opened.pupil,
                           referral=opened.referral, facts=opened.facts)


@bp.app_context_processor
def _unread_updates():
    """The unread count for the navigation and the home page (only for those who may see updates:
    a school's leads, and a partner agency's referrers, whose updates are on their agency page)."""
    agency = can(current_user, "agency_updates:view")
    if not agency and not can(current_user, "updates:view"):
        return {"updates_nav": None}
    count = updates.unread_count(current_user)
    return {
        "updates_nav": {
            "href": url_for("agencies.home") if agency else url_for("updates.inbox"),
            "text": f"Updates ({count} unread)" if count else "Updates",
            "unread": count,
        }
    }


@bp.app_template_global("kind_label")
def _kind_label(kind: str) -> str:
    return updates.kind_label(kind)
