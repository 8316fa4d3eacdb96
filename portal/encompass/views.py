"""Operation Encompass pages.

- The police (an Encompass notifier of a police organisation): the organisation's notices, and a
  new notice as question pages (the incident, each child, check answers, send); a second notice
  at the same address starts from an earlier one. After sending, each child shows only
  "delivered to the school" or "held by the council" and when it was first read.
- The school's DSLs and deputies: the notices delivered to the school, and each notice's page
  (opening it records the first read), where it is matched to a pupil and linked to a concern.
- The council: the register of every notice for the area (key contacts, and triage managers
  read-only), and, for the key contact, each held notice's page to route it by hand.

Views parse, call one service function and render or redirect; the service checks the policy
and audits.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.domain_errors import Conflict
from portal.encompass import service
from portal.encompass.forms import (
    ButtonForm,
    ChildForm,
    IncidentForm,
    LinkConcernForm,
    MatchPupilForm,
    OutsideForm,
    RouteForm,
    SendForm,
)
from portal.encompass.models import (
    EXPOSURE_LABELS,
    HELD_REASON_LABELS,
    INJURED_LABELS,
    Routing,
)
from portal.policy import requires
from portal.templating import uk_datetime
from portal.working_days import UK

bp = Blueprint("encompass", __name__, url_prefix="/encompass")


@bp.context_processor
def _words() -> dict:
    return {
        "EXPOSURE_LABELS": EXPOSURE_LABELS,
        "INJURED_LABELS": INJURED_LABELS,
        "HELD_REASON_LABELS": HELD_REASON_LABELS,
        "Routing": Routing,
        "police_status": service.police_status,
    }


# --- the police ----------------------------------------------------------------------------------


@bp.get("/")
@requires("encompass:record")
def index():
    return render_template("encompass/police_index.html", rows=service.police_notices(current_user),
                           copy_form=ButtonForm())


def _every_problem(form, check, details) -> None:
    """The form's own checks failed (a date that is not a date, say): add the service's messages
    for the other answers, so that the page lists every problem at once."""
    try:
        check(details)
    except service.EncompassInvalid as error:
        form.show_errors(error.errors)


def _incident_page(form: IncidentForm, notice_id: uuid.UUID | None):
    if form.is_submitted():
        details = service.IncidentDetails(police_reference=form.police_reference.data,
                                          incident_date=form.incident_date.data,
                                          incident_time=form.incident_time.data,
                                          other_agencies=form.other_agencies.data)
        if not form.validate():
            _every_problem(form, service.clean_incident, details)
        else:
            try:
                notice = service.save_incident(current_user, notice_id, details)
            except service.EncompassInvalid as error:
                form.show_errors(error.errors)
            else:
                if notice.children:
                    return redirect(url_for("encompass.check", notice_id=notice.id))
                return redirect(url_for("encompass.new_child", notice_id=notice.id))
    return render_template("encompass/incident.html", form=form, notice_id=notice_id)


@bp.route("/new", methods=["GET", "POST"])
@requires("encompass:record")
def new():
    return _incident_page(IncidentForm(), None)


@bp.route("/drafts/<uuid:notice_id>/incident", methods=["GET", "POST"])
@requires("encompass:record")
def incident(notice_id: uuid.UUID):
    notice = service.get_draft(current_user, notice_id)
    form = IncidentForm()
    if not form.is_submitted():
        form.police_reference.data = notice.police_reference
        form.other_agencies.data = notice.other_agencies
        if notice.incident_at:
            local = notice.incident_at.astimezone(UK)
            form.incident_date.data = local.date()
            form.incident_date.raw_data = [str(local.day), str(local.month), str(local.year)]
            form.incident_time.data = local.strftime("%H:%M")
    return _incident_page(form, notice_id)


def _child_page(form: ChildForm, notice, child_id: uuid.UUID | None, number: int):
    if form.is_submitted():
        details = service.ChildDetails(
            forename=form.forename.data, surname=form.surname.data, date_of_birth=form.date_of_birth.data,
            address=form.address.data, school_given=form.school_given.data, upn=form.upn.data,
            exposure=list(form.exposure.data or []), injured=form.injured.data, injuries=form.injuries.data,
            disclosure=form.disclosure.data)
        if not form.validate():
            _every_problem(form, service.clean_child, details)
        else:
            try:
                service.save_child(current_user, notice.id, child_id, details)
            except service.EncompassInvalid as error:
                form.show_errors(error.errors)
            else:
                return redirect(url_for("encompass.check", notice_id=notice.id))
    return render_template("encompass/child.html", form=form, notice=notice, child_id=child_id, number=number)


@bp.route("/drafts/<uuid:notice_id>/children/new", methods=["GET", "POST"])
@requires("encompass:record")
def new_child(notice_id: uuid.UUID):
    notice = service.get_draft(current_user, notice_id)
    form = ChildForm()
    if not form.is_submitted() and notice.children:
        # The household usually shares an address: offer the last child's.
        form.address.data = notice.children[-1].address
    return _child_page(form, notice, None, len(notice.children) + 1)


@bp.route("/drafts/<uuid:notice_id>/children/<uuid:child_id>", methods=["GET", "POST"])
@requires("encompass:record")
def child(notice_id: uuid.UUID, child_id: uuid.UUID):
    notice, child = service.get_draft_child(current_user, notice_id, child_id)
    form = ChildForm()
    if not form.is_submitted():
        details = service.ChildDetails.of(child)
        for name in ("forename", "surname", "address", "school_given", "upn", "injured", "injuries", "disclosure"):
            getattr(form, name).data = getattr(details, name)
        form.exposure.data = details.exposure
        form.date_of_birth.data = details.date_of_birth
        if details.date_of_birth:
            dob = details.date_of_birth
            form.date_of_birth.raw_data = [str(dob.day), str(dob.month), str(dob.year)]
    number = next(n for n, c in enumerate(notice.children, start=1) if c.id == child_id)
    return _child_page(form, notice, child_id, number)


@bp.post("/drafts/<uuid:notice_id>/children/<uuid:child_id>/remove")
@requires("encompass:record")
def remove_child(notice_id: uuid.UUID, child_id: uuid.UUID):
    form = ButtonForm()
    if form.validate_on_submit():
        service.remove_child(current_user, notice_id, child_id)
        flash("The child has been taken off the notice", "success")
    return redirect(url_for("encompass.check", notice_id=notice_id))


@bp.get("/drafts/<uuid:notice_id>/check")
@requires("encompass:record")
def check(notice_id: uuid.UUID):
    notice = service.get_draft(current_user, notice_id)
    return render_template("encompass/check.html", notice=notice, form=SendForm(), remove_form=ButtonForm(),
                           missing={})


@bp.post("/drafts/<uuid:notice_id>/send")
@requires("encompass:record")
def send(notice_id: uuid.UUID):
    form = SendForm()
    if form.validate_on_submit():
        try:
            sent = service.submit_notice(current_user, notice_id)
        except service.EncompassInvalid as error:
            notice = service.get_draft(current_user, notice_id)
            return render_template("encompass/check.html", notice=notice, form=form, remove_form=ButtonForm(),
                                   missing=error.errors), 400
        if not sent.already:
            flash("Notice sent", "success")
        return redirect(url_for("encompass.notice", notice_id=notice_id))
    try:
        notice = service.get_draft(current_user, notice_id)
    except Conflict:
        return redirect(url_for("encompass.notice", notice_id=notice_id))
    return render_template("encompass/check.html", notice=notice, form=form, remove_form=ButtonForm(), missing={})


@bp.get("/notices/<uuid:notice_id>")
@requires("encompass:record")
def notice(notice_id: uuid.UUID):
    notice, children = service.police_notice(current_user, notice_id)
    return render_template("encompass/police_notice.html", notice=notice, children=children, copy_form=ButtonForm())


@bp.post("/notices/<uuid:notice_id>/same-address")
@requires("encompass:record")
def same_address(notice_id: uuid.UUID):
    form = ButtonForm()
    if not form.validate_on_submit():
        return redirect(url_for("encompass.notice", notice_id=notice_id))
    draft = service.second_notice_at_same_address(current_user, notice_id)
    flash("The household has been copied from the earlier notice: say what happened to each child this time", "success")
    return redirect(url_for("encompass.incident", notice_id=draft.id))


# --- the school ----------------------------------------------------------------------------------


@bp.get("/school")
@requires("encompass:read")
def school_index():
    return render_template("encompass/school_index.html", rows=service.school_notices(current_user))


def _school_page(child_id: uuid.UUID, match_form=None, link_form=None, status: int = 200):
    view = service.read_notice(current_user, child_id)
    match_form = match_form or MatchPupilForm()
    match_form.pupil_id.choices = [(str(p.id), p.display_name) for p in view.candidates]
    link_form = link_form or LinkConcernForm()
    link_form.concern_id.choices = [(str(c.id), f"Concern of {uk_datetime(c.occurred_at)}") for c in view.concerns]
    erring = match_form if match_form.errors else link_form if link_form.errors else None
    return render_template("encompass/school_notice.html", view=view, match_form=match_form,
                           link_form=link_form, form=erring), status


@bp.get("/school/<uuid:child_id>")
@requires("encompass:read")
def school_notice(child_id: uuid.UUID):
    return _school_page(child_id)


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


@bp.post("/school/<uuid:child_id>/pupil")
@requires("encompass:read")
def match_pupil(child_id: uuid.UUID):
    form = MatchPupilForm()
    if form.validate_on_submit():
        try:
            service.match_pupil(current_user, child_id, _uuid(form.pupil_id.data))
        except service.EncompassInvalid as error:
            form.show_errors(error.errors)
            return _school_page(child_id, match_form=form, status=400)
        flash("The notice is now on the pupil’s chronology", "success")
    return redirect(url_for("encompass.school_notice", child_id=child_id))


@bp.post("/school/<uuid:child_id>/concern")
@requires("encompass:read")
def link_concern(child_id: uuid.UUID):
    form = LinkConcernForm()
    if form.validate_on_submit():
        try:
            service.link_concern(current_user, child_id, _uuid(form.concern_id.data))
        except service.EncompassInvalid as error:
            form.show_errors(error.errors)
            return _school_page(child_id, link_form=form, status=400)
        flash("The concern has been linked to the notice", "success")
    return redirect(url_for("encompass.school_notice", child_id=child_id))


# --- the council ---------------------------------------------------------------------------------


@bp.get("/council")
@requires("encompass:register")
def register():
    return render_template("encompass/register.html", register=service.register(current_user))


def _council_page(child_id: uuid.UUID, route_form=None, outside_form=None, status: int = 200):
    view = service.council_child(current_user, child_id)
    route_form = route_form or RouteForm()
    route_form.school_id.choices = [(str(s.id), f"{s.name} ({s.urn})") for s in view.schools]
    outside_form = outside_form or OutsideForm()
    erring = route_form if route_form.errors else outside_form if outside_form.errors else None
    return render_template("encompass/council_child.html", view=view, route_form=route_form,
                           outside_form=outside_form, form=erring), status


@bp.get("/council/<uuid:child_id>")
@requires("encompass:route")
def council_child(child_id: uuid.UUID):
    return _council_page(child_id)


@bp.post("/council/<uuid:child_id>/route")
@requires("encompass:route")
def route(child_id: uuid.UUID):
    form = RouteForm()
    if form.validate_on_submit():
        try:
            service.route_by_hand(current_user, child_id, _uuid(form.school_id.data))
        except service.EncompassInvalid as error:
            form.show_errors(error.errors)
            return _council_page(child_id, route_form=form, status=400)
        flash("The notice has been sent to the school", "success")
        return redirect(url_for("encompass.register"))
    return redirect(url_for("encompass.council_child", child_id=child_id))


@bp.post("/council/<uuid:child_id>/outside")
@requires("encompass:route")
def outside(child_id: uuid.UUID):
    form = OutsideForm()
    if form.validate_on_submit():
        try:
            service.handled_outside(current_user, child_id, form.note.data)
        except service.EncompassInvalid as error:
            form.show_errors(error.errors)
            return _council_page(child_id, outside_form=form, status=400)
        flash("The notice is recorded as handled outside the portal", "success")
        return redirect(url_for("encompass.register"))
    return redirect(url_for("encompass.council_child", child_id=child_id))
