"""Triage pages: thin views over portal.triage.service, queue, reports and sharing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.chronology.vocabulary import category_labels
from portal.errors import reshows_form_on_csrf_failure
from portal.files.service import attachment_response
from portal.policy import can, require, requires
from portal.orgs.models import AgencyKind, AgencySector
from portal.referrals.answers import section_answers
from portal.referrals.form_definition import sections_for
from portal.templating import uk_date
from portal.triage import queue as queue_service
from portal.triage import reports as report_service
from portal.triage import service
from portal.triage import off_roll, sharing
from portal.triage.decision_deadline import clock_for
from portal.triage.models import Audience
from portal.triage.forms import AssignForm, DecisionForm, NoteForm, RagForm, ReportForm, SharingPolicyForm, UpdateForm

bp = Blueprint("triage", __name__, url_prefix="/triage")


@bp.get("")
@requires("triage:work")
def queue():
    filters = queue_service.QueueFilters.from_args(request.args)
    page = queue_service.queue_page(current_user, filters)
    # The filter form and the table are the same for every worker of the council who sees this
    # page: rendered once per cached page, not once per view. Rendered without Flask's context
    # processors, so these parts cannot show anything of the person looking (no current_user).
    shared = {"page": page, "filters": filters}
    jinja = current_app.jinja_env
    filter_form = page.fragment("filters", lambda: jinja.get_template("triage/_queue_filters.html").render(
        status_filters=queue_service.STATUS_FILTERS, urgency_filters=queue_service.URGENCY_FILTERS,
        source_filters=queue_service.SOURCE_FILTERS, **shared))
    results = page.fragment("results", lambda: jinja.get_template("triage/_queue_results.html").render(
        state_labels=service.STATE_LABELS, **shared))
    return render_template("triage/queue.html", filter_form=filter_form, results=results,
                           triage_manager=can(current_user, "triage:manage"), **shared)


# --- one referral --------------------------------------------------------------------------------


def _page_context(opened: service.Opened, **forms):
    item, referral = opened.item, opened.referral
    concerns = service.linked_concerns(referral)
    context = {
        "opened": opened,
        "item": item,
        "referral": referral,
        "pupil": opened.pupil,
        "school": opened.school,
        "source_label": _source_label(opened),
        "source_sector": _sector_label(item.source),
        "answers": section_answers(referral.form, [_concern_label(c) for c in concerns],
                                   sections_for(referral.from_agency)),
        "concerns": concerns,
        "notes": service.notes_for(item),
        "earlier": service.earlier_referrals(item, referral, opened.pupil),
        "case_summary": service.latest_case_summary(referral),
        "decision": service.decision_for(item),
        "updates": service.updates_sent(item),
        "clock": service_clock(item),
        "workers": service.assignable_workers(item.local_authority_id),
        "can_manage": can(current_user, "triage:manage", item),
        "outcome_labels": service.OUTCOME_LABELS,
        "rag_labels": service.RAG_LABELS,
        "state_labels": service.STATE_LABELS,
        "note_form": forms.get("note_form") or NoteForm(formdata=None),
        "rag_form": forms.get("rag_form") or RagForm(formdata=None, data={"rag": item.rag}),
        "assign_form": forms.get("assign_form") or _assign_form(item, formdata=None),
        "error": forms.get("error"),
    }
    return context


def _source_label(opened) -> str:
    """The school, or the partner agency and its kind ("Elm Street Surgery (GP practice)")."""
    if opened.agency is not None:
        return f"{opened.agency.name} ({AgencyKind(opened.agency.kind).label})"
    return opened.school.name if opened.school else ""


def _sector_label(source: str) -> str:
    try:
        return AgencySector(source).label
    except ValueError:
        return source


def service_clock(item):
    return clock_for(item.due_at) if item.open else None


def _concern_label(linked) -> str:
    cats = ", ".join(category_labels(linked.content.get("categories"), linked.content.get("other_category")))
    return f"{uk_date(linked.concern.occurred_at)}: {cats}" if cats else uk_date(linked.concern.occurred_at)


def _assign_form(item, formdata=...):
    kwargs = {} if formdata is ... else {"formdata": formdata}
    form = AssignForm(**kwargs, data={"assignee": str(item.assigned_to_id) if item.assigned_to_id else ""})
    form.assignee.choices = [("", "Nobody (unassigned)")] + [
        (str(u.id), u.display_name) for u in service.assignable_workers(item.local_authority_id)]
    return form


@bp.get("/referrals/<uuid:referral_id>")
@requires("triage:work")
def show(referral_id: uuid.UUID):
    opened = service.open_referral(current_user, referral_id)
    return render_template("triage/show.html", **_page_context(opened))


def _reshow(referral_id, status=400, **forms):
    opened = service.reshow_referral(current_user, referral_id)
    return render_template("triage/show.html", **_page_context(opened, **forms)), status


@bp.post("/referrals/<uuid:referral_id>/notes")
@requires("triage:work")
@reshows_form_on_csrf_failure
def add_note(referral_id: uuid.UUID):
    item = service.item_for(current_user, referral_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _reshow(referral_id, note_form=form, form=form)
    try:
        service.add_note(current_user, item, form.text.data)
    except service.TriageError as error:
        form.text.errors = [str(error)]
        return _reshow(referral_id, note_form=form, form=form)
    flash("Note added")
    return redirect(url_for("triage.show", referral_id=referral_id) + "#notes")


@bp.post("/referrals/<uuid:referral_id>/rag")
@requires("triage:work")
@reshows_form_on_csrf_failure
def set_rag(referral_id: uuid.UUID):
    item = service.item_for(current_user, referral_id)
    form = RagForm()
    if not form.validate_on_submit():
        return _reshow(referral_id, rag_form=form)
    try:
        service.set_rag(current_user, item, form.rag.data)
    except service.TriageError as error:
        return _reshow(referral_id, status=409, error=str(error))
    flash("RAG rating saved")
    return redirect(url_for("triage.show", referral_id=referral_id))


@bp.post("/referrals/<uuid:referral_id>/assign")
@requires("triage:manage")
@reshows_form_on_csrf_failure
def assign(referral_id: uuid.UUID):
    item = service.item_for(current_user, referral_id)
    require("triage:manage", item)
    form = _assign_form(item)
    if not form.validate_on_submit():
        return _reshow(referral_id, assign_form=form)
    try:
        assignee = uuid.UUID(form.assignee.data) if form.assignee.data else None
    except ValueError:
        assignee = uuid.uuid4()  # not a worker: refused below
    try:
        service.assign(current_user, item, assignee)
    except service.TriageError as error:
        form.assignee.errors = [str(error)]
        return _reshow(referral_id, assign_form=form)
    flash("Referral assigned" if assignee else "Referral unassigned")
    return redirect(url_for("triage.show", referral_id=referral_id))


@bp.get("/referrals/<uuid:referral_id>/attachments/<uuid:attachment_id>")
@requires("triage:work")
def attachment(referral_id: uuid.UUID, attachment_id: uuid.UUID):
    opened = service.referral_in_queue(current_user, referral_id)
    stored = service.attachment_of(opened.referral, attachment_id)
    return attachment_response(stored, "triage:view_referral", opened.item)


# --- deciding ------------------------------------------------------------------------------------


def _words_for_an_agency(form) -> None:
    """A partner agency's referral: the questions speak of the referrer, not a school."""
    if "feedback" in form:
        form.feedback.label.text = "Feedback for the referrer"
        form.feedback.description = ("The professional who made the referral, and their organisation’s safeguarding "
                                     "leads, will read exactly this. Do not include anything they should not know.")
    if "body" in form:
        form.body.label.text = "Message for the referrer"
        form.body.description = "The referrer and their organisation’s safeguarding leads will read exactly this."
    for name in ("reasons", "rag"):
        if name in form:
            form[name].description = form[name].description.replace("The school does", "The referrer does")
    if "routing_note" in form:
        form.routing_note.description = "They will see this note. The referrer will not."
    form.submit.label.text = "Preview what the referrer will see"


def _decision_form(item, formdata=...):
    kwargs = {} if formdata is ... else {"formdata": formdata}
    form = DecisionForm(**kwargs)
    if item.agency_id is not None:
        _words_for_an_agency(form)
    form.routed_to.choices = [("", "Choose a local authority")] + [
        (str(la.id), f"{la.name} ({la.code})") for la in service.other_las(item.local_authority_id)]
    return form


def _draft(form: DecisionForm) -> service.DecisionDraft:
    routed = form.outcome.data == "referred_to_another_la"
    return service.DecisionDraft(
        outcome=form.outcome.data,
        reasons=form.reasons.data or "",
        feedback=form.feedback.data or "",
        rag=form.rag.data,
        routed_to_la_id=uuid.UUID(form.routed_to.data) if routed and form.routed_to.data else None,
        routing_note=(form.routing_note.data or "") if routed else "",
    )


@bp.route("/referrals/<uuid:referral_id>/decision", methods=["GET", "POST"])
@requires("triage:work")
@reshows_form_on_csrf_failure
def decide(referral_id: uuid.UUID):
    opened = service.referral_in_queue(current_user, referral_id)
    item, referral = opened.item, opened.referral
    existing = service.decision_for(item)
    if request.method == "GET":
        if existing is not None or not item.open:
            return render_template("triage/already_decided.html", referral=referral,
                                   message=service.already_decided_message(item.id)), 409
        return render_template("triage/decide.html", form=_decision_form(item), referral=referral, item=item)
    form = _decision_form(item)
    if not form.validate_on_submit():
        return render_template("triage/decide.html", form=form, referral=referral, item=item), 400
    draft = _draft(form)
    if form.stage.data != "confirm":
        # The preview: exactly the content the school will receive, built by the same function.
        content = service.decision_preview(item, referral, draft)
        form.stage.data = "confirm"
        return render_template("triage/decision_preview.html", form=form, referral=referral, item=item,
                               content=content, draft=draft, outcome_labels=service.OUTCOME_LABELS,
                               rag_labels=service.RAG_LABELS, la_name=_la_name(draft.routed_to_la_id))
    try:
        service.decide(current_user, item, draft)
    except service.AlreadyDecided as refusal:
        return render_template("triage/already_decided.html", referral=referral, message=str(refusal)), 409
    except service.TriageError as error:
        form.outcome.errors = [str(error)]
        return render_template("triage/decide.html", form=form, referral=referral, item=item), 400
    return redirect(url_for("triage.decided", referral_id=referral_id))


def _la_name(la_id):
    return service.la_name(la_id)


@bp.get("/referrals/<uuid:referral_id>/decision/done")
@requires("triage:work")
def decided(referral_id: uuid.UUID):
    item = service.item_for(current_user, referral_id)
    decision = service.decision_for(item)
    if decision is None:
        abort(404)
    referral = service.referral_in_queue(current_user, referral_id).referral
    return render_template("triage/decided.html", referral=referral, decision=decision,
                           outcome_labels=service.OUTCOME_LABELS, la_name=_la_name(decision.routed_to_la_id))


@bp.route("/referrals/<uuid:referral_id>/updates/new", methods=["GET", "POST"])
@requires("triage:work")
@reshows_form_on_csrf_failure
def send_update(referral_id: uuid.UUID):
    opened = service.referral_in_queue(current_user, referral_id)
    item, referral = opened.item, opened.referral
    if not item.current:
        abort(404)
    form = UpdateForm()
    if referral.from_agency:
        _words_for_an_agency(form)
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("triage/update_form.html", form=form, referral=referral), status
    if form.stage.data != "confirm":
        form.stage.data = "confirm"
        return render_template("triage/update_preview.html", form=form, referral=referral,
                               content=service.note_content(referral, service.local_authority_of(item),
                                                            form.title.data, form.body.data))
    service.send_update(current_user, item, form.title.data, form.body.data)
    flash("Update sent to the referrer" if referral.from_agency else "Update sent to the school")
    return redirect(url_for("triage.show", referral_id=referral_id))


# --- managers: reports and the sharing policy ----------------------------------------------------


def _period(form: ReportForm) -> tuple[date, date]:
    today = report_service.today()
    end = form.end.data or today
    start = form.start.data or (end - timedelta(days=27))
    if (end - start).days > 366 * 2:
        start = end - timedelta(days=366 * 2)
    return start, end


@bp.get("/reports")
@requires("triage:manage")
def reports():
    form = ReportForm(request.args)
    valid = form.validate() if request.args else True
    start, end = _period(form) if valid else _period(ReportForm(formdata=None))
    report = report_service.build_report(current_user.local_authority_id, start, end)
    chart = report_service.weekly_chart(report.weeks)
    return render_template("triage/reports.html", form=form, report=report, chart=chart,
                           csv_args={"start": _dmy(start), "end": _dmy(end)}), (200 if valid else 400)


def _dmy(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


@bp.get("/reports.csv")
@requires("triage:manage")
def reports_csv():
    form = ReportForm(request.args)
    if request.args and not form.validate():
        abort(400)
    start, end = _period(form)
    report = report_service.export_report(current_user, start, end)
    response = Response(report_service.report_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="referrals-{start.isoformat()}-to-{end.isoformat()}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sharing-policy", methods=["GET", "POST"])
@requires("triage:manage")
@reshows_form_on_csrf_failure
def sharing_policy():
    return _sharing_policy_page(Audience.SCHOOLS)


@bp.route("/sharing-policy/agencies", methods=["GET", "POST"])
@requires("triage:manage")
@reshows_form_on_csrf_failure
def agency_sharing_policy():
    """The policy for the partner agencies that referred a child: its own choice of fields."""
    return _sharing_policy_page(Audience.AGENCIES)


def _sharing_policy_page(audience: Audience):
    la_id = current_user.local_authority_id
    endpoint = "triage.sharing_policy" if audience is Audience.SCHOOLS else "triage.agency_sharing_policy"
    form = SharingPolicyForm(data={"fields": sorted(sharing.permitted_summary_fields(la_id, audience))}
                             if request.method == "GET" else None)
    if audience is Audience.AGENCIES:
        form.fields.label.text = "Which parts of a case summary may partner agencies see?"
        form.fields.description = ("Select all that apply. A partner agency sees a case summary only about a child it "
                                   "referred, and nothing that is not selected here.")
    if request.method == "POST" and form.validate_on_submit():
        change = sharing.set_sharing_policy(current_user, la_id, form.fields.data or [], audience)
        flash("Sharing policy saved" if change else "Nothing changed")
        return redirect(url_for(endpoint))
    history = sharing.policy_history(la_id, audience)
    return render_template("triage/sharing_policy.html", form=form, history=history, audience=audience,
                           action=url_for(endpoint), audience_label=sharing.AUDIENCE_LABELS[audience],
                           field_labels=sharing.FIELD_LABELS), (400 if request.method == "POST" else 200)


# --- off-roll notices flagged to triage (portal.triage.off_roll) ---------------------------------


@bp.context_processor
def _off_roll_panel() -> dict:
    """The queue page's panel of off-roll notices about children with something open."""
    return {"off_roll_panel": lambda: off_roll.panel(current_user)}


@bp.get("/off-roll-notices/<uuid:flag_id>")
@requires("cme:triage_view")
def off_roll_notice(flag_id: uuid.UUID):
    """A flagged off-roll notice, read only: the CME officer works it."""
    flagged = off_roll.open_flag(current_user, flag_id)
    page = flagged.page
    return render_template("triage/off_roll_notice.html", flagged=flagged, page=page,
                           last_attendance=_iso_date(page.answers.get("last_attendance")))


def _iso_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
