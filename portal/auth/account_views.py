"""Your account: password, authenticator app, recovery codes, re-authentication, and the
session-timeout warning's two endpoints."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth import accounts, recovery, session_store, signin
from portal.auth.forms import ChangeEmailForm, ChangePasswordForm, ContinueForm, EnrolForm, ReauthenticateForm
from portal.auth.views import bp
from portal.errors import reshows_form_on_csrf_failure
from portal.db import db
from portal.policy import requires


def _me():
    return current_user._get_current_object()


@bp.get("/account")
@requires("account:manage")
def account():
    return render_template("auth/account.html", user=_me(), codes_left=recovery.remaining(_me()))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account:manage")
@reshows_form_on_csrf_failure
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(_me(), form.current_password.data, form.password.data, form.confirm.data)
        except accounts.AccountError as error:
            db.session.commit()  # keeps the failure count and its audit event
            getattr(form, error.field or "password").errors.append(str(error))
        else:
            db.session.commit()
            accounts.notify_password_changed(_me())
            flash("Your password has been changed. You have been signed out on other devices.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@requires("account:manage")
@session_store.recent_auth
@reshows_form_on_csrf_failure
def change_email():
    """A new sign-in address (needs a recent password and code); both addresses are told."""
    user = _me()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            old = accounts.change_email(user, form.email.data)
        except accounts.AccountError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            accounts.notify_email_changed(user, old)
            flash(f"Your email address is now {user.email}", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_email.html", form=form)


@bp.route("/account/authenticator", methods=["GET", "POST"])
@requires("account:manage")
@session_store.recent_auth
@reshows_form_on_csrf_failure
def replace_authenticator():
    """Move the second factor to a new app (needs a recent password and code)."""
    user = _me()
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = accounts.finish_enrolment(user, form.code.data)
        except accounts.AccountError as error:
            form.code.errors.append(str(error))
        else:
            session_store.end_all(user, "2fa_change", keep=session_store.current())
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))
    enrolment = accounts.enrolment_for(user, fresh=request.method == "GET")
    return render_template("auth/enrol.html", form=form, enrolment=enrolment, replacing=True)


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
@requires("account:manage")
@session_store.recent_auth
@reshows_form_on_csrf_failure
def replace_recovery_codes():
    form = ContinueForm()
    if form.validate_on_submit():
        codes = accounts.new_recovery_codes(_me())
        db.session.commit()
        return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))
    return render_template("auth/replace_recovery_codes.html", form=form)


@bp.route("/re-authenticate", methods=["GET", "POST"])
@requires("account:manage")
@reshows_form_on_csrf_failure
def reauthenticate():
    """Password and code again before a sensitive action; then back to where the user was."""
    from portal.auth.views import _lock_message

    next_url = session_store.safe_next(request.args.get("next")) or url_for("auth.account")
    form = ReauthenticateForm()
    if form.validate_on_submit():
        outcome = signin.reauthenticate(_me(), form.password.data, form.code.data)
        if outcome.ok:
            session_store.mark_reauthenticated(session_store.current())
            db.session.commit()
            return redirect(next_url)
        db.session.commit()
        if outcome.locked:
            form.password.errors.append(_lock_message(outcome.locked))
        elif outcome.replayed:
            form.code.errors.append("This code has already been used. Wait for your app to show a new code, then enter it")
        else:
            form.password.errors.append("Enter your correct password and the newest code from your app")
        form.code.data = ""
    return render_template("auth/reauthenticate.html", form=form)


# --- the timeout warning --------------------------------------------------------------------


def _status():
    seconds, can_extend = session_store.seconds_left(session_store.current())
    return jsonify(signed_in=True, expires_in=seconds, can_extend=can_extend)


@bp.get("/session/status")
@session_store.background
@requires("account:manage")
def session_status():
    """How long the session has left. A background request: it never extends the session."""
    return _status()


@bp.post("/session/keep-alive")
@requires("account:manage")
def session_keep_alive():
    """"Stay signed in": this request is activity, so the idle timer has just restarted."""
    session_store.keep_alive(session_store.current())
    db.session.commit()
    return _status()
