"""The signed-in home page: what this user can do from here."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from portal.policy import can, public, requires

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    return redirect(url_for("home.dashboard"))


@bp.get("/home")
@requires("home:view")
def dashboard():
    return render_template("home.html", can_manage_schools=can(current_user, "schools:manage"))


@bp.get("/accessibility")
@public
def accessibility():
    return render_template("accessibility.html")


@bp.get("/privacy")
@public
def privacy():
    return render_template("privacy.html")


@bp.get("/screen-hidden")
@requires("home:view")
def screen_hidden():
    """Where "Hide screen" leads without JavaScript: a neutral page and a way back."""
    return render_template("screen_hidden.html", back_to=local_path(request.args.get("next")))


def local_path(value: str | None) -> str:
    """Only a path on this site (never another host), so the link cannot be used to redirect away."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return url_for("home.dashboard")
    return value
