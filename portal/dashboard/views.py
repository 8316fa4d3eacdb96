"""The council dashboard (triage managers; LA admins read it), its CSV files, and the operator's logo."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, render_template, request, send_file
from flask_login import current_user

from portal.dashboard import charts
from portal.dashboard import service as dashboard
from portal.dashboard.forms import DashboardFilters
from portal.domain_errors import Invalid, NotFound
from portal.policy import public, requires
from portal.templating import operator

bp = Blueprint("dashboard", __name__)

CHART_ORDER = ("sources", "sectors", "categories", "timeliness", "median", "outcomes", "re_referrals", "schools")


def _filters_from(form: DashboardFilters) -> tuple[dict, dict[str, str]]:
    """The asked-for filters as the service takes them, and the form's own errors (by field)."""
    errors: dict[str, str] = {}
    if request.args and not form.validate():
        errors = {name: messages[0] for name, messages in form.errors.items() if messages}
    school_id = None
    if form.school.data:
        try:
            school_id = uuid.UUID(str(form.school.data))
        except ValueError:
            errors["school"] = "Select a school from the list"
    return {"start": form.start.data if "start" not in errors else None,
            "end": form.end.data if "end" not in errors else None,
            "school_id": school_id if "school" not in errors else None}, errors


@bp.get("/dashboard")
@requires("dashboard:view")
def page():
    form = DashboardFilters(request.args)
    asked, errors = _filters_from(form)
    try:
        board = dashboard.dashboard_for(current_user, **asked) if not errors else None
    except Invalid as error:
        errors[error.field or "start"] = str(error)
        board = None
    if board is None:
        board = dashboard.dashboard_for(current_user)  # the default period, with the errors shown
    form.school.choices = [("", "All schools")] + [(str(sid), name) for sid, name in board.schools]
    for name, message in errors.items():
        getattr(form, name).errors = [message]
    tables = [board.tables[key] for key in CHART_ORDER]
    return render_template("dashboard/page.html", form=form, board=board, tables=tables,
                           chart=charts.draw, query=request.query_string.decode("ascii", "ignore") if not errors else "")


@bp.get("/dashboard/<key>.csv")
@requires("dashboard:view")
def download(key: str):
    form = DashboardFilters(request.args)
    asked, errors = _filters_from(form)
    if errors:
        raise Invalid("Check the dates and the school", field="start")
    table, text = dashboard.export_table(current_user, key=key, **asked)
    filename = f"{table.key}-{dashboard.period_slug(**asked)}.csv"
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/operator-logo")
@public
def operator_logo():
    """The deploying council's logo (PORTAL_OPERATOR_LOGO), served as a static file."""
    op = operator()
    if op.logo_path is None:
        raise NotFound()
    return send_file(op.logo_path, mimetype=op.logo_type, max_age=3600)
