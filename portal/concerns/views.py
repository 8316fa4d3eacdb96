"""Concern pages: the logging flow, drafts' autosave, the concern page, corrections and review.

Views parse the request, call one unit of work of the draft or service functions
(portal.concerns.drafts, portal.concerns.service) and render or redirect; they never commit. Every view is
`@requires(...)`; the record-level check (another school's concern is a 404) is in the service.
"""

from __future__ import annotations

import uuid

from datetime import datetime

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from portal.auth.session_store import background
from portal.concerns import drafts, flow, forms, options, service
from portal.concerns.expiry import keeps_typing
from portal.concerns.models import ConcernPupil
from werkzeug.exceptions import RequestEntityTooLarge

from portal.errors import render_error, reshows_form_on_csrf_failure
from portal.files import allowed_description, attachment_response, too_large_message
from portal.policy import can, requires
from portal.security import accepts_json

bp = Blueprint("concerns", __name__, url_prefix="/concerns")

# URL slugs of the flow's steps.
SLUGS = {
    "pupil": "pupil",
    "when": "when-and-where",
    "categories": "categories",
    "what": "what-happened",
    "more": "anything-else",
    "others": "other-pupils",
    "body_map": "body-map",
    "attachments": "attachments",
}
STEPS = {slug: step for step, slug in SLUGS.items()}
TITLES = {
    "pupil": "Who is the concern about?",
    "when": "When and where did it happen?",
    "categories": "What is the concern about?",
    "what": "What happened?",
    "more": "Is this urgent?",
    "others": "Other pupils involved",
    "body_map": "Body map",
    "attachments": "Attach files",
}


def step_url(step: str, **values) -> str:
    if step == flow.CHECK:
        return url_for("concerns.check", **values)
    return url_for("concerns.step", slug=SLUGS[step], **values)


def _step_or_404(slug: str) -> str:
    step = STEPS.get(slug)
    if step is None:
        abort(404)
    return step


def _park_step(user, slug: str):
    step = STEPS.get(slug)
    if step is None or step == "attachments":
        return False
    drafts.park(user, step, None, request.form)
    return True


def _park_autosave(user):
    payload = request.get_json(silent=True) or {}
    step = payload.get("step")
    values = payload.get("fields") if isinstance(payload.get("fields"), dict) else {}
    if step not in drafts.STEP_FIELDS or step == drafts.CORRECTION_STEP:
        return False
    drafts.park(user, step, None, values)
    return True


def _park_correction(user, concern_id: uuid.UUID):
    concern = service.get_concern(concern_id)
    if concern is None or concern.school_id != user.school_id:
        return False
    if not can(user, "concern:correct", concern):
        return False
    values = request.form
    if request.is_json:
        payload = request.get_json(silent=True) or {}
        values = payload.get("fields") if isinstance(payload.get("fields"), dict) else {}
    drafts.park(user, drafts.CORRECTION_STEP, concern, values)
    return True


# --- the list ---------------------------------------------------------------------------------


@bp.get("")
@requires("concern:view")
def index():
    concerns, pupils = service.concerns_page(current_user)
    return render_template("concerns/index.html", concerns=concerns, pupils=pupils,
                           is_lead=can(current_user, "concerns:review"))


# --- the logging flow -------------------------------------------------------------------------


@bp.get("/new")
@requires("concern:log")
def start():
    """Start (or carry on with) the user's draft."""
    drafts.open_draft(current_user)
    return redirect(step_url("pupil"))


@bp.post("/new/start-again")
@requires("concern:log")
def start_again():
    drafts.discard(current_user)
    return redirect(step_url("pupil"))


@bp.route("/new/<slug>", methods=["GET", "POST"])
@keeps_typing(_park_step, lambda slug: url_for("concerns.step", slug=slug))
@requires("concern:log")
@reshows_form_on_csrf_failure
def step(slug: str):
    step = _step_or_404(slug)
    draft = drafts.open_draft(current_user)
    fields = drafts.fields(draft)
    handler = STEP_HANDLERS.get(step, _simple_step)
    return handler(step, draft, fields)


def _after_valid_step(step: str, fields: dict):
    if request.args.get("next") == "check" and step != "more":
        return redirect(step_url(flow.CHECK))
    return redirect(step_url(flow.next_step(step, fields)))


def _render_step(step: str, draft, form, **context):
    kept = drafts.take_kept_flag(draft)
    fields = drafts.fields(draft)
    back = flow.previous_step(step, fields)
    return render_template(
        f"concerns/step_{step}.html",
        form=form,
        step=step,
        title=TITLES[step],
        back_url=step_url(back) if back else url_for("concerns.index"),
        autosave_url=url_for("concerns.autosave"),
        kept=kept,
        going_to_check=request.args.get("next") == "check",
        **context,
    )


def _posted(form) -> bool:
    """A genuine post (valid CSRF token): only then is what was posted saved to the draft."""
    return request.method == "POST" and not form.csrf_token.errors


def _step_form(step: str, fields: dict):
    form_class = forms.STEP_FORMS[step]
    if request.method == "POST":
        return form_class()
    form = forms.form_over(form_class, fields)
    if request.args.get("errors") == "1":
        form.validate()
    return form


def _simple_step(step: str, draft, fields: dict):
    form = _step_form(step, fields)
    if request.method == "POST":
        valid = form.validate_on_submit()
        if _posted(form):
            drafts.save_posted_step(draft, step, request.form)
            if valid:
                return _after_valid_step(step, drafts.fields(draft))
    return _render_step(step, draft, form)


def _pupil_step(step: str, draft, fields: dict):
    form = _step_form(step, fields)
    action = request.form.get("action", "continue")
    if request.method == "POST" and form.validate_on_submit():
        chosen = None if action == "search" else flow.pupil_for(current_user, form.pupil_id.data)
        drafts.save_pupil_step(draft, request.form, chosen.id if chosen is not None else None)
        if action == "search":
            if not form.query.data:
                form.query.errors.append("Enter the pupil’s name or UPN")
        elif chosen is None:
            form.pupil_id.errors.append("Select the pupil the concern is about")
        else:
            return _after_valid_step(step, drafts.fields(draft))
    query = form.query.data if request.method == "POST" else fields.get("query")
    results, more = flow.search_pupils(current_user, query or "")
    chosen = flow.pupil_for(current_user, form.pupil_id.data or fields.get("pupil_id"))
    if chosen is not None and chosen.id not in {p.id for p in results}:
        results.insert(0, chosen)
    searched = bool(query)
    if request.method == "POST" and action == "search" and searched and not results:
        form.query.errors.append("No pupils at your school match that name or UPN. Check the spelling, or enter their UPN")
    return _render_step(step, draft, form, results=results, more=more, searched=searched,
                        chosen_id=str(chosen.id) if chosen else None)


def _others_step(step: str, draft, fields: dict):
    form = _step_form(step, fields)
    action = request.form.get("action", "continue")
    subject_id = fields.get("pupil_id")
    if request.method == "POST" and form.validate_on_submit():
        others = list(drafts.data(draft)["others"])  # changed here, saved by save_others_step
        changed = added = False
        if action.startswith("remove:"):
            index = action.partition(":")[2]
            if index.isdigit() and int(index) < len(others):
                others.pop(int(index))
                changed = True
        elif action == "search":
            if not form.other_query.data:
                form.other_query.errors.append("Enter the other pupil’s name or UPN")
        elif action == "add" or (action == "continue" and (form.other_pupil_id.data or form.other_role.data)):
            chosen = flow.pupil_for(current_user, form.other_pupil_id.data)
            if chosen is None:
                form.other_pupil_id.errors.append("Select the other pupil")
            elif str(chosen.id) == subject_id or any(o["pupil_id"] == str(chosen.id) for o in others):
                form.other_pupil_id.errors.append("This pupil is already part of this concern")
            if form.other_role.data not in options.ROLE_LABELS:
                form.other_role.errors.append("Select the other pupil’s part in what happened")
            if not form.errors:
                others.append({"pupil_id": str(chosen.id), "role": form.other_role.data})
                changed = added = True
        elif action == "continue":
            drafts.save_others_step(draft, request.form)
            return _after_valid_step(step, drafts.fields(draft))
        drafts.save_others_step(draft, request.form, others=others if changed else None, clear_search=added)
        if added:
            if action == "continue":
                return _after_valid_step(step, drafts.fields(draft))
            return redirect(step_url(step, **_keep_next()))
    fields = drafts.fields(draft)
    query = form.other_query.data if request.method == "POST" else fields.get("other_query")
    results, more = flow.search_pupils(current_user, query or "")
    results = [p for p in results if str(p.id) != subject_id]
    if request.method == "POST" and action == "search" and query and not results:
        form.other_query.errors.append("No other pupils at your school match that name or UPN")
    return _render_step(step, draft, form, results=results, more=more, searched=bool(query),
                        added=flow.other_pupils(current_user, draft))


def _keep_next() -> dict:
    return {"next": "check"} if request.args.get("next") == "check" else {}


def _attachments_step(step: str, draft, fields: dict):
    form = forms.AttachmentsForm()
    if request.method == "GET" and request.args.get("too_large"):
        form.files.errors = [too_large_message()]  # the upload was over the request limit (below)
    action = request.form.get("action", "continue")
    if request.method == "POST" and form.validate_on_submit():
        if action.startswith("remove:"):
            drafts.remove_draft_file(current_user, draft, action.partition(":")[2])
            return redirect(step_url(step, **_keep_next()))
        uploads = [f for f in request.files.getlist("files") if f and f.filename]
        if action == "upload" and not uploads:
            form.files.errors = ["Select a file to upload"]
        refusals = drafts.attach_files(current_user, draft, uploads)
        if refusals:
            form.files.errors = [*form.files.errors, *refusals]
        if not form.files.errors:
            if action == "continue":
                return _after_valid_step(step, fields)
            return redirect(step_url(step, **_keep_next()))
    return _render_step(step, draft, form, files=flow.draft_files(current_user, draft),
                        allowed=allowed_description())


STEP_HANDLERS = {"pupil": _pupil_step, "others": _others_step, "attachments": _attachments_step}


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error):
    """A file over the request limit is refused before the form is read: back to the attachment
    step with the error (the draft is kept: nothing of the post was saved), not a bare 413 page."""
    if request.endpoint == "concerns.step" and (request.view_args or {}).get("slug") == "attachments":
        return redirect(step_url("attachments", too_large=1, **_keep_next()), code=303)
    return render_error(413)


@bp.post("/new/autosave")
@accepts_json
@keeps_typing(lambda user: _park_autosave(user), lambda: None)
@requires("concern:log")
@background
def autosave():
    """What the user is typing, saved as they go (JSON; the CSRF token comes in a header).

    A background request: it never counts as activity for the session's idle timeout.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or payload.get("step") not in drafts.STEP_FIELDS \
            or payload.get("step") == drafts.CORRECTION_STEP or not isinstance(payload.get("fields"), dict):
        return jsonify(saved=False), 400
    drafts.autosave(current_user, payload["step"], payload["fields"])
    return jsonify(saved=True)


@bp.get("/new/check")
@requires("concern:log")
def check():
    draft = drafts.open_draft(current_user)
    try:
        answers = forms.answers(current_user, draft)
    except flow.Incomplete as incomplete:
        flash("Some answers are missing or need changing. Check this page.", "info")
        return redirect(step_url(incomplete.step, errors="1", next="check"))
    form = forms.SubmitForm(token=drafts.token(draft))
    return render_template("concerns/check.html", answers=answers, form=form,
                           fields=drafts.fields(draft), steps=flow.steps_for(drafts.fields(draft)),
                           options=options, step_url=step_url)


@bp.post("/new/submit")
@requires("concern:log")
@reshows_form_on_csrf_failure
def submit():
    form = forms.SubmitForm()
    if not form.validate_on_submit():
        # An expired page: nothing was sent. The draft is untouched; check and send again.
        flash("This page had expired, so the concern was not sent. Check your answers and send it again.", "info")
        return redirect(url_for("concerns.check"))
    token = form.token.data
    existing = service.concern_by_token(token)
    draft = drafts.draft_for(current_user, create=False)
    answers = None
    if existing is None and draft is not None and drafts.token(draft) == token:
        try:
            answers = forms.answers(current_user, draft)
        except flow.Incomplete as incomplete:
            return redirect(step_url(incomplete.step, errors="1", next="check"))
    try:
        concern, created = service.submit(current_user, draft, token, answers)
    except service.StaleSubmission:
        flash("That concern has already been sent, or the page was out of date. Check your concerns below.", "info")
        return redirect(url_for("concerns.index"))
    return redirect(url_for("concerns.logged", concern_id=concern.id))


@bp.get("/<uuid:concern_id>/logged")
@requires("concern:view")
def logged(concern_id: uuid.UUID):
    concern = service.get_concern_for(current_user, concern_id)
    return render_template("concerns/logged.html", concern=concern)


# --- a concern --------------------------------------------------------------------------------


@bp.get("/<uuid:concern_id>")
@requires("concern:view")
def show(concern_id: uuid.UUID):
    concern = service.view_concern(current_user, concern_id)
    links = list(concern.pupils)
    pupils = service.pupils_by_id([concern.pupil_id] + [link.pupil_id for link in links])
    people = service.users_by_id(
        [concern.logged_by_id] + [v.created_by_id for v in concern.versions] + [r.reviewer_id for r in concern.reviews]
    )
    files = service.files_of(concern)
    return render_template(
        "concerns/show.html",
        concern=concern,
        latest=concern.latest,
        content=concern.latest.content,
        links=_subject_first(links, concern),
        pupils=pupils,
        people=people,
        files=files,
        options=options,
        can_review=can(current_user, "concerns:review", concern),
        can_correct=can(current_user, "concern:correct", concern),
        can_refer=can(current_user, "referrals:start", pupils.get(concern.pupil_id)),
    )


def _subject_first(links: list[ConcernPupil], concern) -> list[ConcernPupil]:
    return sorted(links, key=lambda link: (link.pupil_id != concern.pupil_id, link.role))


@bp.get("/<uuid:concern_id>/attachments/<uuid:attachment_id>")
@requires("concern:view")
def attachment(concern_id: uuid.UUID, attachment_id: uuid.UUID):
    concern = service.get_concern_for(current_user, concern_id)
    stored = service.attachment_of(concern, attachment_id)
    return attachment_response(stored, "concern:view", concern)


# --- corrections ------------------------------------------------------------------------------


@bp.route("/<uuid:concern_id>/correct", methods=["GET", "POST"])
@keeps_typing(lambda user, concern_id: _park_correction(user, concern_id),
              lambda concern_id: url_for("concerns.correct", concern_id=concern_id))
@requires("concern:correct")
@reshows_form_on_csrf_failure
def correct(concern_id: uuid.UUID):
    concern = service.get_concern_for(current_user, concern_id, action="concern:correct")
    if request.method == "POST":
        form = forms.CorrectionForm()
        body_map = forms.BodyMapForm(meta={"csrf": False})
        valid = form.validate_on_submit()
        marks_valid = not (request.form.getlist("body_regions")) or body_map.validate()
        if _posted(form):
            correction = None
            if valid and marks_valid:
                occurred_at, content = forms.content_of(form, form, form, body_map.marks() if request.form.getlist("body_regions") else [])
                correction = {"occurred_at": occurred_at, "content": content, "reason": form.change_reason.data}
            if service.save_correction(current_user, concern, request.form, correction) is not None:
                flash("Your correction has been saved. The earlier version is kept in the history.", "success")
                return redirect(url_for("concerns.show", concern_id=concern.id))
        draft = drafts.open_correction(current_user, concern)
    else:
        draft = drafts.open_correction(current_user, concern)
        fields = drafts.fields(draft)
        form = forms.form_over(forms.CorrectionForm, fields)
        body_map = forms.form_over(forms.BodyMapForm, fields)
    kept = drafts.take_kept_flag(draft)
    pupil = service.pupils_by_id([concern.pupil_id]).get(concern.pupil_id)
    return render_template(
        "concerns/correct.html", form=form, body_map=body_map, concern=concern, pupil=pupil, kept=kept,
        autosave_url=url_for("concerns.correction_autosave", concern_id=concern.id),
    )


@bp.post("/<uuid:concern_id>/correct/autosave")
@accepts_json
@keeps_typing(lambda user, concern_id: _park_correction(user, concern_id), lambda concern_id: None)
@requires("concern:correct")
@background
def correction_autosave(concern_id: uuid.UUID):
    concern = service.get_concern_for(current_user, concern_id, action="concern:correct")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("fields"), dict):
        return jsonify(saved=False), 400
    drafts.autosave(current_user, drafts.CORRECTION_STEP, payload["fields"], concern=concern)
    return jsonify(saved=True)


# --- DSL review -------------------------------------------------------------------------------


@bp.get("/review")
@requires("concerns:review")
def review_queue():
    concerns, pupils, people = service.review_queue_page(current_user)
    return render_template("concerns/review_queue.html", concerns=concerns, pupils=pupils, people=people)


@bp.route("/<uuid:concern_id>/review", methods=["GET", "POST"])
@requires("concerns:review")
@reshows_form_on_csrf_failure
def review(concern_id: uuid.UUID):
    form = forms.ReviewForm()
    if form.validate_on_submit():
        concern = service.get_concern_for(current_user, concern_id, action="concerns:review")
        service.review(current_user, concern, form.outcome.data, form.reasons.data)
        flash(f"Review saved: {options.OUTCOME_LABELS[form.outcome.data]}.", "success")
        return redirect(url_for("concerns.show", concern_id=concern.id))
    concern = service.open_review(current_user, concern_id)
    pupil = service.pupils_by_id([concern.pupil_id]).get(concern.pupil_id)
    return render_template("concerns/review.html", form=form, concern=concern, pupil=pupil,
                           content=concern.latest.content, options=options)


# --- template helpers -------------------------------------------------------------------------


@bp.context_processor
def _concern_lists():
    return {
        "category_labels": options.CATEGORY_LABELS,
        "role_labels": options.ROLE_LABELS,
        "outcome_labels": options.OUTCOME_LABELS,
        "body_regions": options.BODY_REGIONS,
        "body_region_labels": options.BODY_REGION_LABELS,
    }


@bp.app_template_filter("concern_text")
def concern_text(value: str | None):
    """Text as typed, escaped, with its line breaks kept."""
    return Markup("<br>").join(escape(line) for line in (value or "").splitlines())


@bp.app_template_filter("iso_datetime")
def iso_datetime(value: str | None):
    return datetime.fromisoformat(value) if value else None


@bp.app_template_global()
def concerns_awaiting_review() -> int | None:
    """For the home page: how many of the school's concerns await review (None if not a reviewer)."""
    if not can(current_user, "concerns:review"):
        return None
    return service.awaiting_review_count(current_user.school_id)
