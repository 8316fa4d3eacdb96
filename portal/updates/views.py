"""The shared updates inbox of a school's DSLs and deputies."""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template, url_for
from flask_login import current_user

from portal.db import db
from portal.orgs.models import LocalAuthority
from portal.policy import can, requires
from portal.pupils.models import Pupil
from portal.referrals.models import Referral
from portal.updates import service as updates

bp = Blueprint("updates", __name__, url_prefix="/updates")


@bp.get("")
@requires("updates:view")
def inbox():
    rows = updates.inbox(current_user)
    unread = sum(1 for _, is_unread in rows if is_unread)
    las = {la.id: la for la in db.session.execute(db.select(LocalAuthority)).scalars()} if rows else {}
    return render_template("updates/index.html", rows=rows, unread=unread, las=las)


@bp.get("/<uuid:update_id>")
@requires("updates:view")
def show(update_id: uuid.UUID):
    update = updates.open_update(current_user, update_id)
    pupil = db.session.get(Pupil, update.pupil_id) if update.pupil_id else None
    referral = db.session.get(Referral, update.referral_id) if update.referral_id else None
    page = render_template(
        "updates/show.html",
        update=update,
        la=db.session.get(LocalAuthority, update.local_authority_id),
        pupil=pupil if pupil is not None and pupil.school_id == current_user.school_id else None,
        referral=referral if referral is not None and can(current_user, "referrals:manage", referral) else None,
        facts=updates.facts(update),
    )
    db.session.commit()  # read mark and audit event
    return page


@bp.app_context_processor
def _unread_updates():
    """The unread count for the navigation and the home page (only for those who may see updates)."""
    if not can(current_user, "updates:view"):
        return {"updates_nav": None}
    count = updates.unread_count(current_user)
    return {
        "updates_nav": {
            "href": url_for("updates.inbox"),
            "text": f"Updates ({count} unread)" if count else "Updates",
            "unread": count,
        }
    }


@bp.app_template_global("kind_label")
def _kind_label(kind: str) -> str:
    return updates.kind_label(kind)
