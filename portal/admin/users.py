"""User administration pages: an LA admin looks after the accounts of the LA and its schools; a
DSL those of their school's staff and deputies. Every decision is the policy's."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.admin.forms import ConfirmForm
from portal.admin.views import bp
from portal.auth import accounts, administration, sessions, tokens
from portal.auth.forms import InviteForm, RoleForm
from portal.auth.roles import Role
from portal.errors import reshows_form_on_csrf_failure
from portal.db import db
from portal.policy import InviteTarget, RoleChange, can, require, requires


def _actor():
    return current_user._get_current_object()


def _user_or_404(user_id: uuid.UUID, action: str = "users:view"):
    user = administration.get_user(user_id)
    if user is None:
        abort(404)
    require(action, user)
    return user


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
        organisation = by_id.get(form.organisation.data)
        role = Role(form.role.data)
        if organisation is None or not can(actor, "users:invite", InviteTarget(role, organisation)):
            form.role.errors.append(f"You cannot invite a {role.label} to {organisation.name if organisation else 'this organisation'}")
        else:
            try:
                invitation = accounts.invite(form.email.data, form.display_name.data, role, organisation, invited_by=actor, send=False)
            except accounts.AccountError as error:
                db.session.rollback()
                getattr(form, error.field or "email").errors.append(str(error))
            else:
                db.session.commit()
                emailed = accounts.send_invitation(invitation.user, invitation.link)
                if emailed:
                    flash(f"An invitation has been sent to {invitation.user.email}. The link works for 72 hours.", "success")
                else:
                    flash("The account was made but the invitation email could not be sent. Use ‘Send a new invitation’ on their page to try again.", "info")
                return redirect(url_for("admin.user", user_id=invitation.user.id))
    return render_template("admin/users_invite.html", form=form)


@bp.get("/users/<uuid:user_id>")
@requires("users:list")
def user(user_id: uuid.UUID):
    actor = _actor()
    target = _user_or_404(user_id)
    invitation = tokens.pending_invitation(target) if not target.has_accepted_invitation else None
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
    actor = _actor()
    target = _user_or_404(user_id)
    roles = administration.assignable_roles(actor, target)
    if len(roles) <= 1:
        abort(404)
    reauth = sessions.reauthentication_needed()
    if reauth is not None:
        return reauth
    form = RoleForm()
    form.role.choices = [(role.value, role.label) for role in roles]
    if request.method == "GET":
        form.role.data = target.role
    if form.validate_on_submit():
        role = Role(form.role.data)
        require("users:change_role", RoleChange(target, role))
        administration.change_role(target, role, actor=actor)
        db.session.commit()
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
    target = _user_or_404(user_id, "users:deactivate")
    form = ConfirmForm()
    if form.validate_on_submit():
        administration.set_active(target, active, actor=_actor())
        db.session.commit()
        flash(f"{target.display_name} has been {'reactivated' if active else 'deactivated and signed out'}", "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/users_confirm.html", form=form, user=target, action="reactivate" if active else "deactivate")


@bp.route("/users/<uuid:user_id>/reset-2fa", methods=["GET", "POST"])
@requires("users:list")
def reset_user_2fa(user_id: uuid.UUID):
    target = _user_or_404(user_id, "users:reset_2fa")
    reauth = sessions.reauthentication_needed()
    if reauth is not None:
        return reauth
    form = ConfirmForm()
    if form.validate_on_submit():
        administration.reset_second_factor(target, actor=_actor())
        db.session.commit()
        administration.notify_second_factor_reset(target)
        flash(f"{target.display_name} will set up their authenticator app again at their next sign-in", "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/users_confirm.html", form=form, user=target, action="reset_2fa")


@bp.post("/users/<uuid:user_id>/resend-invitation")
@requires("users:list")
def resend_invitation(user_id: uuid.UUID):
    actor = _actor()
    target = _user_or_404(user_id)
    require("users:invite", InviteTarget(target.role_enum, target.organisation))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            invitation = accounts.reinvite(target, invited_by=actor)
        except accounts.AccountError as error:
            flash(str(error), "info")
        else:
            db.session.commit()
            if accounts.send_invitation(target, invitation.link):
                flash("A new invitation has been sent. The old link no longer works.", "success")
            else:
                flash("The invitation email could not be sent. Try again later.", "info")
    return redirect(url_for("admin.user", user_id=target.id))
