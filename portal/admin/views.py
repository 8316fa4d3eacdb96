"""LA admin pages for the schools of their LA: list, add, edit, deactivate and reactivate."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin.forms import ConfirmForm, SchoolForm
from portal.errors import reshows_form_on_csrf_failure
from portal.db import db
from portal.orgs import service as orgs
from portal.policy import require, requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _school_or_404(school_id: uuid.UUID):
    school = orgs.get_school(school_id)
    if school is None:
        abort(404)
    require("schools:manage", school)
    return school


def _details(form: SchoolForm) -> orgs.SchoolDetails:
    return orgs.SchoolDetails(
        urn=form.urn.data,
        establishment_number=form.establishment_number.data,
        name=form.name.data,
        phase=form.phase.data,
    )


@bp.get("/schools")
@requires("schools:manage")
def schools():
    la = current_user.local_authority
    return render_template("admin/schools.html", la=la, schools=orgs.list_schools(la))


@bp.route("/schools/new", methods=["GET", "POST"])
@requires("schools:manage")
@reshows_form_on_csrf_failure
def add_school():
    form = SchoolForm()
    if form.validate_on_submit():
        try:
            school = orgs.add_school(current_user.local_authority, _details(form))
        except orgs.OrganisationError as error:
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{school.name} has been added", "success")
            return redirect(url_for("admin.schools"))
    return render_template("admin/school_form.html", form=form, school=None)


@bp.route("/schools/<uuid:school_id>/edit", methods=["GET", "POST"])
@requires("schools:manage")
@reshows_form_on_csrf_failure
def edit_school(school_id: uuid.UUID):
    school = _school_or_404(school_id)
    form = SchoolForm(obj=school)
    if form.validate_on_submit():
        try:
            orgs.edit_school(school, _details(form))
        except orgs.OrganisationError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{school.name} has been updated", "success")
            return redirect(url_for("admin.schools"))
    return render_template("admin/school_form.html", form=form, school=school)


@bp.route("/schools/<uuid:school_id>/deactivate", methods=["GET", "POST"])
@requires("schools:manage")
def deactivate_school(school_id: uuid.UUID):
    return _change_activation(school_id, active=False)


@bp.route("/schools/<uuid:school_id>/reactivate", methods=["GET", "POST"])
@requires("schools:manage")
def reactivate_school(school_id: uuid.UUID):
    return _change_activation(school_id, active=True)


def _change_activation(school_id: uuid.UUID, active: bool):
    school = _school_or_404(school_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        orgs.set_school_active(school, active)
        db.session.commit()
        flash(f"{school.name} has been {'reactivated' if active else 'deactivated'}", "success")
        return redirect(url_for("admin.schools"))
    return render_template("admin/school_activation.html", form=form, school=school, active=active)
