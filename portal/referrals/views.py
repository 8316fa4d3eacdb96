"""Referral pages: start, the task list and its question pages, check your answers, submit,
and the school's view of its referrals as they move through the LA's triage.

A partner agency's referral (started from the agency's home, portal.agencies) uses the same
pages: the area's action "referrals:work" lets a school's leads and an agency's referrers in, and
the service answers "not found" for any referral that is not theirs."""

from __future__ import annotations

import uuid
from datetime import date
from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.domain_errors import NotFound
from portal.errors import reshows_form_on_csrf_failure
from portal.policy import requires
from portal.referrals import answers as referral_answers
from portal.referrals import choices
from portal.referrals import form_definition, forms, sections
from portal.referrals import service as referrals
from portal.referrals.duty import duty_line_for
from portal.referrals.models import Referral, ReferralStatus
from portal.templating import uk_date
from portal.updates.service import updates_for_referral

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

# The school's list and its start page are the school's; the form's pages are every referrer's.
MANAGE = "referrals:manage"
WORK = "referrals:work"


def _uuid_args(name: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(value) for value in request.args.getlist(name)]
    except ValueError:
        raise NotFound() from None


def _context(referral: Referral, **extra):
    """What every referral page shows: the child's name, the school's LA, its duty line."""
    child = referral.form.get("child") or {}
    la = referrals.local_authority_of(referral)
    return {
        "referral": referral,
        "child_name": f"{child.get('preferred_name') or child.get('legal_forename', '')} {child.get('legal_surname', '')}".strip()
                      or "a child",
        "la": la,
        "back_to": url_for("agencies.home") if referral.from_agency else url_for("referrals.index"),
        "back_text": "Back to your referrals" if referral.from_agency else "Back to your school’s referrals",
        "duty_line": duty_line_for(la.code if la else None),
        "status_text": sections.STATUS_TEXT,
        "status_classes": sections.STATUS_TAG_CLASSES,
        **extra,
    }


def editing(section: str):
    """For the pages that change a draft: load it (audited view), refuse once it is submitted."""

    def decorate(view):
        @wraps(view)
        def wrapped(referral_id: uuid.UUID, **kwargs):
            try:
                # The view and a refusal stay in the audit trail.
                referral = referrals.open_draft(current_user, referral_id, page=section)
                return view(referral, **kwargs)
            except referrals.ReferralLocked as refused:
                # Submitted already, or (in another tab) between loading the page and saving it.
                flash(refused.message, "important")
                return redirect(url_for("referrals.show", referral_id=referral_id))

        return wrapped

    return decorate


def _saved(referral: Referral, to: str | None = None):
    return redirect(to or url_for("referrals.task_list", referral_id=referral.id))


# --- list and start ------------------------------------------------------------------------------


@bp.get("")
@requires(MANAGE)
def index():
    rows = referrals.school_referrals(current_user)
    return render_template("referrals/index.html", rows=rows, status_text=sections.STATUS_TEXT,
                           status_classes=sections.STATUS_TAG_CLASSES)


@bp.route("/new", methods=["GET", "POST"])
@requires(MANAGE)
@reshows_form_on_csrf_failure
def start():
    pupil_ids = _uuid_args("pupil")
    if len(pupil_ids) != 1:
        raise NotFound()
    pupil = referrals.pupil_for_referral(current_user, pupil_ids[0])
    concerns = referrals.pupil_concerns(pupil)
    form = forms.StartForm()
    form.concerns.choices = [(str(c.id), referrals.concern_label(c)) for c in concerns]
    if request.method == "GET":
        chosen = {str(cid) for cid in _uuid_args("concern")}
        if not chosen <= {value for value, _ in form.concerns.choices}:
            raise NotFound()
        form.concerns.data = sorted(chosen)
        form.start_token.data = referrals.new_start_token()
    elif form.validate_on_submit():
        referral = referrals.start_referral(
            current_user, pupil, concern_ids=[uuid.UUID(v) for v in form.concerns.data or []],
            start_token=form.start_token.data or None,
        )
        return redirect(url_for("referrals.immediate_risk", referral_id=referral.id))
    drafts = referrals.drafts_for_pupil(pupil)
    return render_template("referrals/start.html", form=form, pupil=pupil, drafts=drafts)


# --- the referral, its task list and check your answers ------------------------------------


def _answers(referral: Referral):
    concerns = referrals.linked_concerns(referral)
    return referral_answers.section_answers(referral.form, [referrals.concern_label(c) for c in concerns],
                                            referrals.sections_of(referral))


@bp.get("/<uuid:referral_id>")
@requires(WORK)
def show(referral_id: uuid.UUID):
    referral = referrals.get_referral_for(current_user, referral_id, page="referral")
    return render_template(
        "referrals/show.html",
        **_context(
            referral,
            events=referrals.events_with_people(referral),
            answers=_answers(referral),
            updates=updates_for_referral(current_user, referral),
        ),
    )


@bp.get("/<uuid:referral_id>/task-list")
@requires(WORK)
@editing("task_list")
def task_list(referral: Referral):
    form = referral.form
    all_sections = referrals.sections_of(referral)
    incomplete = sections.incomplete_sections(form, all_sections)
    return render_template(
        "referrals/task_list.html",
        **_context(referral, sections=all_sections, section_status=lambda key: sections.section_status(form, key),
                   incomplete=incomplete),
    )


@bp.route("/<uuid:referral_id>/check-answers", methods=["GET", "POST"])
@requires(WORK)
@reshows_form_on_csrf_failure
def check_answers(referral_id: uuid.UUID):
    referral = referrals.get_referral_for(current_user, referral_id, page="check_answers")
    if referral.status != ReferralStatus.DRAFT:
        return redirect(url_for("referrals.confirmation", referral_id=referral.id))
    form = forms.SubmitReferralForm()
    if form.validate_on_submit():
        try:
            referral = referrals.submit_referral(referral, current_user)
        except referrals.ReferralIncomplete as error:
            flash(error.message, "important")
            return redirect(url_for("referrals.task_list", referral_id=referral_id))
        return redirect(url_for("referrals.confirmation", referral_id=referral.id))
    if sections.incomplete_sections(referral.form, referrals.sections_of(referral)):
        flash("Complete every section before you check your answers", "important")
        return redirect(url_for("referrals.task_list", referral_id=referral.id))
    return render_template("referrals/check_answers.html", **_context(referral, form=form, answers=_answers(referral)))


@bp.get("/<uuid:referral_id>/confirmation")
@requires(WORK)
def confirmation(referral_id: uuid.UUID):
    referral = referrals.get_referral_for(current_user, referral_id, page="confirmation")
    if referral.status == ReferralStatus.DRAFT:
        return redirect(url_for("referrals.task_list", referral_id=referral.id))
    return render_template("referrals/confirmation.html", **_context(referral))


# --- the sections -------------------------------------------------------------------------------


def _question_page(referral: Referral, form, *, title: str, key: str, single_question: bool = False,
                   field_params: dict | None = None, intro: str | None = None):
    return render_template(
        "referrals/question.html",
        **_context(referral, form=form, title=title, section_key=key, single_question=single_question,
                   field_params=field_params or {}, intro=intro),
    )


@bp.get("/<uuid:referral_id>/immediate-risk/call-now")
@requires(WORK)
def call_now(referral_id: uuid.UUID):
    """Shown at once when the school says the child is at immediate risk: phone first."""
    referral = referrals.get_referral_for(current_user, referral_id, page="call_now")
    return render_template("referrals/call_now.html", **_context(referral))


def section_page(referral: Referral, section_key: str):
    """Any section's question page (all but the household list): the definition's questions,
    saved as its answers."""
    section = {s.key: s for s in referrals.sections_of(referral)}[section_key]
    form_class = forms.question_form(section.key, referral.from_agency)
    saved = dict(referral.form.get(section.key) or {})
    if section.links_concerns:
        saved["concerns"] = [str(cid) for cid in referrals.linked_concern_ids(referral)]
    form = form_class() if request.method == "POST" else form_class(data=section.form_data(saved) | (
        {"concerns": saved["concerns"]} if section.links_concerns else {}))
    if section.links_concerns:
        form.concerns.choices = [(str(c.id), referrals.concern_label(c))
                                 for c in referrals.pupil_concerns(referrals.pupil_of(referral))]
    for f in section.fields:
        if f.choices_from == "la_schools":
            # The council's schools by name only (a partner agency saying which school the child attends).
            form[f.key].choices = [("", "Not known, or not listed")] + referrals.school_names(referral.local_authority_id)
    if form.validate_on_submit():
        answers = section.answers_from(form)
        if section.links_concerns:
            referrals.save_reasons(referral, current_user, answers, [uuid.UUID(v) for v in form.concerns.data or []])
        else:
            referrals.save_section(referral, current_user, section.key, answers)
        following = section.next_page(answers) if section.next_page else None
        return _saved(referral, url_for(following, referral_id=referral.id) if following else None)
    if section.links_concerns and not form.concerns.choices:
        del form.concerns
    return _question_page(referral, form, title=section.page_title, key=section.key,
                          single_question=section.single_question, intro=section.intro,
                          field_params=forms.field_params(section.fields))


def _register_section_pages() -> None:
    """One view, a URL and endpoint per section (the URLs and endpoint names as they always were)."""
    for section in form_definition.QUESTION_PAGES:
        view = requires(WORK)(reshows_form_on_csrf_failure(editing(section.key)(section_page)))
        bp.add_url_rule(f"/<uuid:referral_id>{section.path}", endpoint=section.endpoint.split(".", 1)[1],
                        view_func=view, methods=["GET", "POST"], defaults={"section_key": section.key})


_register_section_pages()


@bp.route("/<uuid:referral_id>/household", methods=["GET", "POST"])
@requires(WORK)
@reshows_form_on_csrf_failure
@editing("household")
def household(referral: Referral):
    status = sections.section_status(referral.form, "household")
    form = forms.HouseholdCompleteForm() if request.method == "POST" else forms.HouseholdCompleteForm(
        data={"complete": "yes" if status == sections.COMPLETED else None})
    if form.validate_on_submit():
        try:
            referrals.complete_household(referral, current_user, form.complete.data == "yes")
        except referrals.ReferralLocked:
            raise
        except referrals.ReferralError as error:
            form.complete.errors.append(error.message)
        else:
            return _saved(referral)
    return render_template("referrals/household.html",
                           **_context(referral, form=form, members=referrals.household_members(referral),
                                      labels=choices.ANSWER_LABELS, answers_needed=referrals.answers_needed,
                                      contacts=referrals.mis_contacts(current_user, referral)))


@bp.post("/<uuid:referral_id>/household/from-mis/<uuid:contact_id>")
@requires(WORK)
@editing("household")
def add_household_contact(referral: Referral, contact_id: uuid.UUID):
    """A contact from the school's MIS added to the household, then the person's page to answer
    what the MIS does not say (a second press adds nobody and shows the same person)."""
    if not forms.AddContactForm().validate_on_submit():
        return _saved(referral, url_for("referrals.household", referral_id=referral.id))
    member_id = referrals.add_household_contact(referral, current_user, contact_id)
    flash("Added to the household. Check their details and answer the questions your MIS does not hold.",
          "success")
    return redirect(url_for("referrals.change_household_member", referral_id=referral.id, member_id=member_id))


def _member_answers(form) -> dict:
    return form_definition.HOUSEHOLD.answers_from(form)


@bp.route("/<uuid:referral_id>/household/add", methods=["GET", "POST"])
@requires(WORK)
@reshows_form_on_csrf_failure
@editing("household")
def add_household_member(referral: Referral):
    form = forms.HouseholdMemberForm()
    if form.validate_on_submit():
        referrals.save_household_member(referral, current_user, _member_answers(form))
        return _saved(referral, url_for("referrals.household", referral_id=referral.id))
    return _question_page(referral, form, title="Add a person in the child’s household", key="household",
                          field_params=_member_params())


def _member_params():
    return forms.field_params(form_definition.HOUSEHOLD_MEMBER)


@bp.route("/<uuid:referral_id>/household/<uuid:member_id>/change", methods=["GET", "POST"])
@requires(WORK)
@reshows_form_on_csrf_failure
@editing("household")
def change_household_member(referral: Referral, member_id: uuid.UUID):
    saved = referrals.household_member(referral, str(member_id))
    form = forms.HouseholdMemberForm() if request.method == "POST" else forms.HouseholdMemberForm(
        data=form_definition.HOUSEHOLD.form_data(saved))
    if form.validate_on_submit():
        referrals.save_household_member(referral, current_user, _member_answers(form), str(member_id))
        return _saved(referral, url_for("referrals.household", referral_id=referral.id))
    return _question_page(referral, form, title="Change a person in the child’s household", key="household",
                          field_params=_member_params())


@bp.route("/<uuid:referral_id>/household/<uuid:member_id>/remove", methods=["GET", "POST"])
@requires(WORK)
@editing("household")
def remove_household_member(referral: Referral, member_id: uuid.UUID):
    member = referrals.household_member(referral, str(member_id))
    form = forms.ConfirmRemoveForm()
    if form.validate_on_submit():
        referrals.remove_household_member(referral, current_user, str(member_id))
        return _saved(referral, url_for("referrals.household", referral_id=referral.id))
    return render_template("referrals/remove_member.html", **_context(referral, form=form, member=member))


@bp.app_template_filter("iso_uk_date")
def iso_uk_date(value: str | None) -> str:
    """'2014-03-09' (as the form document keeps dates) as '9 March 2014'."""
    return uk_date(date.fromisoformat(value)) if value else ""
