"""The triage manager's pages for their LA's case-system connection: status, settings, retries."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth import session_store
from portal.connector import changes
from portal.connector import endpoints as endpoint_service
from portal.connector import notice_outbox, outbox, status
from portal.connector.alerts import alert_summary
from portal.connector.destinations import allowed_hosts
from portal.connector.forms import ApproveChangeForm, CancelChangeForm, EndpointForm, RetryForm
from portal.domain_errors import Conflict
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
@requires("connector:change")
@reshows_form_on_csrf_failure
@session_store.recent_auth
def settings():
    """Propose a new base URL or secret: it waits for a second LA admin's approval."""
    la = endpoint_service.managed_local_authority(current_user, "connector:change")
    existing = endpoint_service.get_endpoint(la.id)
    form = EndpointForm(data={"base_url": existing.base_url, "overlap": "24"} if existing and request.method == "GET"
                        else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            change = changes.propose_change(
                current_user, form.base_url.data, form.secret.data or None, int(form.overlap.data),
                allow_http=endpoint_service.http_allowed(current_app.config),
            )
        except endpoint_service.EndpointInvalid as error:
            getattr(form, error.field).errors.append(str(error))
        except Conflict as error:
            form.base_url.errors.append(str(error))
        else:
            flash("Change proposed. It takes effect when another LA admin approves it")
            return redirect(url_for("connector.change_page", change_id=change.id))
    form.secret.data = ""  # a secret is never sent back to the browser, even one just typed
    return render_template("connector/settings.html", form=form, la=la, existing=existing,
                           pending=changes.pending_change(la.id),
                           allowed_hosts=sorted(allowed_hosts().entries, key=str),
                           may_manage=can(current_user, "connector:manage")), (
        400 if request.method == "POST" else 200)


@bp.get("/changes/<uuid:change_id>")
@requires("connector:change")
def change_page(change_id: uuid.UUID):
    change = changes.get_change_for(current_user, change_id)
    return render_template("connector/change.html", **changes.change_facts(change),
                           may_approve=can(current_user, "connector:approve", change),
                           approve_form=ApproveChangeForm(), cancel_form=CancelChangeForm())


@bp.post("/changes/<uuid:change_id>/approve")
@requires("connector:approve")
def approve_change(change_id: uuid.UUID):
    change = changes.get_change_for(current_user, change_id, "connector:approve")
    form = ApproveChangeForm()
    if not form.validate_on_submit():
        return redirect(url_for("connector.change_page", change_id=change.id))
    if not session_store.recently_authenticated():
        # Approving needs the password and a code again; then back to the change to approve it.
        return redirect(url_for("auth.reauthenticate", next=url_for("connector.change_page", change_id=change.id)))
    try:
        changes.approve_change(current_user, change.id,
                               allow_http=endpoint_service.http_allowed(current_app.config))
    except (Conflict, endpoint_service.EndpointInvalid) as error:
        flash(str(error))
    else:
        flash("Change approved. Referrals now go to the new settings")
    return redirect(url_for("connector.change_page", change_id=change.id))


@bp.post("/changes/<uuid:change_id>/cancel")
@requires("connector:change")
def cancel_change(change_id: uuid.UUID):
    change = changes.get_change_for(current_user, change_id)
    form = CancelChangeForm()
    if form.validate_on_submit():
        try:
            changes.cancel_change(current_user, change.id)
        except Conflict as error:
            flash(str(error))
        else:
            flash("Change cancelled. Nothing was changed")
    return redirect(url_for("connector.change_page", change_id=change.id))


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


@bp.post("/notices/retry")
@requires("connector:manage")
def retry_notices():
    """Send the LA's Operation Encompass notices that the case system refused again."""
    form = RetryForm()
    if form.validate_on_submit():
        moved = notice_outbox.retry_dead_notices_for(current_user)
        flash(f"{moved} notice{'s' if moved != 1 else ''} will be sent again in the next few seconds" if moved else
              "No notices were waiting for a retry")
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
