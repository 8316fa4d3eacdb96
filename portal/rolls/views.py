"""Pupils -> Import a CTF: upload a Common Transfer File, check the preview, confirm; the import
runs while a page says it is under way, then the confirmation."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.errors import reshows_form_on_csrf_failure
from portal.policy import requires
from portal.rolls import service
from portal.rolls.ctf import MAX_CTF_BYTES, SUPPORTED_DESCRIPTION
from portal.rolls.forms import CtfCancelForm, CtfConfirmForm, CtfUploadForm

bp = Blueprint("rolls", __name__, url_prefix="/pupils/import-ctf")


@bp.route("", methods=["GET", "POST"])
@requires("rolls:import")
@reshows_form_on_csrf_failure
def upload():
    form = CtfUploadForm()
    if form.validate_on_submit():
        data = form.ctf.data
        content = data.read(MAX_CTF_BYTES + 1) if data else b""
        if not data or not data.filename:
            form.ctf.errors = ["Select a Common Transfer File"]
        else:
            try:
                upload_id = service.upload_ctf(current_user, current_user.school, data.filename, content)
            except service.CtfInvalid as error:
                form.ctf.errors = [error.message]
            else:
                return redirect(url_for("rolls.preview", upload_id=upload_id))
    return render_template("rolls/upload.html", form=form, versions=SUPPORTED_DESCRIPTION,
                           taken=service.TAKEN_DESCRIPTION)


@bp.route("/<uuid:upload_id>", methods=["GET", "POST"])
@requires("rolls:import")
@reshows_form_on_csrf_failure
def preview(upload_id: uuid.UUID):
    form = CtfConfirmForm()
    if form.validate_on_submit():
        decisions = {}
        for key, value in request.form.items():
            if key.startswith("match-") and key[6:].isdigit() and len(key) < 16:
                decisions[int(key[6:])] = value[:40]
        service.confirm(current_user, current_user.school, upload_id, decisions)
        return redirect(url_for("rolls.importing", upload_id=upload_id))
    plan = service.preview(current_user, current_user.school, upload_id)
    return render_template("rolls/preview.html", form=form, cancel_form=CtfCancelForm(), plan=plan,
                           labels=service.FIELD_LABELS, upload_id=upload_id, shows_child_details=True)


@bp.get("/<uuid:upload_id>/importing")
@requires("rolls:import")
def importing(upload_id: uuid.UUID):
    """'Importing N pupils': the page asks for the import itself at once (a refresh, no script),
    and stays in view while it runs."""
    upload = service.importing(current_user, current_user.school, upload_id)
    if upload.state == "imported":
        return redirect(url_for("rolls.done", upload_id=upload_id))
    return render_template("rolls/importing.html", upload=upload,
                           run_url=url_for("rolls.run", upload_id=upload_id))


@bp.get("/<uuid:upload_id>/run")
@requires("rolls:import")
def run(upload_id: uuid.UUID):
    """Runs the import the DSL confirmed (a POST with its CSRF token did that): once only; a
    second request waits for the first and finds it done."""
    service.run_import(current_user, current_user.school, upload_id)
    return redirect(url_for("rolls.done", upload_id=upload_id))


@bp.get("/<uuid:upload_id>/done")
@requires("rolls:import")
def done(upload_id: uuid.UUID):
    result = service.import_result(current_user, current_user.school, upload_id)
    return render_template("rolls/done.html", result=result)


@bp.route("/<uuid:upload_id>/cancel", methods=["POST"])
@requires("rolls:import")
def cancel(upload_id: uuid.UUID):
    form = CtfCancelForm()
    if form.validate_on_submit():
        service.cancel(current_user, current_user.school, upload_id)
        flash("The file was deleted: nothing was imported")
    return redirect(url_for("rolls.upload"))
