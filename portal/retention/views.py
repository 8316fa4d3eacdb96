"""Legal holds on a child's records: placed and released by the school's DSL (or the council's LA
admin), with a reason. While one is in force, `flask retention run` destroys nothing of the
record, whatever the child's age."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.domain_errors import Invalid
from portal.errors import reshows_form_on_csrf_failure
from portal.policy import requires
from portal.retention import service
from portal.retention.forms import PlaceHoldForm, ReleaseHoldForm

bp = Blueprint("retention", __name__)


@bp.route("/pupils/<uuid:pupil_id>/legal-hold", methods=["GET", "POST"])
@requires("retention:hold")
@reshows_form_on_csrf_failure
def pupil_holds(pupil_id: uuid.UUID):
    # Every path asks the service, which refuses another school's pupil (placing, or showing the page).
    form = PlaceHoldForm()
    if form.validate_on_submit():
        try:
            service.place_hold(current_user, pupil_id, form.reason.data)
        except Invalid as problem:
            form.reason.errors = [problem.message]
        else:
            flash("Legal hold placed: the child’s records will be kept until it is released", "success")
            return redirect(url_for("retention.pupil_holds", pupil_id=pupil_id))
    return _holds_page(pupil_id, form=form, release_form=ReleaseHoldForm(formdata=None))


@bp.post("/legal-holds/<uuid:hold_id>/release")
@requires("retention:hold")
@reshows_form_on_csrf_failure
def release(hold_id: uuid.UUID):
    hold = service.hold_to_release(current_user, hold_id)
    form = ReleaseHoldForm()
    if form.validate_on_submit():
        try:
            service.release_hold(current_user, hold_id, form.reason.data)
        except Invalid as problem:
            form.reason.errors = [problem.message]
        else:
            flash("Legal hold released", "success")
            return redirect(url_for("retention.pupil_holds", pupil_id=hold.pupil_id))
    return _holds_page(hold.pupil_id, form=PlaceHoldForm(formdata=None), release_form=form, releasing=hold.id)


def _holds_page(pupil_id: uuid.UUID, **forms):
    found = service.holds_for_pupil(current_user, pupil_id)
    return render_template("retention/pupil_holds.html", pupil=found.pupil, holds=found.holds,
                           shows_child_details=True, **forms)
