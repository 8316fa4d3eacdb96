"""A pupil's chronology: the page, the printable view and the PDF export.

All three read the same filters from the query string and show the same entries. Each is an
audited view of the child's record (the PDF as an export, after a recent re-authentication).
"""

from __future__ import annotations

import time
import uuid
import logging

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.auth import session_store
from portal.chronology.document import MARKING, document_for
from portal.chronology.forms import ChronologyFilterForm
from portal.chronology.pdf import render_pdf
from portal.chronology.service import ChronologyRead, Filters, chronology_for, pupil_for, record_read, school_name
from portal.policy import requires
from portal.pupils.models import Pupil

bp = Blueprint("chronology", __name__)
log = logging.getLogger(__name__)


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


@bp.get("/pupils/<uuid:pupil_id>/chronology.pdf")
@requires("chronology:export")
def pdf(pupil_id: uuid.UUID):
    pupil = pupil_for(current_user, pupil_id, "chronology:export")
    # An export leaves the portal: ask for the password and a code again unless recent.
    again = session_store.reauthentication_needed()
    if again is not None:
        return again
    filters = _filters_or_none(_filter_form())
    if filters is None:
        return redirect(url_for("chronology.page", pupil_id=pupil.id, **request.args.to_dict(flat=False)))
    document = document_for(pupil, school_name(pupil), _entries(pupil, filters), filters, current_user)
    started = time.perf_counter()
    content = render_pdf(render_template("chronology/pdf.html", doc=document, marking=MARKING))
    # Counts and timings only: nothing about the child.
    log.info("chronology pdf: %d entries in %.2fs", len(document.entries), time.perf_counter() - started)
    record_read(ChronologyRead.EXPORT, pupil, filters, "pdf_filtered" if filters.active else "pdf")
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    # The file name carries no personal data: it ends up in download folders and mail clients.
    response.headers["Content-Disposition"] = f'attachment; filename="chronology-{pupil.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
