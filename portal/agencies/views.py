"""A partner agency's pages: home (its referrals and the council's updates), starting a referral,
and reading an update.

The referral itself is filled in on the referral pages every referrer uses (portal.referrals):
the same task list, questions, checks and submission as a school's. Nothing here shows, counts or
looks up any school's records: the agency names the child, and learns nothing from the portal
about whether that child is known to it.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from portal.agencies.forms import StartAgencyReferralForm
from portal.errors import reshows_form_on_csrf_failure
from portal.policy import can, requires
from portal.referrals import sections
from portal.referrals import service as referrals
from portal.updates import service as updates

bp = Blueprint("agencies", __name__, url_prefix="/agency")


@bp.get("")
@requires("agency_referrals:manage")
def home():
    rows = referrals.agency_referrals(current_user)
    inbox = updates.agency_inbox(current_user, page=request.args.get("page", 1, type=int) or 1)
    return render_template(
        "agencies/home.html", rows=rows, inbox=inbox, shows_child_details=True,
        may_start=can(current_user, "agency_referrals:start") and bool(referrals.referral_authorities(current_user)),
        sees_all=can(current_user, "agency_referrals:oversee"),
        status_text=sections.STATUS_TEXT, status_classes=sections.STATUS_TAG_CLASSES,
        # The council each referral is with now (a council may have sent one on to another).
        la_names={r.local_authority_id: referrals.local_authority_of(r).name for r in rows if r.local_authority_id},
    )


@bp.route("/referrals/new", methods=["GET", "POST"])
@requires("agency_referrals:start")
@reshows_form_on_csrf_failure
def start():
    councils = referrals.referral_authorities(current_user)
    form = StartAgencyReferralForm()
    form.local_authority.choices = [(str(la.id), la.name) for la in councils]
    if request.method == "GET":
        form.start_token.data = referrals.new_start_token()
        if councils:
            form.local_authority.data = str(councils[0].id)
    elif form.validate_on_submit():
        referral = referrals.start_agency_referral(current_user, uuid.UUID(form.local_authority.data),
                                                   start_token=form.start_token.data or None)
        return redirect(url_for("referrals.immediate_risk", referral_id=referral.id))
    return render_template("agencies/start.html", form=form), (400 if request.method == "POST" else 200)


@bp.get("/updates/<uuid:update_id>")
@requires("agency_updates:view")
def update(update_id: uuid.UUID):
    opened = updates.read_agency_update(current_user, update_id)  # marked read and the view audited
    return render_template("updates/show.html", update=opened.update, la=opened.la, pupil=None,
                           referral=opened.referral, facts=opened.facts, back_href=url_for("agencies.home"),
                           shows_child_details=True)
