"""Pupil pages for DSLs and deputies: the roll, finding, adding, editing, history, import."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.errors import reshows_form_on_csrf_failure
from portal.policy import can, requires
from portal.pupils import service
from portal.transfers import service as transfers
from portal.pupils.forms import FindByIdentifierForm, FindByNameForm, PreviousSchoolForm, PupilForm, RollImportForm

bp = Blueprint("pupils", __name__, url_prefix="/pupils")

ROLL_PAGE_SIZE = service.ROLL_PAGE_SIZE
MAX_IMPORT_BYTES = 5 * 1024 * 1024


@bp.route("", methods=["GET", "POST"])
@requires("pupils:manage")
@reshows_form_on_csrf_failure
def roll():
    """The school's roll, a page at a time, with search by name fragment or by exact identifiers
    (both POSTed). Every list of pupils shown is audited by the service."""
    school = current_user.school
    by_name = FindByNameForm(prefix="name")
    by_identifier = FindByIdentifierForm(prefix="id")
    searched, pupils, roll_page = None, None, None
    if by_name.submit.data and by_name.validate_on_submit():
        searched = "name"
        roll_page = service.search_by_name(school, by_name.name.data or "")
    elif by_identifier.find.data and by_identifier.validate_on_submit():
        searched = "identifier"
        data = by_identifier.data
        if not any([data["upn"], data["nhs_number"], data["surname"] and data["date_of_birth"]]):
            by_identifier.upn.errors = ["Enter a UPN, an NHS number, or a last name and date of birth"]
        else:
            pupils = service.search_by_identifiers(
                school,
                upn=data["upn"] or None,
                nhs_number=data["nhs_number"] or None,
                surname=data["surname"] or None,
                date_of_birth=data["date_of_birth"],
            )
    if pupils is None and roll_page is None and searched is None:
        roll_page = service.roll_page(school, page=request.args.get("page", 1, type=int) or 1)
    if roll_page is not None:
        pupils = roll_page.pupils
    errors_form = by_identifier if by_identifier.errors else (by_name if by_name.errors else None)
    return render_template(
        "pupils/roll.html",
        pupils=pupils,
        roll_page=roll_page,
        searched=searched,
        by_name=by_name,
        by_identifier=by_identifier,
        form=errors_form,
        shows_child_details=True,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("pupils:manage")
@reshows_form_on_csrf_failure
def add():
    form = PupilForm()
    duplicates = []
    if form.validate_on_submit():
        try:
            pupil = service.add_pupil(
                current_user.school, form.details(), allow_duplicate=form.confirm_new.data == "yes"
            )
        except service.PupilInvalid as error:
            form.show_errors(error.errors)
        except service.PossibleDuplicate as duplicate:
            duplicates = duplicate.existing
            form.confirm_new.data = "yes"
            service.record_form_view(duplicates, "duplicate_offered")
        else:
            flash(f"{pupil.display_name} has been added", "success")
            return redirect(url_for("pupils.show", pupil_id=pupil.id))
    elif form.is_submitted():
        form.add_rule_errors()
    return render_template(
        "pupils/form.html", form=form, pupil=None, duplicates=duplicates, shows_child_details=True
    )


@bp.get("/<uuid:pupil_id>")
@requires("pupils:manage")
def show(pupil_id: uuid.UUID):
    pupil = service.view_pupil(current_user, pupil_id, with_contacts=True)
    return render_template(
        "pupils/show.html",
        pupil=pupil,
        contacts=pupil.contacts,
        links=_pupil_links(pupil),
        school_names=service.enrolment_school_names(pupil),
        shows_child_details=True,
        **_read_only(pupil),
    )


def _read_only(pupil) -> dict:
    """Whether the record can be changed here; if not (it was transferred out and the receiving
    school accepted it), the transfer and the school it went to, for the page to say so."""
    if can(current_user, "pupils:manage", pupil):
        return {"editable": True, "transferred_out": None, "transferred_to": None}
    transfer, to_school = transfers.transferred_out(current_user, pupil)
    return {"editable": False, "transferred_out": transfer, "transferred_to": to_school}


def _pupil_links(pupil) -> list[dict]:
    """What a DSL can do next from a pupil's page: each link shows only if the policy allows it
    (a record transferred out to another school is read-only) and the area's page exists."""
    wanted = [
        ("chronology:view", "chronology.page", {"pupil_id": pupil.id}, "Chronology"),
        ("concern:log", "concerns.start", {}, "Log a concern"),
        ("referrals:start", "referrals.start", {"pupil": pupil.id}, "Refer to the local authority"),
        ("transfers:send", "transfers.record_leaver", {"pupil_id": pupil.id}, "Record that this pupil has left"),
        ("transfers:request", "transfers.new_request", {"pupil": pupil.id}, "Request their child protection file"),
        ("cme:send", "cme.start", {"pupil_id": pupil.id}, "Send an off-roll notice"),
        ("retention:hold", "retention.pupil_holds", {"pupil_id": pupil.id}, "Legal hold"),
    ]
    if not pupil.on_roll:
        # Already recorded as having left: the transfer is on its own page, and a file is
        # requested for a pupil who has joined, not one who has gone.
        wanted = [link for link in wanted if link[1] not in ("transfers.record_leaver", "transfers.new_request")]
    links = [
        (endpoint, {"href": url_for(endpoint, **values), "text": text})
        for action, endpoint, values, text in wanted
        if endpoint in current_app.view_functions and can(current_user, action, pupil)
    ]
    if any(endpoint == "transfers.new_request" for endpoint, _ in links) and transfers.file_received(pupil):
        # Their file has already come from their previous school: there is nothing to request.
        links = [(endpoint, link) for endpoint, link in links if endpoint != "transfers.new_request"]
    return [link for _, link in links]


@bp.route("/<uuid:pupil_id>/edit", methods=["GET", "POST"])
@requires("pupils:manage")
@reshows_form_on_csrf_failure
def edit(pupil_id: uuid.UUID):
    pupil = service.get_pupil_for(current_user, pupil_id, action="pupils:manage")
    form = PupilForm(data=vars(service.PupilDetails.of(pupil)) if request.method == "GET" else None)
    del form.start_date
    if form.validate_on_submit():
        try:
            details = form.details()
            service.edit_pupil(pupil, details)
        except service.PupilInvalid as error:
            form.show_errors(error.errors)
        else:
            flash("The pupil’s details have been updated", "success")
            return redirect(url_for("pupils.show", pupil_id=pupil.id))
    elif form.is_submitted():
        form.add_rule_errors()
    service.record_form_view(pupil, "edit_form")
    return render_template("pupils/form.html", form=form, pupil=pupil, duplicates=[], shows_child_details=True)


@bp.route("/<uuid:pupil_id>/previous-schools/new", methods=["GET", "POST"])
@requires("pupils:manage")
@reshows_form_on_csrf_failure
def add_previous_school(pupil_id: uuid.UUID):
    pupil = service.get_pupil_for(current_user, pupil_id, action="pupils:manage")
    form = PreviousSchoolForm()
    if form.validate_on_submit():
        try:
            service.add_previous_enrolment(
                pupil, school_name=form.school_name.data, start_date=form.start_date.data, end_date=form.end_date.data
            )
        except service.PupilInvalid as error:
            for name, message in error.errors.items():
                getattr(form, name).errors = [message]
        else:
            flash("The previous school has been added", "success")
            return redirect(url_for("pupils.show", pupil_id=pupil.id))
    service.record_form_view(pupil, "previous_school_form")
    return render_template("pupils/previous_school.html", form=form, pupil=pupil, shows_child_details=True)


@bp.route("/import", methods=["GET", "POST"])
@requires("pupils:manage")
@reshows_form_on_csrf_failure
def import_roll():
    form = RollImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.roll.data
        content = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
        if not upload or not upload.filename:
            form.roll.errors = ["Select a CSV file"]
        elif len(content) > MAX_IMPORT_BYTES:
            form.roll.errors = ["The file must be smaller than 5 MB"]
        elif not upload.filename.lower().endswith(".csv") or b"\x00" in content:
            form.roll.errors = ["The file must be a CSV"]
        else:
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.roll.errors = ["The file must be a CSV saved as UTF-8"]
            else:
                report = service.import_roll_csv(current_user.school, text)
    return render_template("pupils/import.html", form=form, report=report, columns=service.ROLL_COLUMNS)
