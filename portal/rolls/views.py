"""Pupils -> Import a CTF: upload a Common Transfer File, check the preview, confirm."""

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
                file_id = service.upload_ctf(current_user, current_user.school, data.filename, content)
            except service.CtfInvalid as error:
                form.ctf.errors = [error.message]
            else:
                return redirect(url_for("rolls.preview", file_id=file_id))
    return render_template("rolls/upload.html", form=form, versions=SUPPORTED_DESCRIPTION,
                           taken=service.TAKEN_DESCRIPTION)


@bp.route("/<uuid:file_id>", methods=["GET", "POST"])
@requires("rolls:import")
@reshows_form_on_csrf_failure
def preview(file_id: uuid.UUID):
    form = CtfConfirmForm()
    if form.validate_on_submit():
        decisions = {}
        for key, value in request.form.items():
            if key.startswith("match-") and key[6:].isdigit():
                decisions[int(key[6:])] = value[:40]
        result = service.confirm(current_user, current_user.school, file_id, decisions)
        return render_template("rolls/done.html", result=result)
    plan = service.preview(current_user, current_user.school, file_id)
    return render_template("rolls/preview.html", form=form, cancel_form=CtfCancelForm(), plan=plan,
                           labels=service.FIELD_LABELS, file_id=file_id)


@bp.route("/<uuid:file_id>/cancel", methods=["POST"])
@requires("rolls:import")
def cancel(file_id: uuid.UUID):
    form = CtfCancelForm()
    if form.validate_on_submit():
        service.cancel(current_user, current_user.school, file_id)
        flash("The file was deleted: nothing was imported")
    return redirect(url_for("rolls.upload"))
