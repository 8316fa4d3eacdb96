"""The signed-in home page: what this user can do from here."""

from flask import Blueprint, redirect, render_template, url_for
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
