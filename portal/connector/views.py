"""The triage manager's pages for their LA's case-system connection: status, settings, retries."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.connector import endpoints as endpoint_service
from portal.connector import outbox, status
from portal.connector.alerts import alert_summary
from portal.connector.forms import EndpointForm, RetryForm
from portal.errors import reshows_form_on_csrf_failure
from portal.orgs.models import LocalAuthority
from portal.policy import can, requires

bp = Blueprint("connector", __name__, url_prefix="/connector")


def _own_la() -> LocalAuthority:
    return endpoint_service.managed_local_authority(current_user)


@bp.get("")
@requires("connector:manage")
def status_page():
    la = _own_la()
    return render_template("connector/status.html", la=la, figures=status.la_status(la),
                           dead_letters=status.dead_letters(la.id), retry_form=RetryForm())


@bp.route("/settings", methods=["GET", "POST"])
@requires("connector:manage")
@reshows_form_on_csrf_failure
def settings():
    la = _own_la()
    existing = endpoint_service.get_endpoint(la.id)
    form = EndpointForm(data={"base_url": existing.base_url, "overlap": "24"} if existing and request.method == "GET"
                        else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            endpoint_service.set_endpoint(
                la, form.base_url.data, form.secret.data or None,
                overlap=timedelta(hours=int(form.overlap.data)), user=current_user,
                allow_http=endpoint_service.http_allowed(current_app.config),
            )
        except endpoint_service.EndpointInvalid as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            flash("Connection settings saved")
            return redirect(url_for("connector.status_page"))
    form.secret.data = ""  # a secret is never sent back to the browser, even one just typed
    return render_template("connector/settings.html", form=form, la=la, existing=existing), (
        400 if request.method == "POST" else 200)


@bp.post("/dead-letters/<uuid:item_id>/retry")
@requires("connector:manage")
def retry(item_id: uuid.UUID):
    form = RetryForm()
    item = outbox.get_item_for(current_user, item_id)
    if form.validate_on_submit():
        moved = outbox.retry_dead_letter(current_user, item.id)
        flash("The referral will be sent again in the next few seconds" if moved else
              "That referral was not waiting for a retry")
    return redirect(url_for("connector.status_page"))


@bp.app_context_processor
def _connector_alerts():
    """For the home page's panel: the LA's dead letters and connection problem (managers only)."""

    def connector_alerts():
        if not can(current_user, "connector:manage"):
            return None
        return alert_summary(current_user.local_authority_id)

    return {"connector_alerts": connector_alerts}


@bp.app_template_global("delivery_status")
def _delivery_status(referral_id):
    """For referral pages (school and LA): the delivery to the case system, or None."""
    return outbox.delivery_status(referral_id)
