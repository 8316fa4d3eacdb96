"""A pupil's chronology: the page, the printable view and the court bundle (PDF).

All read the same filters from the query string and show the same entries. Each is an audited
view of the child's record. The court bundle is asked for (after a recent re-authentication),
made by the jobs worker (portal.chronology.bundle), followed on its progress page and downloaded
when ready: the download is checked against the policy again and audited as the export.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.auth import session_store
from portal.chronology.document import MARKING, document_for
from portal.chronology.forms import ChronologyFilterForm
from portal.chronology import bundle
from portal.chronology.service import ChronologyRead, Filters, chronology_for, pupil_for, record_read, school_name
from portal.files import read_chunks
from portal.policy import requires
from portal.pupils.models import Pupil

bp = Blueprint("chronology", __name__)


def _filter_form() -> ChronologyFilterForm:
    return ChronologyFilterForm(formdata=MultiDict(request.args) if request.args else None)


def _filters_or_none(form: ChronologyFilterForm) -> Filters | None:
    """The filters asked for; none asked is no filter; None when the filters are wrong."""
    if not request.args:
        return Filters()
    return form.filters() if form.validate() else None


def _filter_args(filters: Filters) -> dict:
    """The query string that asks for `filters` (for links to the print view and the PDF)."""
    args: dict = {}
    if filters.categories:
        args["categories"] = sorted(filters.categories)
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value:
            args[name] = [str(value.day), str(value.month), str(value.year)]
    return args


def _entries(pupil: Pupil, filters: Filters):
    return chronology_for(
        pupil,
        current_user,
        categories=filters.categories,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )


@bp.get("/pupils/<uuid:pupil_id>/chronology")
@requires("chronology:view")
def page(pupil_id: uuid.UUID):
    pupil = pupil_for(current_user, pupil_id, "chronology:view")
    form = _filter_form()
    filters = _filters_or_none(form)
    entries = _entries(pupil, filters) if filters is not None else None
    record_read(ChronologyRead.VIEW, pupil, filters, None if filters is not None else "bad_filters")
    return render_template(
        "chronology/page.html",
        pupil=pupil,
        form=form,
        filters=filters,
        entries=entries,
        filter_args=_filter_args(filters) if filters is not None else {},
    )


@bp.get("/pupils/<uuid:pupil_id>/chronology/print")
@requires("chronology:view")
def printable(pupil_id: uuid.UUID):
    pupil = pupil_for(current_user, pupil_id, "chronology:view")
    filters = _filters_or_none(_filter_form())
    if filters is None:  # the page says what is wrong with them
        return redirect(url_for("chronology.page", pupil_id=pupil.id, **request.args.to_dict(flat=False)))
    document = document_for(pupil, school_name(pupil), _entries(pupil, filters), filters, current_user)
    record_read(ChronologyRead.PRINT, pupil, filters)
    return render_template(
        "chronology/print.html", pupil=pupil, doc=document, marking=MARKING, filter_args=_filter_args(filters)
    )


def _reauthenticate():
    """An export leaves the portal: the password and a code again unless recent."""
    return session_store.reauthentication_needed()


@bp.get("/pupils/<uuid:pupil_id>/chronology/court-bundle")
@requires("chronology:export")
def court_bundle(pupil_id: uuid.UUID):
    """What the court bundle will hold (the filters from the chronology page), and the button."""
    pupil = pupil_for(current_user, pupil_id, "chronology:export")
    again = _reauthenticate()
    if again is not None:
        return again
    filters = _filters_or_none(_filter_form())
    if filters is None:
        return redirect(url_for("chronology.page", pupil_id=pupil.id, **request.args.to_dict(flat=False)))
    record_read(ChronologyRead.VIEW, pupil, filters, "court_bundle")
    return render_template("chronology/court_bundle.html", pupil=pupil, filters=filters,
                           filter_args=_filter_args(filters))


@bp.post("/pupils/<uuid:pupil_id>/chronology/court-bundle")
@requires("chronology:export")
def ask_for_court_bundle(pupil_id: uuid.UUID):
    pupil = pupil_for(current_user, pupil_id, "chronology:export")
    again = _reauthenticate()
    if again is not None:
        return again
    form = ChronologyFilterForm(formdata=request.form)
    if not form.validate():  # tampered: the chronology page says what is wrong
        asked = {k: v for k, v in request.form.to_dict(flat=False).items() if k != "csrf_token"}
        return redirect(url_for("chronology.page", pupil_id=pupil.id, **asked))
    job = bundle.ask_for_court_bundle(pupil, form.filters(), current_user)
    return redirect(url_for("chronology.court_bundle_progress", pupil_id=pupil.id, job_id=job.id), code=303)


@bp.get("/pupils/<uuid:pupil_id>/chronology/court-bundle/<uuid:job_id>")
@requires("chronology:export")
def court_bundle_progress(pupil_id: uuid.UUID, job_id: uuid.UUID):
    """Queued, being prepared, ready (Download), or failed (what to do). While it is prepared the
    page has a Check again button; with `?auto=1` (the person's choice, which they can stop) it
    refreshes itself every few seconds (a meta refresh: the content security policy allows no
    script). Never unasked: a page that reloads on its own is a WCAG 2.2.1 failure (F41)."""
    pupil = pupil_for(current_user, pupil_id, "chronology:export")
    job = bundle.court_bundle_job(pupil, job_id)
    filters = bundle.bundle_filters(job)
    return render_template("chronology/court_bundle_progress.html", pupil=pupil, job=job, filters=filters,
                           filter_args=_filter_args(filters), auto=request.args.get("auto") == "1")


@bp.get("/pupils/<uuid:pupil_id>/chronology/court-bundle/<uuid:job_id>/download")
@requires("chronology:export")
def court_bundle_download(pupil_id: uuid.UUID, job_id: uuid.UUID):
    pupil = pupil_for(current_user, pupil_id, "chronology:export")
    bundle.court_bundle_job(pupil, job_id)  # another's job is a 404 before anything is asked
    again = _reauthenticate()
    if again is not None:
        return again
    stored = bundle.fetch_court_bundle(pupil, job_id)  # checked again and audited as the export
    response = Response(read_chunks(stored), content_type="application/pdf", direct_passthrough=True)
    response.headers["Content-Length"] = str(stored.size_bytes)
    # The file name carries no personal data: it ends up in download folders and mail clients.
    response.headers["Content-Disposition"] = f'attachment; filename="chronology-{pupil.id}.pdf"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
