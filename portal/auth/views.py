"""Signing in and out, invitations, password resets and setting up the authenticator app.

These pages are reached before sign-in, so they are `@public`; the steps after the password
check that the browser's session holds a recent, matching "pending sign-in" first.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal import audit
from portal.auth import accounts, wall_clock, session_store, signin, throttle
from portal.auth.forms import (
    CodeForm,
    EnrolForm,
    ForgotPasswordForm,
    NewPasswordForm,
    RecoveryCodeForm,
    SignInForm,
)
from portal.auth.models import User
from portal.errors import reshows_form_on_csrf_failure
from portal.db import db
from portal.extensions import limiter
from portal.policy import public

bp = Blueprint("auth", __name__)

PENDING = "pending_sign_in"
PENDING_SECONDS = 10 * 60
WRONG_DETAILS = "Enter a correct email address and password"


# --- the pending sign-in (between the password and the code) --------------------------------


def _set_pending(user: User, stage: str, next_url: str | None) -> None:
    session[PENDING] = {"user": str(user.id), "stage": stage, "at": wall_clock.timestamp(), "next": next_url}


def _pending(stage: str) -> tuple[User, dict] | None:
    data = session.get(PENDING)
    if not isinstance(data, dict) or data.get("stage") != stage:
        return None
    if wall_clock.timestamp() - float(data.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    try:
        user = db.session.get(User, uuid.UUID(data["user"]))
    except (KeyError, ValueError):
        return None
    if user is None or not user.is_active:
        return None
    return user, data


def _lock_message(lock: throttle.Locked) -> str:
    when = throttle.describe(lock)
    if lock.scope == "account":
        return (
            "There have been too many attempts to sign in to this account. Try again at "
            f"{when}, or sign in from a device you have used before."
        )
    return f"There have been too many attempts to sign in. Try again at {when}."


def _complete_sign_in(user: User, method: str, next_url: str | None):
    """The password and the second factor are both done: start the server-side session."""
    session.pop(PENDING, None)
    session_store.start(user)
    signin.record_signed_in(user, method)
    db.session.commit()
    response = redirect(session_store.safe_next(next_url) or url_for("home.dashboard"))
    throttle.remember_device(response, user.email)
    return response


# --- sign in --------------------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = SignInForm()
    next_url = session_store.safe_next(request.args.get("next"))
    if form.validate_on_submit():
        outcome = signin.check_password(form.email.data, form.password.data)
        if outcome.ok:
            _set_pending(outcome.user, "enrol" if outcome.must_enrol else "code", next_url)
            db.session.commit()
            return redirect(url_for("auth.enrol" if outcome.must_enrol else "auth.sign_in_code"))
        db.session.commit()
        form.email.errors.append(_lock_message(outcome.locked) if outcome.locked else WRONG_DETAILS)
        form.password.data = ""
    return render_template("auth/sign_in.html", form=form, next_url=next_url)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def sign_in_code():
    pending = _pending("code")
    if pending is None:
        return redirect(url_for("auth.sign_in"))
    user, data = pending
    form = CodeForm()
    if form.validate_on_submit():
        outcome = signin.check_code(user, form.code.data)
        if outcome.ok:
            return _complete_sign_in(user, "totp", data.get("next"))
        db.session.commit()
        if outcome.locked:
            session.pop(PENDING, None)
            form.code.errors.append(_lock_message(outcome.locked))
        elif outcome.replayed:
            form.code.errors.append("This code has already been used. Wait for your app to show a new code, then enter it")
        else:
            form.code.errors.append("The security code is not correct. Enter the newest code from your app")
        form.code.data = ""
    return render_template("auth/code.html", form=form)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def sign_in_recovery():
    pending = _pending("code")
    if pending is None:
        return redirect(url_for("auth.sign_in"))
    user, data = pending
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        outcome = signin.check_recovery_code(user, form.code.data)
        if outcome.ok:
            response = _complete_sign_in(user, "recovery_code", data.get("next"))
            left = outcome.recovery_codes_left
            flash(
                f"You used a recovery code. You have {left} recovery code{'' if left == 1 else 's'} left. "
                "You can make new ones, or set up your app again, from Your account.",
                "info",
            )
            return response
        db.session.commit()
        if outcome.locked:
            session.pop(PENDING, None)
            form.code.errors.append(_lock_message(outcome.locked))
        else:
            form.code.errors.append("This recovery code is not correct or has already been used")
        form.code.data = ""
    return render_template("auth/recovery_code.html", form=form)


@bp.route("/sign-in/set-up-app", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def enrol():
    """Mandatory second factor: shown after the password when the user has none yet."""
    pending = _pending("enrol")
    if pending is None:
        return redirect(url_for("auth.sign_in"))
    user, data = pending
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = accounts.finish_enrolment(user, form.code.data)
        except accounts.AccountError as error:
            form.code.errors.append(str(error))
        else:
            session.pop(PENDING, None)
            session_store.start(user)
            signin.record_signed_in(user, "enrolment")
            db.session.commit()
            response = make_response(render_template(
                "auth/recovery_codes.html", codes=codes, next_url=session_store.safe_next(data.get("next")) or url_for("home.dashboard")
            ))
            throttle.remember_device(response, user.email)
            return response
    enrolment = accounts.enrolment_for(user)
    return render_template("auth/enrol.html", form=form, enrolment=enrolment, replacing=False)


# --- sign out and time out ------------------------------------------------------------------


@bp.post("/sign-out")
@public
def sign_out():
    timed_out = request.form.get("reason") == "timeout"
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        audit.record("auth.sign_out", object_type="user", object_id=user.id, detail="timeout" if timed_out else None, actor=user)
        session_store.end_current("timeout" if timed_out else "sign_out")
        db.session.commit()
    if timed_out:
        return redirect(url_for(
            "auth.timed_out",
            next=session_store.safe_next(request.form.get("next")),
            kept="1" if request.form.get("kept") == "1" else None,
        ))
    return redirect(url_for("auth.signed_out"))


@bp.get("/signed-out")
@public
def signed_out():
    return render_template("auth/signed_out.html")


@bp.get("/timed-out")
@public
def timed_out():
    return render_template(
        "auth/timed_out.html",
        next_url=session_store.safe_next(request.args.get("next")),
        kept=request.args.get("kept") == "1",
        idle_minutes=int(session_store.idle_limit().total_seconds() // 60),
    )


# --- forgotten password ---------------------------------------------------------------------


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        # The same page whether or not the address has an account.
        return redirect(url_for("auth.reset_sent"))
    return render_template("auth/forgot_password.html", form=form)


@bp.get("/forgot-password/sent")
@public
def reset_sent():
    return render_template("auth/reset_sent.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def reset_password(token: str):
    user = accounts.reset_user(token)
    if user is None:
        return render_template("auth/link_expired.html", kind="reset"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, form.confirm.data)
        except accounts.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "password").errors.append(str(error))
        else:
            db.session.commit()
            accounts.notify_password_changed(user)
            if current_user.is_authenticated:
                session_store.end_current("password_reset")
            flash("Your password has been changed. Sign in with your new password and the code from your app.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/new_password.html", form=form, user=user, invitation=False)


# --- invitations ----------------------------------------------------------------------------


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def accept_invitation(token: str):
    user = accounts.invitation_user(token)
    if user is None:
        return render_template("auth/link_expired.html", kind="invitation"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.accept_invitation(token, form.password.data, form.confirm.data)
        except accounts.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "password").errors.append(str(error))
        else:
            if current_user.is_authenticated:
                session_store.end_current("invitation")
            db.session.commit()
            _set_pending(user, "enrol", None)
            return redirect(url_for("auth.enrol"))
    return render_template("auth/new_password.html", form=form, user=user, invitation=True)


# The account pages live on this blueprint too (a module of their own).
from portal.auth import account_views  # noqa: E402,F401
