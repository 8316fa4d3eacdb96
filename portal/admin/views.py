"""Administration pages.

- An LA admin's schools: list, add, edit, deactivate and reactivate.
- An LA admin's partner agencies (police, health, ...): the same.
- An LA admin's school calendar: the council's term holidays and closures, which its schools
  follow unless they keep their own term dates (portal.admin.council_calendar).
- User administration: an LA admin looks after the accounts of the LA and its schools; a DSL
  those of their school's staff and deputies. Every decision is the policy's, asked by the
  services (portal.auth.administration, portal.auth.invitations, portal.orgs.service).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.admin import council_calendar
from portal.admin.forms import (
    AgencyForm,
    ConfirmForm,
    CouncilHolidayForm,
    InviteForm,
    RoleForm,
    SchoolForm,
    SingleSignOnForm,
)
from portal.auth import administration, invitations, session_store, single_sign_on
from portal.auth.credentials import AccountError
from portal.auth.roles import Role
from portal.domain_errors import Invalid, Refused
from portal.errors import reshows_form_on_csrf_failure
from portal.orgs import agencies
from portal.orgs import service as orgs
from portal.policy import can, requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _actor():
    return current_user._get_current_object()


# --- schools --------------------------------------------------------------------------------


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
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(f"{school.name} has been added", "success")
            return redirect(url_for("admin.schools"))
    return render_template("admin/school_form.html", form=form, school=None)


@bp.route("/schools/<uuid:school_id>/edit", methods=["GET", "POST"])
@requires("schools:manage")
@reshows_form_on_csrf_failure
def edit_school(school_id: uuid.UUID):
    school = orgs.school_to_manage(school_id)
    form = SchoolForm(obj=school)
    if form.validate_on_submit():
        try:
            orgs.edit_school(school, _details(form))
        except orgs.OrganisationError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
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
    school = orgs.school_to_manage(school_id)
    return _confirm_activation(school, active, orgs.set_school_active, "admin.schools",
                               "admin/school_activation.html", school=school)


def _confirm_activation(organisation, active: bool, set_active, back: str, template: str, **page):
    """The confirmation page for (de)activating a school or an agency, and the change on confirm."""
    form = ConfirmForm()
    if form.validate_on_submit():
        set_active(organisation, active)
        flash(f"{organisation.name} has been {'reactivated' if active else 'deactivated'}", "success")
        return redirect(url_for(back))
    return render_template(template, form=form, active=active, **page)


# --- the council's school calendar ----------------------------------------------------------


@bp.route("/school-calendar", methods=["GET", "POST"])
@requires("council_calendar:manage")
@reshows_form_on_csrf_failure
def council_calendar_page():
    la = current_user.local_authority
    form = CouncilHolidayForm()
    if request.method == "POST":
        errors = {}
        if form.validate_on_submit():
            try:
                holiday = council_calendar.add_holiday(la, by=current_user, name=form.name.data,
                                                       first_day=form.first_day.data, last_day=form.last_day.data)
            except council_calendar.CalendarInvalid as error:
                errors = error.errors
            else:
                flash(f"{holiday.name} has been added: the school-day clocks of the schools that follow "
                      "the council's term dates now skip it", "success")
                return redirect(url_for("admin.council_calendar_page"))
        else:
            # The dates the form could not read have their messages; the other answers get theirs.
            errors = {name: message for name, message in council_calendar.check(
                form.name.data, form.first_day.data, form.last_day.data).items() if not getattr(form, name).errors}
        for name, message in errors.items():
            field = getattr(form, name)
            if message not in field.errors:
                field.errors = list(field.errors) + [message]
    earliest, latest = council_calendar.academic_years()
    return render_template("admin/council_calendar.html", la=la, form=form, holidays=council_calendar.holidays(la),
                           remove_form=ConfirmForm(), earliest=earliest, latest=latest)


@bp.post("/school-calendar/<uuid:holiday_id>/remove")
@requires("council_calendar:manage")
def remove_council_holiday(holiday_id: uuid.UUID):
    form = ConfirmForm()
    if form.validate_on_submit():
        council_calendar.remove_holiday(current_user.local_authority, holiday_id)
        flash("The holiday has been removed from the council's calendar", "success")
    return redirect(url_for("admin.council_calendar_page"))


# --- partner agencies -----------------------------------------------------------------------


@bp.get("/agencies")
@requires("agencies:manage")
def agency_list():
    la = current_user.local_authority
    return render_template("admin/agencies.html", la=la, agencies=agencies.list_agencies(la))


def _agency_form(agency=None) -> AgencyForm:
    form = AgencyForm(obj=agency)
    form.referral_la_ids.choices = [
        (str(la.id), la.name) for la in agencies.neighbouring_authorities(current_user.local_authority)
    ]
    if request.method == "GET" and agency is not None:
        form.referral_la_ids.data = [str(area.local_authority_id) for area in agency.referral_areas]
    return form


def _agency_details(form: AgencyForm) -> agencies.AgencyDetails:
    return agencies.AgencyDetails(
        name=form.name.data,
        kind=form.kind.data,
        ods_code=form.ods_code.data,
        referral_la_ids=[uuid.UUID(value) for value in form.referral_la_ids.data or []],
    )


@bp.route("/agencies/new", methods=["GET", "POST"])
@requires("agencies:manage")
@reshows_form_on_csrf_failure
def add_agency():
    return _agency_page(None)


@bp.route("/agencies/<uuid:agency_id>/edit", methods=["GET", "POST"])
@requires("agencies:manage")
@reshows_form_on_csrf_failure
def edit_agency(agency_id: uuid.UUID):
    return _agency_page(agencies.agency_to_manage(agency_id))


def _agency_page(agency):
    form = _agency_form(agency)
    if form.validate_on_submit():
        try:
            if agency is None:
                saved = agencies.add_agency(current_user.local_authority, _agency_details(form))
            else:
                saved = agencies.edit_agency(agency, _agency_details(form))
        except orgs.OrganisationError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(f"{saved.name} has been {'added' if agency is None else 'updated'}", "success")
            return redirect(url_for("admin.agency_list"))
    return render_template("admin/agency_form.html", form=form, agency=agency)


@bp.route("/agencies/<uuid:agency_id>/deactivate", methods=["GET", "POST"])
@requires("agencies:manage")
def deactivate_agency(agency_id: uuid.UUID):
    return _agency_activation(agency_id, active=False)


@bp.route("/agencies/<uuid:agency_id>/reactivate", methods=["GET", "POST"])
@requires("agencies:manage")
def reactivate_agency(agency_id: uuid.UUID):
    return _agency_activation(agency_id, active=True)


def _agency_activation(agency_id: uuid.UUID, active: bool):
    agency = agencies.agency_to_manage(agency_id)
    return _confirm_activation(agency, active, agencies.set_agency_active, "admin.agency_list",
                               "admin/agency_activation.html", agency=agency)


# --- users ----------------------------------------------------------------------------------


@bp.get("/users")
@requires("users:list")
def users():
    actor = _actor()
    return render_template(
        "admin/users.html",
        users=administration.users_visible_to(actor),
        can_invite=can(actor, "users:invite"),
        organisation=actor.organisation,
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@requires("users:invite")
@reshows_form_on_csrf_failure
def invite_user():
    actor = _actor()
    organisations = administration.invite_organisations(actor)
    by_id = {str(org.id): org for org in organisations}
    roles = sorted({role for org in organisations for role in administration.invitable_roles(actor, org)}, key=list(Role).index)
    form = InviteForm()
    form.organisation.choices = [(str(org.id), org.name) for org in organisations]
    form.role.choices = [(role.value, role.label) for role in roles]
    if request.method == "GET" and len(organisations) == 1:
        form.organisation.data = str(organisations[0].id)
    if form.validate_on_submit():
        try:
            invitation = invitations.invite(
                form.email.data, form.display_name.data, Role(form.role.data),
                by_id.get(form.organisation.data), invited_by=actor,
            )
        except (Invalid, Refused) as error:  # AccountError, InvitationRefused: shown on the form
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            # The same answer when the address already has an account in an organisation this
            # administrator cannot see (its holder was emailed instead): back to the user list.
            flash(f"An invitation has been sent to {invitation.email}. The link works for 72 hours.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/users_invite.html", form=form)


@bp.get("/users/<uuid:user_id>")
@requires("users:list")
def user(user_id: uuid.UUID):
    actor = _actor()
    target = administration.user_for(user_id)
    invitation = invitations.pending_invitation(target) if not target.has_accepted_invitation else None
    return render_template(
        "admin/users_detail.html",
        user=target,
        invitation=invitation,
        can_change_role=len(administration.assignable_roles(actor, target)) > 1,
        can_deactivate=can(actor, "users:deactivate", target),
        can_reset_2fa=can(actor, "users:reset_2fa", target),
        confirm=ConfirmForm(),
    )


@bp.route("/users/<uuid:user_id>/role", methods=["GET", "POST"])
@requires("users:list")
@reshows_form_on_csrf_failure
def change_user_role(user_id: uuid.UUID):
    target = administration.user_for(user_id)
    roles = administration.roles_to_change_to(_actor(), target)
    reauth = session_store.reauthentication_needed()
    if reauth is not None:
        return reauth
    form = RoleForm()
    form.role.choices = [(role.value, role.label) for role in roles]
    if request.method == "GET":
        form.role.data = target.role
    if form.validate_on_submit():
        role = Role(form.role.data)
        administration.change_role(target, role, actor=_actor())
        flash(f"{target.display_name} is now {role.label}", "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/users_role.html", form=form, user=target)


@bp.route("/users/<uuid:user_id>/deactivate", methods=["GET", "POST"])
@requires("users:list")
def deactivate_user(user_id: uuid.UUID):
    return _activation(user_id, active=False)


@bp.route("/users/<uuid:user_id>/reactivate", methods=["GET", "POST"])
@requires("users:list")
def reactivate_user(user_id: uuid.UUID):
    return _activation(user_id, active=True)


def _activation(user_id: uuid.UUID, active: bool):
    target = administration.user_for(user_id, "users:deactivate")
    form = ConfirmForm()
    if form.validate_on_submit():
        administration.set_active(target, active, actor=_actor())
        flash(f"{target.display_name} has been {'reactivated' if active else 'deactivated and signed out'}", "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/users_confirm.html", form=form, user=target, action="reactivate" if active else "deactivate")


@bp.route("/users/<uuid:user_id>/reset-2fa", methods=["GET", "POST"])
@requires("users:list")
def reset_user_2fa(user_id: uuid.UUID):
    target = administration.user_for(user_id, "users:reset_2fa")
    reauth = session_store.reauthentication_needed()
    if reauth is not None:
        return reauth
    form = ConfirmForm()
    if form.validate_on_submit():
        administration.reset_second_factor(target, actor=_actor())
        flash(f"{target.display_name} will set up their authenticator app again at their next sign-in", "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/users_confirm.html", form=form, user=target, action="reset_2fa")


@bp.post("/users/<uuid:user_id>/resend-invitation")
@requires("users:list")
def resend_invitation(user_id: uuid.UUID):
    target = administration.invitee_for(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            invitations.reinvite(target, invited_by=_actor())
        except AccountError as error:
            flash(error.message, "info")
        else:
            flash("A new invitation has been sent. The old link no longer works.", "success")
    return redirect(url_for("admin.user", user_id=target.id))


# --- single sign-on -------------------------------------------------------------------------


def _sso_page(school_id: uuid.UUID | None):
    actor = _actor()
    organisation, settings = single_sign_on.organisation_to_manage(actor, school_id)
    form = SingleSignOnForm()
    if request.method == "GET":
        form.enabled.data = "yes" if settings and settings.enabled else "no"
        form.second_factor.data = settings.second_factor if settings else "portal_code"
        form.password_sign_in.data = "no" if settings and not settings.password_sign_in else "yes"
        if settings:
            form.provider.data = settings.provider
            form.tenant.data = settings.tenant or ""
            form.issuer.data = settings.issuer if settings.provider == "oidc" else ""
            form.email_domains.data = settings.email_domains
            form.client_id.data = settings.client_id
    if form.validate_on_submit():
        try:
            single_sign_on.save_settings(actor, organisation, single_sign_on.SettingsInput(
                enabled=form.enabled.data == "yes", provider=form.provider.data, tenant=form.tenant.data,
                issuer=form.issuer.data, email_domains=form.email_domains.data, client_id=form.client_id.data,
                client_secret=form.client_secret.data, second_factor=form.second_factor.data,
                password_sign_in=form.password_sign_in.data == "yes",
            ))
        except Invalid as error:
            getattr(form, error.field or "enabled").errors.append(error.message)
        else:
            flash(f"Single sign-on for {organisation.name} has been saved", "success")
            return redirect(request.path)
    return render_template(
        "admin/single_sign_on.html", form=form, organisation=organisation, settings=settings,
        redirect_uri=url_for("auth.sign_in_organisation_callback", _external=True),
    )


@bp.route("/single-sign-on", methods=["GET", "POST"])
@requires("sso:manage")
@session_store.recent_auth
@reshows_form_on_csrf_failure
def single_sign_on_settings():
    """The actor's own organisation's single sign-on (an LA admin's LA, a DSL's school)."""
    return _sso_page(None)


@bp.route("/schools/<uuid:school_id>/single-sign-on", methods=["GET", "POST"])
@requires("sso:manage")
@session_store.recent_auth
@reshows_form_on_csrf_failure
def school_single_sign_on(school_id: uuid.UUID):
    """An LA admin sets up single sign-on for one of the LA's schools."""
    return _sso_page(school_id)
