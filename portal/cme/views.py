"""Off-roll notice pages.

The school (DSLs and deputies): "Send an off-roll notice" from a leaver or a pupil, question pages
(grounds, last day of attendance, destination, enquiries), check answers, send, confirmation; the
school's list of notices with their status, the council's questions to answer and the outcome.

The council's children missing education officer: the queue of the LA's notices by status, a
notice with the child's details as sent, moving it on, asking the school a question, closing it
with an outcome.

Views are thin: parse, call one service function, render or redirect. A domain error becomes the
GOV.UK error page, except where a form has something better to show.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.cme import service
from portal.cme.forms import (
    AnswerForm,
    CloseForm,
    DestinationForm,
    EnquiriesForm,
    GroundsForm,
    LastDayForm,
    QuestionForm,
    SendForm,
    StartForm,
    StatusForm,
)
from portal.cme.models import (
    DESTINATION_LABELS,
    EVENT_LABELS,
    GROUND_LABELS,
    OUTCOME_LABELS,
    QUEUE_STATUSES,
    STATUS_LABELS,
    NoticeStatus,
    ground_reference,
)
from portal.errors import reshows_form_on_csrf_failure
from portal.policy import can, requires
from portal.templating import uk_date

bp = Blueprint("cme", __name__, url_prefix="/cme")

STATUS_TAG_CLASSES = {
    NoticeStatus.DRAFT: "govuk-tag--grey",
    NoticeStatus.RECEIVED: "govuk-tag--blue",
    NoticeStatus.UNDER_ENQUIRY: "govuk-tag--yellow",
    NoticeStatus.FOUND: "govuk-tag--green",
    NoticeStatus.CLOSED: "govuk-tag--grey",
}

FORMS = {"grounds": GroundsForm, "last-day": LastDayForm, "destination": DestinationForm, "enquiries": EnquiriesForm}
TEMPLATES = {"grounds": "cme/step_grounds.html", "last-day": "cme/step_last_day.html",
             "destination": "cme/step_destination.html", "enquiries": "cme/step_enquiries.html"}


@bp.app_context_processor
def _cme_words() -> dict:
    """The words of statuses, grounds and outcomes, for every template that shows a notice (the
    triage's read-only view among them), and the CME officer's home counts."""
    return {
        "cme_status_labels": STATUS_LABELS,
        "cme_status_tags": STATUS_TAG_CLASSES,
        "cme_ground_labels": GROUND_LABELS,
        "cme_ground_reference": ground_reference,
        "cme_destination_labels": DESTINATION_LABELS,
        "cme_outcome_labels": OUTCOME_LABELS,
        "cme_event_labels": EVENT_LABELS,
        "cme_officer_home": lambda: service.officer_home(current_user),
        "cme_admin_home": lambda: service.admin_home(current_user),
        "cme_date": lambda value: uk_date(_iso_date(value)) if _iso_date(value) else "",
    }


def _iso_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- the school: starting and writing a notice ---------------------------------------------------


@bp.route("/pupils/<uuid:pupil_id>/off-roll-notice", methods=["GET", "POST"])
@requires("cme:send")
@reshows_form_on_csrf_failure
def start(pupil_id):
    form = StartForm()
    if form.validate_on_submit():
        notice = service.start(current_user, pupil_id)
        step = service.next_step(notice.answers or {})
        return redirect(url_for("cme.step", notice_id=notice.id, step=step) if step
                        else url_for("cme.check", notice_id=notice.id))
    page = service.start_page(current_user, pupil_id)
    return render_template("cme/start.html", page=page, form=form, shows_child_details=True)


def _initial(step: str, answers: dict) -> dict:
    if step == "last-day":
        return {"last_attendance": _iso_date(answers.get("last_attendance"))}
    if step == "destination" and not answers.get("destination_kind") and answers.get(service.SUGGESTED):
        # Not answered yet: start from where the school's MIS said the pupil went.
        answers = answers[service.SUGGESTED]
    return {name: answers.get(name) for name in service.STEP_FIELDS[step]}


@bp.route("/notices/<uuid:notice_id>/<any(grounds, 'last-day', destination, enquiries):step>", methods=["GET", "POST"])
@requires("cme:send")
@reshows_form_on_csrf_failure
def step(notice_id, step):
    try:
        page = service.draft_page(current_user, notice_id)
    except service.AlreadySent as sent:
        return redirect(url_for("cme.sent", notice_id=sent.notice_id))
    form_class = FORMS[step]
    form = form_class() if request.method == "POST" else form_class(data=_initial(step, page.answers))
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in service.STEP_FIELDS[step]}
        try:
            notice = service.save_answers(current_user, notice_id, step, **values)
        except service.AlreadySent as sent:
            return redirect(url_for("cme.sent", notice_id=sent.notice_id))
        except service.NoticeInvalid as error:
            _show_errors(form, error.errors)
        else:
            following = service.next_step(notice.answers or {})
            return redirect(url_for("cme.step", notice_id=notice_id, step=following) if following
                            else url_for("cme.check", notice_id=notice_id))
    return render_template(TEMPLATES[step], form=form, page=page, step=step, shows_child_details=True)


def _show_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is not None and message not in field.errors:
            field.errors = list(field.errors) + [message]


@bp.route("/notices/<uuid:notice_id>/check", methods=["GET", "POST"])
@requires("cme:send")
@reshows_form_on_csrf_failure
def check(notice_id):
    form = SendForm()
    error = None
    if form.validate_on_submit():
        try:
            service.send(current_user, notice_id)
        except service.AlreadySent as sent:
            return redirect(url_for("cme.sent", notice_id=sent.notice_id))
        except service.NoticeInvalid:
            error = "Answer every question before sending the notice"
        else:
            return redirect(url_for("cme.sent", notice_id=notice_id))
    try:
        page = service.draft_page(current_user, notice_id)
    except service.AlreadySent as sent:
        return redirect(url_for("cme.sent", notice_id=sent.notice_id))
    missing = service.next_step(page.answers)
    return render_template("cme/check.html", page=page, form=form, missing=missing, error=error,
                           last_attendance=_iso_date(page.answers.get("last_attendance")),
                           shows_child_details=True), (400 if error else 200)


@bp.get("/notices/<uuid:notice_id>/sent")
@requires("cme:answer")
def sent(notice_id):
    page = service.school_notice(current_user, notice_id)
    return render_template("cme/sent.html", page=page, shows_child_details=True)


# --- the school: its notices -------------------------------------------------------------------


@bp.get("/notices")
@requires("cme:answer")
def school_list():
    listing = service.school_list(current_user)
    return render_template("cme/school_list.html", listing=listing, shows_child_details=True)


def _school_page(notice_id, *, answer_forms=None, status=200):
    page = service.school_notice(current_user, notice_id)
    forms = answer_forms or {}
    for question in page.notice.unanswered_questions:
        forms.setdefault(question.id, AnswerForm(formdata=None, prefix=f"q{question.id.hex}"))
    return render_template("cme/school_notice.html", page=page, answer_forms=forms,
                           form=next((f for f in forms.values() if f.errors), None),
                           last_attendance=_iso_date(page.answers.get("last_attendance")),
                           shows_child_details=True), status


@bp.get("/notices/<uuid:notice_id>")
@requires("cme:answer")
def school_notice(notice_id):
    return _school_page(notice_id)


@bp.post("/notices/<uuid:notice_id>/questions/<uuid:question_id>")
@requires("cme:answer")
@reshows_form_on_csrf_failure
def answer(notice_id, question_id):
    form = AnswerForm(prefix=f"q{question_id.hex}")
    if form.validate_on_submit():
        try:
            service.answer(current_user, notice_id, question_id, form.answer.data)
        except service.NoticeStateError:
            flash("That question has already been answered")
            return redirect(url_for("cme.school_notice", notice_id=notice_id))
        except service.NoticeInvalid as error:
            _show_errors(form, {"answer": message for message in error.errors.values()})
        else:
            flash("Your answer has been sent to the local authority", "success")
            return redirect(url_for("cme.school_notice", notice_id=notice_id))
    return _school_page(notice_id, answer_forms={question_id: form}, status=400)


# --- the council's CME officer -------------------------------------------------------------------


@bp.get("/queue")
@requires("cme:view_queue")
def queue():
    page = service.queue(current_user, request.args.get("status"), request.args.get("page"))
    return render_template("cme/queue.html", page=page, statuses=QUEUE_STATUSES, shows_child_details=True)


def _officer_page(notice_id, *, status_form=None, question_form=None, code=200):
    page = service.officer_notice(current_user, notice_id)
    if status_form is None:
        status_form = StatusForm(formdata=None)
    form = status_form if status_form.errors else (question_form if question_form is not None and question_form.errors else None)
    return render_template(
        "cme/officer_notice.html", page=page, form=form,
        status_form=status_form, question_form=question_form or QuestionForm(formdata=None),
        can_work=can(current_user, "cme:work", page.notice) and page.notice.is_open,
        last_attendance=_iso_date(page.answers.get("last_attendance")),
        shows_child_details=True,
    ), code


@bp.get("/queue/<uuid:notice_id>")
@requires("cme:view_queue")
def officer_notice(notice_id):
    return _officer_page(notice_id)


@bp.post("/queue/<uuid:notice_id>/status")
@requires("cme:work")
@reshows_form_on_csrf_failure
def move_on(notice_id):
    form = StatusForm()
    if form.validate_on_submit():
        try:
            notice = service.move_on(current_user, notice_id, form.status.data)
        except service.NoticeStateError:
            flash("This notice is closed: its status cannot change")
            return redirect(url_for("cme.officer_notice", notice_id=notice_id))
        except service.NoticeInvalid as error:
            _show_errors(form, error.errors)
        else:
            flash(f"Status changed to {STATUS_LABELS[NoticeStatus(notice.status)].lower()}", "success")
            return redirect(url_for("cme.officer_notice", notice_id=notice_id))
    return _officer_page(notice_id, status_form=form, code=400)


@bp.post("/queue/<uuid:notice_id>/question")
@requires("cme:work")
@reshows_form_on_csrf_failure
def ask(notice_id):
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            service.ask(current_user, notice_id, form.question.data)
        except service.NoticeStateError:
            flash("This notice is closed: no more questions can be asked")
            return redirect(url_for("cme.officer_notice", notice_id=notice_id))
        except service.NoticeInvalid as error:
            _show_errors(form, error.errors)
        else:
            flash("Your question has been sent to the school", "success")
            return redirect(url_for("cme.officer_notice", notice_id=notice_id))
    return _officer_page(notice_id, question_form=form, code=400)


@bp.route("/queue/<uuid:notice_id>/close", methods=["GET", "POST"])
@requires("cme:work")
@reshows_form_on_csrf_failure
def close(notice_id):
    form = CloseForm()
    if form.validate_on_submit():
        try:
            service.close(current_user, notice_id, form.outcome.data, form.detail.data)
        except service.NoticeStateError:
            flash("This notice has already been closed")
            return redirect(url_for("cme.officer_notice", notice_id=notice_id))
        except service.NoticeInvalid as error:
            _show_errors(form, error.errors)
        else:
            flash("The notice is closed. The school can see the outcome.", "success")
            return redirect(url_for("cme.officer_notice", notice_id=notice_id))
    page = service.officer_notice(current_user, notice_id)
    if not page.notice.is_open:
        return redirect(url_for("cme.officer_notice", notice_id=notice_id))
    return render_template("cme/close.html", page=page, form=form, shows_child_details=True), (
        400 if form.errors else 200)
