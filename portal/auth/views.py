"""Sign-in, sign-out and the account pages."""

from flask import Blueprint, redirect, url_for
from flask_login import logout_user

from portal.policy import public

bp = Blueprint("auth", __name__)


@bp.post("/sign-out")
@public
def sign_out():
    logout_user()
    return redirect(url_for("home.index"))
