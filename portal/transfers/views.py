"""Transfer pages for DSLs and deputies: the transfer list, leavers, sending, receiving,
requests and the school's closed days.

Views are thin: parse, call one service function, render or redirect. Which side of a transfer
the user is on (sending or receiving school) is decided by the policy (`service.side_of`); the
receiving side sees nothing about the child until it has confirmed receipt.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import audit
from portal.auth import session_store
from portal.auth.models import User
from portal.errors import reshows_form_on_csrf_failure
from portal.db import db
from portal.files import FileRefused, attachment_response
from portal.files.models import StoredFile
from portal.orgs.models import School
from portal.policy import can, require, requires
from portal.pupils.models import Pupil
from portal.pupils.service import school_roll
from portal.transfers import clock, notices, service
from portal.transfers import chronology as _chronology_adapters  # noqa: F401  (registers the adapters)
from portal.transfers.forms import (
    AnswerBySendForm,
    AnswerForm,
    ClosureForm,
    ConfirmForm,
    DestinationForm,
    LeaverForm,
    MatchForm,
    RejectForm,
    RemoveClosureForm,
    RequestForm,
    SendForm,
)
from portal.transfers.models import OPEN_STATUSES, TransferAttachment, TransferRequest
from portal.transfers.snapshot import gather, read_snapshot

bp = Blueprint("transfers", __name__, url_prefix="/transfers")


# --- the list -------------------------------------------------------------------------------


@bp.get("")
@requires("transfers:manage")
def index():
    school_id = current_user.school_id
    today = clock.today_uk()
    outgoing = service.outgoing(school_id)
    pupils = _pupils({t.pupil_id for t in outgoing})
    targets = service.requests_to_answer(school_id)
    target_pupils = _pupils({t.holder_pupil_id for t in targets})
    audit.record("transfer.list_view", object_type="school", object_id=school_id)
    db.session.commit()
    return render_template(
        "transfers/index.html",
        outgoing=outgoing,
        incoming=service.incoming(school_id),
        overdue_ids={t.id for t in service.overdue(school_id, today)},
        pupils=pupils,
        targets=targets,
        target_pupils=target_pupils,
        my_requests=service.my_requests(school_id),
        request_state=service.request_state,
        schools=_schools_of(outgoing + service.incoming(school_id)),
        today=today,
        status_labels=service.STATUS_LABELS,
        shows_child_details=True,
    )


def _pupils(ids) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {p.id: p for p in db.session.execute(select(Pupil).where(Pupil.id.in_(ids))).scalars()}


def _schools_of(transfers) -> dict:
    ids = {t.from_school_id for t in transfers} | {t.to_school_id for t in transfers if t.to_school_id}
    if not ids:
        return {}
    return {s.id: s for s in db.session.execute(select(School).where(School.id.in_(ids))).scalars()}


def _people(ids) -> dict:
    """'Name (School)' for each user, for status lines both sides read."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.display_name, School.name).outerjoin(School, User.school_id == School.id).where(User.id.in_(ids))
    ).all()
    return {uid: f"{name} ({school})" if school else name for uid, name, school in rows}


# --- leaving --------------------------------------------------------------------------------


@bp.get("/leavers")
@requires("transfers:send")
def leavers():
    """Choose the pupil who has left (from this school's roll)."""
    text = (request.args.get("name") or "").strip()
    pupils = school_roll(current_user.school, text=text) if text else school_roll(current_user.school)
    return render_template("transfers/leavers.html", pupils=pupils, text=text, shows_child_details=True)


def _pupil_or_404(pupil_id: uuid.UUID, action: str) -> Pupil:
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None:
        abort(404)
    require(action, pupil)
    return pupil


def _chosen_school(form: DestinationForm):
    """The school the DSL means: a picked match, or the only school matching what was typed.

    Returns (school or None, matches to offer)."""
    if form.destination_kind.data != "school":
        return None, []
    if form.school_id.data:
        try:
            school = db.session.get(School, uuid.UUID(form.school_id.data))
        except ValueError:
            school = None
        if school is not None and school.active and school.id != current_user.school_id:
            return school, []
    matches = service.find_schools(form.school.data or "", exclude_id=current_user.school_id)
    if len(matches) == 1:
        return matches[0], []
    if not matches and (form.school.data or "").strip():
        form.school.errors = list(form.school.errors) + ["No school in the portal matches that URN or name"]
    elif matches:
        form.school_id.choices = [(str(s.id), f"{s.name} (URN {s.urn}, {s.local_authority.name})") for s in matches]
        form.school_id.errors = ["Select the pupil’s new school"]
    return None, matches


def _show_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is not None and message not in field.errors:
            field.errors = list(field.errors) + [message]


@bp.route("/leavers/<uuid:pupil_id>", methods=["GET", "POST"])
@requires("transfers:send")
@reshows_form_on_csrf_failure
def record_leaver(pupil_id: uuid.UUID):
    pupil = _pupil_or_404(pupil_id, "transfers:send")
    form = LeaverForm()
    matches = []
    if form.validate_on_submit():
        school, matches = _chosen_school(form)
        if not (form.destination_kind.data == "school" and school is None and (matches or form.school.errors)):
            try:
                transfer = service.record_leaver(
                    pupil, by=current_user, leaving_date=form.leaving_date.data,
                    destination_kind=form.destination_kind.data, to_school=school,
                )
            except service.TransferInvalid as error:
                db.session.rollback()
                _show_errors(form, error.errors)
            else:
                db.session.commit()
                flash("The pupil has been recorded as having left", "success")
                if transfer.status == "to_send":
                    return redirect(url_for("transfers.review", transfer_id=transfer.id))
                return redirect(url_for("transfers.show", transfer_id=transfer.id))
    return render_template("transfers/leaver.html", form=form, pupil=pupil, matches=matches, shows_child_details=True)


# --- one transfer ---------------------------------------------------------------------------


def _transfer_for_either_side(transfer_id: uuid.UUID):
    transfer = db.session.get(service.Transfer, transfer_id)
    if transfer is None:
        abort(404)
    side = service.side_of(current_user, transfer)
    if side is None:
        abort(404)
    return transfer, side


@bp.get("/<uuid:transfer_id>")
@requires("transfers:manage")
def show(transfer_id: uuid.UUID):
    transfer, side = _transfer_for_either_side(transfer_id)
    if side == "receiver":
        service.mark_viewed(transfer, by=current_user)
    audit.record("transfer.view", object_type="transfer", object_id=transfer.id, detail=side)
    db.session.commit()
    schools = _schools_of([transfer])
    people = _people({e.by_user_id for e in transfer.events} | {transfer.sent_by_id, transfer.accepted_by_id,
                      transfer.rejected_by_id, transfer.viewed_by_id, transfer.recorded_by_id})
    sees_child = side == "sender" or can(current_user, "transferred_history:view", transfer)
    context = dict(
        transfer=transfer, side=side, schools=schools, people=people, status_labels=service.STATUS_LABELS,
        destination_labels=service.DESTINATION_LABELS,
        overdue=clock.is_overdue(transfer), days_left=clock.school_days_left(transfer) if transfer.status in OPEN_STATUSES else None,
        confirm_form=ConfirmForm(),
    )
    if not sees_child:
        # Before receipt is confirmed: who sent it and when, nothing about the child.
        return render_template("transfers/waiting.html", **context)
    pupil = db.session.get(Pupil, transfer.pupil_id) if side == "sender" else (
        db.session.get(Pupil, transfer.receiving_pupil_id) if transfer.receiving_pupil_id else None)
    facts = read_snapshot(transfer).get("pupil", {}) if transfer.snapshot is not None else {}
    return render_template("transfers/show.html", pupil=pupil, facts=facts, shows_child_details=True, **context)


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
        if not (form.destination_kind.data == "school" and school is None and (matches or form.school.errors)):
            try:
                service.change_destination(transfer, by=current_user, destination_kind=form.destination_kind.data, to_school=school)
            except service.TransferInvalid as error:
                db.session.rollback()
                _show_errors(form, error.errors)
            else:
                db.session.commit()
                if transfer.status == "to_send":
                    return redirect(url_for("transfers.review", transfer_id=transfer.id))
                return redirect(url_for("transfers.show", transfer_id=transfer.id))
    pupil = db.session.get(Pupil, transfer.pupil_id)
    return render_template("transfers/destination.html", form=form, transfer=transfer, pupil=pupil, matches=matches,
                           shows_child_details=True)


@bp.route("/<uuid:transfer_id>/send", methods=["GET", "POST"])
@requires("transfers:send")
@reshows_form_on_csrf_failure
def review(transfer_id: uuid.UUID):
    """Review what will go, add a covering note, send."""
    transfer = service.get_transfer_for(current_user, transfer_id, "transfers:send", lock=request.method == "POST")
    if transfer.status != "to_send":
        return redirect(url_for("transfers.show", transfer_id=transfer.id))
    form = SendForm()
    if form.validate_on_submit():
        try:
            service.send(transfer, by=current_user, covering_note=form.covering_note.data)
        except service.TransferInvalid as error:
            db.session.rollback()
            _show_errors(form, error.errors)
        except FileRefused:
            db.session.rollback()
            form.covering_note.errors = list(form.covering_note.errors) + [
                "An attachment could not be copied into the transfer. Try again, or contact support"]
        else:
            db.session.commit()
            notices.file_sent(transfer)
            return redirect(url_for("transfers.sent", transfer_id=transfer.id))
    pupil = db.session.get(Pupil, transfer.pupil_id)
    preview = gather(pupil, current_user)
    audit.record("transfer.review", object_type="transfer", object_id=transfer.id)
    db.session.commit()
    return render_template(
        "transfers/review.html", form=form, transfer=transfer, pupil=pupil, preview=preview,
        to_school=db.session.get(School, transfer.to_school_id), shows_child_details=True,
    )


@bp.get("/<uuid:transfer_id>/sent")
@requires("transfers:send")
def sent(transfer_id: uuid.UUID):
    transfer = service.get_transfer_for(current_user, transfer_id, "transfers:send")
    if not transfer.is_sent:
        return redirect(url_for("transfers.show", transfer_id=transfer.id))
    return render_template("transfers/sent.html", transfer=transfer, to_school=db.session.get(School, transfer.to_school_id))


@bp.post("/<uuid:transfer_id>/accept")
@requires("transfers:receive")
@reshows_form_on_csrf_failure
def accept(transfer_id: uuid.UUID):
    transfer = service.get_transfer_for(current_user, transfer_id, "transfers:receive", lock=True)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The page had expired: confirm receipt again", "important")
        return redirect(url_for("transfers.show", transfer_id=transfer.id))
    if transfer.status == "accepted":  # a second click: nothing more to do
        return redirect(url_for("transfers.match", transfer_id=transfer.id))
    try:
        service.accept(transfer, by=current_user)
    except service.TransferStateError:
        abort(409)
    db.session.commit()
    notices.file_accepted(transfer)
    flash("Receipt confirmed. The sending school has been told", "success")
    if transfer.receiving_pupil_id:
        return redirect(url_for("transfers.history", transfer_id=transfer.id))
    return redirect(url_for("transfers.match", transfer_id=transfer.id))


@bp.route("/<uuid:transfer_id>/reject", methods=["GET", "POST"])
@requires("transfers:receive")
@reshows_form_on_csrf_failure
def reject(transfer_id: uuid.UUID):
    transfer = service.get_transfer_for(current_user, transfer_id, "transfers:receive", lock=request.method == "POST")
    if transfer.status not in ("pending", "viewed"):
        abort(409 if request.method == "POST" else 404)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            service.reject(transfer, by=current_user, reason=form.reason.data)
        except service.TransferInvalid as error:
            db.session.rollback()
            _show_errors(form, error.errors)
        else:
            db.session.commit()
            notices.file_rejected(transfer)
            flash("The file has been sent back to the school that sent it", "success")
            return redirect(url_for("transfers.index"))
    schools = _schools_of([transfer])
    return render_template("transfers/reject.html", form=form, transfer=transfer, schools=schools)


@bp.route("/<uuid:transfer_id>/match", methods=["GET", "POST"])
@requires("transfers:receive")
@reshows_form_on_csrf_failure
def match(transfer_id: uuid.UUID):
    transfer = service.get_transfer_for(current_user, transfer_id, "transferred_history:view", lock=request.method == "POST")
    require("transfers:receive", transfer)
    if transfer.receiving_pupil_id is not None:
        if request.method == "POST":
            abort(409)  # matched once: moving the history to another record is not a write anyone may make
        return redirect(url_for("transfers.history", transfer_id=transfer.id))
    candidates = service.match_candidates(transfer)
    form = MatchForm()
    form.pupil.choices = [(str(p.id), p.display_name) for p in candidates] + [("new", "None of these: add a new pupil record")]
    if form.validate_on_submit():
        chosen = {str(p.id): p for p in candidates}.get(form.pupil.data)
        if form.pupil.data != "new" and chosen is None:
            form.pupil.errors = ["Select the pupil, or add a new pupil record"]
        else:
            pupil = service.match(transfer, by=current_user, pupil=chosen)
            db.session.commit()
            flash("The transferred history is now on this pupil’s chronology", "success")
            return redirect(url_for("chronology.page", pupil_id=pupil.id) if "chronology.page" in _endpoints()
                            else url_for("transfers.history", transfer_id=transfer.id))
    facts = service.snapshot_pupil(transfer)
    audit.record("transfer.match_view", object_type="transfer", object_id=transfer.id)
    db.session.commit()
    return render_template("transfers/match.html", form=form, transfer=transfer, facts=facts, candidates=candidates,
                           shows_child_details=True)


def _endpoints():
    from flask import current_app

    return current_app.view_functions


@bp.get("/<uuid:transfer_id>/history")
@requires("transferred_history:view")
def history(transfer_id: uuid.UUID):
    """The file exactly as it was sent: read-only for both schools."""
    transfer = service.get_transfer_for(current_user, transfer_id, "transferred_history:view")
    snapshot = read_snapshot(transfer)
    audit.record("transfer.history_view", object_type="transfer", object_id=transfer.id)
    db.session.commit()
    files = {a.position: a for a in transfer.attachments}
    return render_template(
        "transfers/history.html", transfer=transfer, snapshot=snapshot, files=files,
        side=service.side_of(current_user, transfer), shows_child_details=True,
        from_date=_parse_iso,
    )


def _parse_iso(value):
    from datetime import date, datetime

    if not value:
        return None
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


@bp.get("/<uuid:transfer_id>/attachments/<uuid:attachment_id>")
@requires("transferred_history:view")
def attachment(transfer_id: uuid.UUID, attachment_id: uuid.UUID):
    transfer = service.get_transfer_for(current_user, transfer_id, "transferred_history:view")
    item = db.session.get(TransferAttachment, attachment_id)
    if item is None or item.transfer_id != transfer.id:
        abort(404)
    stored = db.session.get(StoredFile, item.stored_file_id)
    return attachment_response(stored, "transferred_history:view", transfer)


@bp.get("/<uuid:transfer_id>/receipt.pdf")
@requires("transfers:manage")
def receipt(transfer_id: uuid.UUID):
    from portal.transfers.receipt import receipt_pdf

    transfer, side = _transfer_for_either_side(transfer_id)
    if transfer.sent_at is None or (side == "receiver" and transfer.status != "accepted"):
        abort(404)
    again = session_store.reauthentication_needed()
    if again is not None:
        return again
    content = receipt_pdf(transfer, current_user)
    audit.record("transfer.receipt_export", object_type="transfer", object_id=transfer.id, detail=side)
    db.session.commit()
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
        try:
            pupil = _pupil_or_404(uuid.UUID(request.args["pupil"]), "transfers:request")
        except ValueError:
            abort(404)
    data = {"upn": pupil.upn, "nhs_number": None if pupil.upn else pupil.nhs_number} if pupil and request.method == "GET" else None
    form = RequestForm(data=data)
    if form.validate_on_submit():
        try:
            outcome = service.request_file(current_user.school, by=current_user, upn=form.upn.data,
                                           nhs_number=form.nhs_number.data, pupil=pupil)
        except service.TransferInvalid as error:
            db.session.rollback()
            _show_errors(form, error.errors)
        else:
            db.session.commit()
            for target in outcome.targets:
                notices.file_requested(target)
            return render_template("transfers/requested.html", outcome=outcome)
    return render_template("transfers/request.html", form=form, pupil=pupil, shows_child_details=pupil is not None)


@bp.route("/requests/<uuid:target_id>/no-file", methods=["GET", "POST"])
@requires("transfer_requests:answer")
@reshows_form_on_csrf_failure
def no_file(target_id: uuid.UUID):
    target = service.get_target_for(current_user, target_id)
    if target.status != "open":
        return redirect(url_for("transfers.index") + "#requests")
    form = AnswerForm()
    if form.validate_on_submit():
        service.answer_no_file(target, by=current_user)
        db.session.commit()
        notices.request_answered(db.session.get(TransferRequest, target.request_id))
        flash("You have answered that you hold no child protection file", "success")
        return redirect(url_for("transfers.index") + "#requests")
    pupil = db.session.get(Pupil, target.holder_pupil_id)
    return render_template("transfers/no_file.html", form=form, target=target, pupil=pupil,
                           requester=_requester(target), shows_child_details=True)


@bp.route("/requests/<uuid:target_id>/send", methods=["GET", "POST"])
@requires("transfer_requests:answer")
@reshows_form_on_csrf_failure
def answer_by_send(target_id: uuid.UUID):
    target = service.get_target_for(current_user, target_id)
    if target.status != "open":
        return redirect(url_for("transfers.index") + "#requests")
    pupil = db.session.get(Pupil, target.holder_pupil_id)
    form = AnswerBySendForm()
    if form.validate_on_submit():
        try:
            transfer = service.prepare_answer_by_send(target, by=current_user, leaving_date=form.leaving_date.data)
        except service.TransferInvalid as error:
            db.session.rollback()
            _show_errors(form, error.errors)
        except service.TransferStateError:
            db.session.rollback()
            form.leaving_date.errors = ["This pupil’s file has already been sent: see the transfer list"]
        else:
            db.session.commit()
            return redirect(url_for("transfers.review", transfer_id=transfer.id))
    return render_template("transfers/answer_send.html", form=form, target=target, pupil=pupil,
                           requester=_requester(target), shows_child_details=True)


def _requester(target) -> School:
    request_row = db.session.get(TransferRequest, target.request_id)
    return db.session.get(School, request_row.requesting_school_id)


# --- closed days ----------------------------------------------------------------------------


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
            db.session.rollback()
            _show_errors(form, error.errors)
        else:
            db.session.commit()
            flash("The closed days have been added: transfer due dates now skip them", "success")
            return redirect(url_for("transfers.closed_days"))
    return render_template("transfers/closed_days.html", form=form, closures=service.closures(school.id),
                           remove_form=RemoveClosureForm())


@bp.post("/closed-days/<uuid:closure_id>/remove")
@requires("transfers:manage")
def remove_closed_days(closure_id: uuid.UUID):
    form = RemoveClosureForm()
    if form.validate_on_submit():
        service.remove_closure(current_user.school, closure_id)
        db.session.commit()
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
    school_id = current_user.school_id
    overdue = service.overdue(school_id)
    return {
        "waiting": service.waiting_count(school_id),
        "overdue": len(overdue),
        "requests": sum(1 for t in service.requests_to_answer(school_id) if t.status == "open"),
    }
