"""The signed-in home page: what this user can do from here."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from portal.dashboard import worklist
from portal.policy import can, public, requires
from portal.updates import navigation

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    return redirect(url_for("home.dashboard"))


# What each person can go to from home: (policy action, endpoint, link text). An area adds a
# line here; a link shows only if the user may do the action and the area's page exists.
HOME_LINKS = [
    ("pupils:manage", "pupils.roll", "Pupils"),
    ("concern:log", "concerns.start", "Log a concern"),
    ("concern:view", "concerns.index", "Concerns"),
    ("concerns:review", "concerns.review_queue", "Concerns to review"),
    ("referrals:manage", "referrals.index", "Referrals"),
    ("updates:view", "updates.inbox", "Updates from the local authority"),
    ("agency_referrals:manage", "agencies.home", "Referrals and updates from the council"),
    ("transfers:manage", "transfers.index", "Transfers of child protection files"),
    ("cme:answer", "cme.school_list", "Off-roll notices"),
    ("cme:view_queue", "cme.queue", "Off-roll notices (children missing education)"),
    ("triage:work", "triage.queue", "Referrals queue"),
    ("connector:manage", "connector.status_page", "Case system connection"),
    ("dashboard:view", "dashboard.page", "Council dashboard"),
    ("encompass:record", "encompass.index", "Operation Encompass notices"),
    ("encompass:read", "encompass.school_index", "Operation Encompass notices"),
    ("encompass:register", "encompass.register", "Operation Encompass register"),
    ("schools:manage", "admin.schools", "Schools"),
    ("agencies:manage", "admin.agency_list", "Partner agencies"),
    ("council_calendar:manage", "admin.council_calendar_page", "School calendar (term holidays)"),
    ("users:list", "admin.users", "Users"),
]


def home_links(user) -> list[dict]:
    return [
        {"href": url_for(endpoint), "text": text}
        for action, endpoint, text in HOME_LINKS
        if endpoint in current_app.view_functions and can(user, action)
    ]


@bp.get("/home")
@requires("home:view")
def dashboard():
    work = worklist.worklist_for(current_user)
    if work is not None and work.updates is not None:
        navigation.unread_counted(current_user, work.updates.total)  # the navigation's count too
    return render_template("home.html", links=home_links(current_user), worklist=work)


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
