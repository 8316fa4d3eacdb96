"""Transfer pages for DSLs and deputies: the transfer list, leavers, sending, receiving,
requests and the school's closed days.

Views are thin: parse, call one service function, render or redirect. Which side of a transfer
the user is on (sending or receiving school) is decided by the policy (`service.side_of`); the
receiving side sees nothing about the child until it has confirmed receipt. Every change and
every audited read is a unit of work in `service`; a domain error it raises becomes the GOV.UK
error page, except where a page has something better to show (a form's errors).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth import session_store
from portal.errors import reshows_form_on_csrf_failure
from portal.files import FileRefused, attachment_response
from portal.policy import can, requires
from portal.pupils.service import school_roll
from portal.transfers import chronology as _chronology_adapters  # noqa: F401  (registers the adapters)
from portal.transfers import leavers as leavers_service
from portal.transfers import service
from portal.transfers.forms import (
    AnswerBySendForm,
    AnswerForm,
    ClosureForm,
    ConfirmForm,
    DestinationForm,
    LeaverForm,
    LeaverSearchForm,
    MatchForm,
    RejectForm,
    RemoveClosureForm,
    RequestForm,
    SendForm,
    TermDatesForm,
)
from portal.transfers.models import (
    DESTINATION_LABELS,
    EVENT_LABELS,
    OPEN_STATUSES,
    RECEIVER_SEES_EVENTS,
    STATUS_LABELS,
    DestinationKind,
    IdentifierKind,
    RequestTargetStatus,
    TransferStatus,
    WAITING_STATUSES,
)
from portal.transfers.receipt import receipt_pdf

bp = Blueprint("transfers", __name__, url_prefix="/transfers")

# The colour of each status's tag on the transfer list.
STATUS_TAG_CLASSES = {
    TransferStatus.PENDING: "govuk-tag--blue",
    TransferStatus.VIEWED: "govuk-tag--light-blue",
    TransferStatus.ACCEPTED: "govuk-tag--green",
    TransferStatus.REJECTED: "govuk-tag--orange",
    TransferStatus.TO_SEND: "govuk-tag--yellow",
    TransferStatus.DESTINATION_UNKNOWN: "govuk-tag--yellow",
    TransferStatus.NO_TRANSFER: "govuk-tag--grey",
}


@bp.context_processor
def _words_and_statuses() -> dict:
    """The statuses and their words, so that templates compare with the enums, not strings."""
    return {
        "TransferStatus": TransferStatus,
        "RequestTargetStatus": RequestTargetStatus,
        "IdentifierKind": IdentifierKind,
        "OPEN_STATUSES": OPEN_STATUSES,
        "EVENT_LABELS": EVENT_LABELS,
        "RECEIVER_SEES_EVENTS": RECEIVER_SEES_EVENTS,
        "status_tag_classes": STATUS_TAG_CLASSES,
        "destination_labels": DESTINATION_LABELS,
    }


# --- the list -------------------------------------------------------------------------------


@bp.get("")
@requires("transfers:manage")
def index():
    listing = service.transfer_list(current_user)
    return render_template(
        "transfers/index.html",
        outgoing=listing.outgoing,
        incoming=listing.incoming,
        overdue_ids=listing.overdue_ids,
        pupils=listing.pupils,
        targets=listing.targets,
        target_pupils=listing.target_pupils,
        my_requests=listing.my_requests,
        request_state=service.request_state,
        schools=listing.schools,
        today=listing.today,
        status_labels=STATUS_LABELS,
        shows_child_details=True,
    )


# --- leaving --------------------------------------------------------------------------------


@bp.route("/leavers", methods=["GET", "POST"])
@requires("transfers:send")
@reshows_form_on_csrf_failure
def leavers():
    """The pupils who have left (recorded here or taken from the MIS's Common Transfer File), with
    their files to send; and choosing a pupil who has left from this school's roll. The name
    search is a form post: what is typed never appears in a URL or an access log."""
    form = LeaverSearchForm()
    text = (form.name.data or "").strip() if form.validate_on_submit() else ""
    pupils = school_roll(current_user.school, text=text) if text else school_roll(current_user.school)
    listing = leavers_service.leavers_list(current_user)
    return render_template("transfers/leavers.html", form=form, pupils=pupils, text=text, listing=listing,
                           status_labels=STATUS_LABELS, shows_child_details=True)


def _chosen_school(form: DestinationForm):
    """The school the DSL means, or None with the form saying why (nothing matched, or several
    did and one is to be picked). Returns (school or None, matches to offer)."""
    if form.destination_kind.data != DestinationKind.SCHOOL:
        return None, []
    school, matches = service.destination_school(form.school_id.data, form.school.data,
                                                 exclude_id=current_user.school_id)
    if school is not None:
        return school, []
    if not matches and (form.school.data or "").strip():
        form.school.errors = list(form.school.errors) + ["No school in the portal matches that URN or name"]
    elif matches:
        form.school_id.choices = [(str(s.id), f"{s.name} (URN {s.urn}, {s.local_authority.name})") for s in matches]
        form.school_id.errors = ["Select the pupil’s new school"]
    return None, matches


def _school_still_to_choose(form: DestinationForm, school, matches) -> bool:
    return form.destination_kind.data == DestinationKind.SCHOOL and school is None and bool(matches or form.school.errors)


def _show_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is not None and message not in field.errors:
            field.errors = list(field.errors) + [message]


def _after_destination(transfer):
    """A destination school known: on to review and send; otherwise the transfer's page."""
    if transfer.status == TransferStatus.TO_SEND:
        return redirect(url_for("transfers.review", transfer_id=transfer.id))
    return redirect(url_for("transfers.show", transfer_id=transfer.id))


@bp.route("/leavers/<uuid:pupil_id>", methods=["GET", "POST"])
@requires("transfers:send")
@reshows_form_on_csrf_failure
def record_leaver(pupil_id: uuid.UUID):
    pupil = service.get_pupil_for(current_user, pupil_id, "transfers:send")
    form = LeaverForm()
    matches = []
    if form.validate_on_submit():
        school, matches = _chosen_school(form)
        if not _school_still_to_choose(form, school, matches):
            try:
                transfer = service.record_leaver(
                    pupil, by=current_user, leaving_date=form.leaving_date.data,
                    destination_kind=form.destination_kind.data, to_school=school,
                )
            except service.TransferInvalid as error:
                _show_errors(form, error.errors)
            else:
                flash("The pupil has been recorded as having left", "success")
                return _after_destination(transfer)
    return render_template("transfers/leaver.html", form=form, pupil=pupil, matches=matches, shows_child_details=True)


# --- one transfer ---------------------------------------------------------------------------


@bp.get("/<uuid:transfer_id>")
@requires("transfers:manage")
def show(transfer_id: uuid.UUID):
    page = service.open_transfer(current_user, transfer_id)
    context = dict(
        transfer=page.transfer, side=page.side, schools=page.schools, people=page.people, status_labels=STATUS_LABELS,
        overdue=page.overdue, days_left=page.days_left, confirm_form=ConfirmForm(),
    )
    if not page.sees_child:
        # Before receipt is confirmed: who sent it and when, nothing about the child.
        return render_template("transfers/waiting.html", **context)
    return render_template("transfers/show.html", pupil=page.pupil, facts=page.facts, shows_child_details=True,
                           **context)


@bp.route("/<uuid:transfer_id>/destination", methods=["GET", "POST"])
@requires("transfers:send")
@reshows_form_on_csrf_failure
def destination(transfer_id: uuid.UUID):
    transfer = service.get_transfer_for(current_user, transfer_id, "transfers:send")
    if transfer.status not in OPEN_STATUSES:
        flash("The file has been sent: its destination can no longer change", "important")
        return redirect(url_for("transfers.show", transfer_id=transfer.id))
    form = DestinationForm(data={"destination_kind": transfer.destination_kind} if request.method == "GET" else None)
    matches = []
    if form.validate_on_submit():
        school, matches = _chosen_school(form)
        if not _school_still_to_choose(form, school, matches):
            try:
                service.change_destination(transfer, by=current_user, destination_kind=form.destination_kind.data,
                                           to_school=school)
            except service.TransferInvalid as error:
                _show_errors(form, error.errors)
            else:
                return _after_destination(transfer)
    return render_template("transfers/destination.html", form=form, transfer=transfer,
                           pupil=service.sending_pupil(transfer), matches=matches, shows_child_details=True)


@bp.route("/<uuid:transfer_id>/send", methods=["GET", "POST"])
@requires("transfers:send")
@reshows_form_on_csrf_failure
def review(transfer_id: uuid.UUID):
    """Review what will go, add a covering note, send."""
    transfer = service.get_transfer_for(current_user, transfer_id, "transfers:send")
    if transfer.status != TransferStatus.TO_SEND:
        return redirect(url_for("transfers.show", transfer_id=transfer.id))
    form = SendForm()
    if form.validate_on_submit():
        try:
            service.send(transfer.id, by=current_user, covering_note=form.covering_note.data)
        except service.TransferInvalid as error:
            _show_errors(form, error.errors)
        except FileRefused:
            form.covering_note.errors = list(form.covering_note.errors) + [
                "An attachment could not be copied into the transfer. Try again, or contact support"]
        else:
            return redirect(url_for("transfers.sent", transfer_id=transfer.id))
    page = service.review_page(current_user, transfer)
    return render_template(
        "transfers/review.html", form=form, transfer=page.transfer, pupil=page.pupil, preview=page.preview,
        to_school=page.to_school, shows_child_details=True,
    )


@bp.get("/<uuid:transfer_id>/sent")
@requires("transfers:send")
def sent(transfer_id: uuid.UUID):
    transfer = service.get_transfer_for(current_user, transfer_id, "transfers:send")
    if not transfer.is_sent:
        return redirect(url_for("transfers.show", transfer_id=transfer.id))
    return render_template("transfers/sent.html", transfer=transfer, to_school=service.school(transfer.to_school_id))


@bp.post("/<uuid:transfer_id>/accept")
@requires("transfers:receive")
@reshows_form_on_csrf_failure
def accept(transfer_id: uuid.UUID):
    transfer = service.get_transfer_for(current_user, transfer_id, "transfers:receive")
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The page had expired: confirm receipt again", "important")
        return redirect(url_for("transfers.show", transfer_id=transfer.id))
    transfer, accepted_now = service.accept(transfer.id, by=current_user)
    if not accepted_now:  # a second click: nothing more to do
        return redirect(url_for("transfers.match", transfer_id=transfer.id))
    flash("Receipt confirmed. The sending school has been told", "success")
    if transfer.receiving_pupil_id:
        return redirect(url_for("transfers.history", transfer_id=transfer.id))
    return redirect(url_for("transfers.match", transfer_id=transfer.id))


@bp.route("/<uuid:transfer_id>/reject", methods=["GET", "POST"])
@requires("transfers:receive")
@reshows_form_on_csrf_failure
def reject(transfer_id: uuid.UUID):
    if request.method == "POST":
        # A transfer answered meanwhile is a conflict (service.reject), not a missing page.
        transfer = service.get_transfer_for(current_user, transfer_id, "transfers:receive")
    else:
        transfer = service.waiting_transfer_for(current_user, transfer_id)
    form = RejectForm()
    if request.method == "POST" and (form.validate_on_submit() or transfer.status not in WAITING_STATUSES):
        try:
            service.reject(transfer.id, by=current_user, reason=form.reason.data)
        except service.TransferInvalid as error:
            _show_errors(form, error.errors)
        else:
            flash("The file has been sent back to the school that sent it", "success")
            return redirect(url_for("transfers.index"))
    return render_template("transfers/reject.html", form=form, transfer=transfer, schools=service.schools_of([transfer]))


@bp.route("/<uuid:transfer_id>/match", methods=["GET", "POST"])
@requires("transfers:receive")
@reshows_form_on_csrf_failure
def match(transfer_id: uuid.UUID):
    transfer = service.transfer_to_match(current_user, transfer_id)
    if transfer.receiving_pupil_id is not None and request.method == "GET":
        return redirect(url_for("transfers.history", transfer_id=transfer.id))
    candidates = service.match_candidates(transfer)
    form = MatchForm()
    form.pupil.choices = [(str(p.id), p.display_name) for p in candidates] + [("new", "None of these: add a new pupil record")]
    if form.validate_on_submit() or (request.method == "POST" and transfer.receiving_pupil_id is not None):
        chosen = {str(p.id): p for p in candidates}.get(form.pupil.data)
        if form.pupil.data != "new" and chosen is None and transfer.receiving_pupil_id is None:
            form.pupil.errors = ["Select the pupil, or add a new pupil record"]
        else:
            # Matched once already: the service answers 409 (moving the history is not allowed).
            pupil = service.match(transfer.id, by=current_user, pupil=chosen)
            flash("The transferred history is now on this pupil’s chronology", "success")
            if "chronology.page" in current_app.view_functions:
                return redirect(url_for("chronology.page", pupil_id=pupil.id))
            return redirect(url_for("transfers.history", transfer_id=transfer.id))
    facts = service.match_page(current_user, transfer)
    return render_template("transfers/match.html", form=form, transfer=transfer, facts=facts, candidates=candidates,
                           shows_child_details=True)


@bp.get("/<uuid:transfer_id>/history")
@requires("transferred_history:view")
def history(transfer_id: uuid.UUID):
    """The file exactly as it was sent: read-only for both schools."""
    page = service.transferred_history(current_user, transfer_id)
    return render_template(
        "transfers/history.html", transfer=page.transfer, snapshot=page.snapshot, files=page.files,
        side=page.side, shows_child_details=True, from_date=_parse_iso,
    )


def _parse_iso(value):
    if not value:
        return None
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


@bp.get("/<uuid:transfer_id>/attachments/<uuid:attachment_id>")
@requires("transferred_history:view")
def attachment(transfer_id: uuid.UUID, attachment_id: uuid.UUID):
    transfer, stored = service.transferred_attachment(current_user, transfer_id, attachment_id)
    return attachment_response(stored, "transferred_history:view", transfer)


@bp.get("/<uuid:transfer_id>/receipt.pdf")
@requires("transfers:manage")
def receipt(transfer_id: uuid.UUID):
    transfer, side = service.receipt_transfer(current_user, transfer_id)
    again = session_store.reauthentication_needed()
    if again is not None:
        return again
    content = receipt_pdf(transfer, current_user)
    service.record_receipt_export(transfer, side)
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="transfer-receipt-{transfer.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- requests -------------------------------------------------------------------------------


@bp.route("/requests/new", methods=["GET", "POST"])
@requires("transfers:request")
@reshows_form_on_csrf_failure
def new_request():
    pupil = None
    if request.args.get("pupil"):
        pupil = service.get_pupil_for(current_user, request.args["pupil"], "transfers:request")
    data = {"upn": pupil.upn, "nhs_number": None if pupil.upn else pupil.nhs_number} if pupil and request.method == "GET" else None
    form = RequestForm(data=data)
    if form.validate_on_submit():
        try:
            outcome = service.request_file(current_user.school, by=current_user, upn=form.upn.data,
                                           nhs_number=form.nhs_number.data, pupil=pupil)
        except service.TransferInvalid as error:
            _show_errors(form, error.errors)
        else:
            return render_template("transfers/requested.html", outcome=outcome)
    return render_template("transfers/request.html", form=form, pupil=pupil, shows_child_details=pupil is not None)


@bp.route("/requests/<uuid:target_id>/no-file", methods=["GET", "POST"])
@requires("transfer_requests:answer")
@reshows_form_on_csrf_failure
def no_file(target_id: uuid.UUID):
    target = service.get_target_for(current_user, target_id)
    if target.status != RequestTargetStatus.OPEN:
        return redirect(url_for("transfers.index") + "#requests")
    form = AnswerForm()
    if form.validate_on_submit():
        service.answer_no_file(target.id, by=current_user)
        flash("You have answered that you hold no child protection file", "success")
        return redirect(url_for("transfers.index") + "#requests")
    return render_template("transfers/no_file.html", form=form, target=target, pupil=service.holder_pupil(target),
                           requester=service.requester_of(target), shows_child_details=True)


@bp.route("/requests/<uuid:target_id>/send", methods=["GET", "POST"])
@requires("transfer_requests:answer")
@reshows_form_on_csrf_failure
def answer_by_send(target_id: uuid.UUID):
    target = service.get_target_for(current_user, target_id)
    if target.status != RequestTargetStatus.OPEN:
        return redirect(url_for("transfers.index") + "#requests")
    form = AnswerBySendForm()
    if form.validate_on_submit():
        try:
            transfer = service.prepare_answer_by_send(target.id, by=current_user, leaving_date=form.leaving_date.data)
        except service.TransferInvalid as error:
            _show_errors(form, error.errors)
        except service.TransferStateError:
            form.leaving_date.errors = ["This pupil’s file has already been sent: see the transfer list"]
        else:
            return redirect(url_for("transfers.review", transfer_id=transfer.id))
    return render_template("transfers/answer_send.html", form=form, target=target, pupil=service.holder_pupil(target),
                           requester=service.requester_of(target), shows_child_details=True)


# --- closed days ----------------------------------------------------------------------------


def _closed_days_page(form, terms_form):
    school = current_user.school
    own_terms, holidays = service.council_calendar_of(school)
    if terms_form.council_terms.data is None and not terms_form.errors:
        terms_form.council_terms.data = "no" if own_terms else "yes"
    # `form` is the one whose errors the page's error summary lists.
    return render_template("transfers/closed_days.html", form=terms_form if terms_form.errors else form,
                           closure_form=form, terms_form=terms_form,
                           closures=service.closures(school.id), remove_form=RemoveClosureForm(),
                           own_terms=own_terms, council_holidays=holidays, la=school.local_authority)


@bp.route("/closed-days", methods=["GET", "POST"])
@requires("transfers:manage")
@reshows_form_on_csrf_failure
def closed_days():
    school = current_user.school
    form = ClosureForm()
    if form.validate_on_submit():
        try:
            service.add_closure(school, by=current_user, first_day=form.first_day.data, last_day=form.last_day.data)
        except service.TransferInvalid as error:
            _show_errors(form, error.errors)
        else:
            flash("The closed days have been added: transfer due dates now skip them", "success")
            return redirect(url_for("transfers.closed_days"))
    return _closed_days_page(form, TermDatesForm(formdata=None))


@bp.post("/closed-days/term-dates")
@requires("transfers:manage")
@reshows_form_on_csrf_failure
def term_dates():
    terms_form = TermDatesForm()
    if terms_form.validate_on_submit():
        own = terms_form.council_terms.data == "no"
        service.set_own_term_dates(current_user.school, by=current_user, own=own)
        flash("Your school keeps its own term dates: add your holidays below" if own else
              "Your school follows the council’s term dates", "success")
        return redirect(url_for("transfers.closed_days"))
    return _closed_days_page(ClosureForm(formdata=None), terms_form)


@bp.post("/closed-days/<uuid:closure_id>/remove")
@requires("transfers:manage")
def remove_closed_days(closure_id: uuid.UUID):
    form = RemoveClosureForm()
    if form.validate_on_submit():
        service.remove_closure(current_user.school, closure_id)
        flash("The closed days have been removed", "success")
    return redirect(url_for("transfers.closed_days"))


@bp.app_template_filter("transfer_iso")
def transfer_iso(value):
    """An ISO date or time from a snapshot, back to a date or datetime for the date filters."""
    return _parse_iso(value)


# --- home page ------------------------------------------------------------------------------


@bp.app_template_global()
def transfers_home() -> dict | None:
    """For the home page: files waiting for receipt, overdue transfers, requests to answer."""
    if not can(current_user, "transfers:manage"):
        return None
    panel = service.home_panel(current_user.school_id)
    return {"waiting": panel.waiting, "overdue": panel.overdue, "requests": panel.requests}
