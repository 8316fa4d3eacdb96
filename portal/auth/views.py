"""The accounts pages: signing in and out, invitations, password resets, setting up the
authenticator app, and Your account (password, email address, app, recovery codes,
re-authentication and the session-timeout warning's two endpoints).

The pages before sign-in are `@public`; the steps after the password check first that the
browser's session holds the token of a live server-side sign-in stage of the right kind
(portal.auth.stages: 10 minutes, used once). Each page parses its form, calls one
service (portal.auth.signin, credentials, invitations, session_store) and renders or redirects.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.auth import credentials, invitations, recovery, session_store, signin, single_sign_on, throttle, wall_clock
from portal.auth.credentials import AccountError
from portal.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    CodeForm,
    ContinueForm,
    EnrolForm,
    ForgotPasswordForm,
    NewPasswordForm,
    OrganisationSignInForm,
    ReauthenticateForm,
    RecoveryCodeForm,
    SignInForm,
)
from portal.auth.models import SignInStage, SignInStageKind, User
from portal.errors import reshows_form_on_csrf_failure
from portal.extensions import limiter
from portal.policy import public, requires

bp = Blueprint("auth", __name__)

PENDING = "pending_sign_in"
SSO_STATE = "sso_state"
SSO_ONLY = "Your organisation signs in with its own accounts. Use “Sign in with your organisation’s account”"
WRONG_DETAILS = "Enter a correct email address and password"
REPLAYED_CODE = "This code has already been used. Wait for your app to show a new code, then enter it"


# --- the pending sign-in (between the password and the code) --------------------------------
# The browser's session holds only the random token of a server-side stage (portal.auth.stages):
# what the stage is for, whose it is and where to go next are on the server.


def _set_pending(token: str) -> None:
    session[PENDING] = token


def _pending(kind: SignInStageKind) -> SignInStage | None:
    token = session.get(PENDING)
    return signin.pending(token if isinstance(token, str) else None, kind)


def _signed_in(user: User, next_url: str | None):
    """The password and the second factor are both done (the session has started)."""
    session.pop(PENDING, None)
    response = redirect(session_store.safe_next(next_url) or url_for("home.dashboard"))
    throttle.remember_device(response, user.email)
    return response


def _start_again():
    session.pop(PENDING, None)
    flash("Your sign-in has expired. Sign in again.", "info")
    return redirect(url_for("auth.sign_in"))


def _me() -> User:
    return current_user._get_current_object()


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
        outcome = signin.check_password(form.email.data, form.password.data, next_url)
        if outcome.ok:
            _set_pending(outcome.stage_token)
            return redirect(url_for("auth.enrol" if outcome.must_enrol else "auth.sign_in_code"))
        if outcome.single_sign_on_only:
            form.email.errors.append(SSO_ONLY)
        else:
            form.email.errors.append(throttle.lock_message(outcome.locked) if outcome.locked else WRONG_DETAILS)
        form.password.data = ""
    return render_template("auth/sign_in.html", form=form, next_url=next_url)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def sign_in_code():
    stage = _pending(SignInStageKind.CODE)
    if stage is None:
        return redirect(url_for("auth.sign_in"))
    user, next_url = stage.user, stage.next_url
    form = CodeForm()
    if form.validate_on_submit():
        try:
            outcome = signin.sign_in_with_code(stage, form.code.data)
        except signin.StageGone:
            return _start_again()
        if outcome.ok:
            return _signed_in(user, next_url)
        if outcome.locked:
            session.pop(PENDING, None)
            form.code.errors.append(throttle.lock_message(outcome.locked))
        elif outcome.replayed:
            form.code.errors.append(REPLAYED_CODE)
        else:
            form.code.errors.append("The security code is not correct. Enter the newest code from your app")
        form.code.data = ""
    return render_template("auth/code.html", form=form)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def sign_in_recovery():
    stage = _pending(SignInStageKind.CODE)
    if stage is None:
        return redirect(url_for("auth.sign_in"))
    user, next_url = stage.user, stage.next_url
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            outcome = signin.sign_in_with_recovery_code(stage, form.code.data)
        except signin.StageGone:
            return _start_again()
        if outcome.ok:
            response = _signed_in(user, next_url)
            left = outcome.recovery_codes_left
            flash(
                f"You used a recovery code. You have {left} recovery code{'' if left == 1 else 's'} left. "
                "You can make new ones, or set up your app again, from Your account.",
                "info",
            )
            return response
        if outcome.locked:
            session.pop(PENDING, None)
            form.code.errors.append(throttle.lock_message(outcome.locked))
        else:
            form.code.errors.append("This recovery code is not correct or has already been used")
        form.code.data = ""
    return render_template("auth/recovery_code.html", form=form)


@bp.route("/sign-in/set-up-app", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def enrol():
    """Mandatory second factor: shown after the password when the user has none yet (a new
    account, or one whose app an LA admin has reset). Refused to anyone who has one."""
    stage = _pending(SignInStageKind.ENROL)
    if stage is None:
        return redirect(url_for("auth.sign_in"))
    user, next_url = stage.user, stage.next_url
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = signin.enrol_and_sign_in(stage, form.code.data)
        except (signin.StageGone, signin.EnrolmentRefused):
            return _start_again()
        except AccountError as error:
            form.code.errors.append(error.message)
        else:
            session.pop(PENDING, None)
            response = make_response(render_template(
                "auth/recovery_codes.html", codes=codes,
                next_url=session_store.safe_next(next_url) or url_for("home.dashboard"),
            ))
            throttle.remember_device(response, user.email)
            return response
    enrolment = credentials.enrolment_for(user)
    return render_template("auth/enrol.html", form=form, enrolment=enrolment, replacing=False)


# --- single sign-on (OpenID Connect) --------------------------------------------------------
# The browser's session keeps the state it was sent with; the nonce and the PKCE verifier stay
# on the server (portal.auth.single_sign_on). Nothing the provider sends back is logged or shown.


def _sso_redirect_uri() -> str:
    return url_for("auth.sign_in_organisation_callback", _external=True)


@bp.route("/sign-in/organisation", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def sign_in_organisation():
    """"Sign in with your organisation's account": the email's domain chooses the organisation."""
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = OrganisationSignInForm()
    next_url = session_store.safe_next(request.args.get("next"))
    if form.validate_on_submit():
        started = single_sign_on.begin(form.email.data, _sso_redirect_uri(), next_url)
        if started.url:
            session.pop(PENDING, None)
            session[SSO_STATE] = started.state
            return redirect(started.url, code=303)
        if started.not_set_up:
            form.email.errors.append("Your organisation has not set up single sign-on. Sign in with your email address and password")
        else:
            form.email.errors.append("Your organisation’s sign-in service is not answering. Try again later, or sign in with your password")
    return render_template("auth/sign_in_organisation.html", form=form, next_url=next_url)


@bp.get("/sign-in/organisation/callback")
@public
@limiter.limit(throttle.sign_in_rate_limit)
def sign_in_organisation_callback():
    """The provider sends the browser back here with a code (or an error) and the state."""
    browser_state = session.pop(SSO_STATE, None)
    error = request.args.get("error")
    outcome = single_sign_on.finish(
        state=request.args.get("state"), browser_state=browser_state if isinstance(browser_state, str) else None,
        code=request.args.get("code"), error=error[:100] if isinstance(error, str) else None,
        redirect_uri=_sso_redirect_uri(),
    )
    if outcome.ok:
        return _signed_in(outcome.user, outcome.next_url)
    if outcome.stage_token:
        _set_pending(outcome.stage_token)
        return redirect(url_for("auth.enrol" if outcome.must_enrol else "auth.sign_in_code"))
    status = 403 if outcome.problem in ("unknown_account", "wrong_account", "inactive") else 400
    return render_template("auth/sign_in_organisation_problem.html", problem=outcome.problem), status


# --- sign out and time out ------------------------------------------------------------------


@bp.post("/sign-out")
@public
def sign_out():
    timed_out = request.form.get("reason") == "timeout"
    if current_user.is_authenticated:
        signin.sign_out(_me(), timed_out=timed_out)
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
        credentials.request_password_reset(form.email.data)
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
    user = credentials.reset_user(token)
    if user is None:
        return render_template("auth/link_expired.html", kind="reset"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            credentials.reset_password(
                token, form.password.data, form.confirm.data, sign_out_here=current_user.is_authenticated
            )
        except AccountError as error:
            getattr(form, error.field or "password").errors.append(error.message)
        else:
            flash("Your password has been changed. Sign in with your new password and the code from your app.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/new_password.html", form=form, user=user, invitation=False)


# --- invitations ----------------------------------------------------------------------------


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def accept_invitation(token: str):
    user = invitations.invitation_user(token)
    if user is None:
        return render_template("auth/link_expired.html", kind="invitation"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            stage_token = invitations.accept_invitation(
                token, form.password.data, form.confirm.data, sign_out_here=current_user.is_authenticated
            )
        except AccountError as error:
            getattr(form, error.field or "password").errors.append(error.message)
        else:
            _set_pending(stage_token)
            return redirect(url_for("auth.enrol"))
    return render_template("auth/new_password.html", form=form, user=user, invitation=True)


# --- your account ---------------------------------------------------------------------------


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
            credentials.change_password(_me(), form.current_password.data, form.password.data, form.confirm.data)
        except AccountError as error:
            getattr(form, error.field or "password").errors.append(error.message)
        else:
            flash("Your password has been changed. You have been signed out on other devices.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@requires("account:manage")
@session_store.recent_auth
@reshows_form_on_csrf_failure
def change_email():
    """Ask for a new sign-in address (needs a recent password and code): a link goes to it."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            new_email = credentials.request_email_change(_me(), form.email.data)
        except AccountError as error:
            form.email.errors.append(error.message)
        else:
            # The same page whether or not the address already has an account (its holder is told).
            return render_template("auth/change_email_sent.html", new_email=new_email)
    return render_template("auth/change_email.html", form=form)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@public
@limiter.limit(throttle.sign_in_rate_limit, methods=["POST"])
@reshows_form_on_csrf_failure
def confirm_email_change(token: str):
    """The link sent to the new address: a button (a POST, so that a mail scanner following the
    link changes nothing) makes the change."""
    found = credentials.email_change_for(token)
    if found is None:
        return render_template("auth/link_expired.html", kind="email_change"), 404
    user, new_email = found
    form = ContinueForm()
    if form.validate_on_submit():
        try:
            credentials.confirm_email_change(token)
        except AccountError:
            return render_template("auth/link_expired.html", kind="email_change"), 404
        flash(f"Your email address is now {new_email}. Use it to sign in.", "success")
        return redirect(url_for("auth.account" if current_user.is_authenticated else "auth.sign_in"))
    return render_template("auth/confirm_email_change.html", form=form, new_email=new_email)


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
            codes = credentials.replace_authenticator(user, form.code.data)
        except AccountError as error:
            form.code.errors.append(error.message)
        else:
            return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))
    enrolment = credentials.enrolment_for(user, fresh=request.method == "GET")
    return render_template("auth/enrol.html", form=form, enrolment=enrolment, replacing=True)


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
@requires("account:manage")
@session_store.recent_auth
@reshows_form_on_csrf_failure
def replace_recovery_codes():
    form = ContinueForm()
    if form.validate_on_submit():
        codes = credentials.new_recovery_codes(_me())
        return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))
    return render_template("auth/replace_recovery_codes.html", form=form)


@bp.route("/re-authenticate", methods=["GET", "POST"])
@requires("account:manage")
@reshows_form_on_csrf_failure
def reauthenticate():
    """Password and code again before a sensitive action; then back to where the user was."""
    next_url = session_store.safe_next(request.args.get("next")) or url_for("auth.account")
    form = ReauthenticateForm()
    if form.validate_on_submit():
        outcome = signin.reauthenticate(_me(), form.password.data, form.code.data)
        if outcome.ok:
            return redirect(next_url)
        if outcome.locked:
            form.password.errors.append(throttle.lock_message(outcome.locked))
        elif outcome.replayed:
            form.code.errors.append(REPLAYED_CODE)
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
    return _status()
