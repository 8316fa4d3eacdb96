"""The court bundle: a pupil's chronology as a PDF, made by the jobs worker and fetched when ready.

    job = ask_for_court_bundle(pupil, filters, current_user)   # policy-checked, audited, one job per double-click
    job = court_bundle_job(pupil, job_id)                       # its progress (NotFound unless theirs)
    stored = fetch_court_bundle(pupil, job_id)                  # the PDF, checked and audited again now

A 100-page bundle takes seconds to lay out: too long for a request, and WeasyPrint's memory would
stay in the web worker. The page asks for a job and shows its progress; the jobs worker makes it
in a child process (`make_court_bundle`, registered from portal/wiring.py) and keeps the PDF
encrypted in the file store for 24 hours. The job holds the pupil's opaque id and the filters
(encrypted); its progress and the logs say only how many entries and pages.

Who may fetch it: the person who asked, or a safeguarding lead of their school (`jobs:result`),
and only while they may still export this pupil's chronology (`chronology:export`, checked
again at download time: someone whose role or school changed cannot fetch it).
"""

from __future__ import annotations

import uuid
from datetime import date

from flask import current_app

from portal import audit
from portal.chronology.document import MARKING, document_for
from portal.chronology.pdf import render_in_this_process, warm_up
from portal.chronology.service import ChronologyRead, Filters, chronology_for, school_name
from portal.db import db
from portal.domain_errors import NotFound
from portal.files.models import StoredFile
from portal.jobs import BackgroundJob, JobContext, JobKind, JobResult, job_for, register, result_of, submit
from portal.policy import can, require
from portal.pupils.models import Pupil
from portal.transaction import transactional

COURT_BUNDLE = "chronology.court_bundle"
# A chronology of 1,000 entries lays out in well under a minute.
BUNDLE_SECONDS = 600
# About how many dense entries fit on an A4 page (for the progress bar only).
ENTRIES_PER_PAGE = 3


class BundleNoLongerAllowed(Exception):
    """The requester may no longer export this chronology (or the pupil is gone): the job fails
    with this class's name, and nothing is made."""


def parameters_of(filters: Filters) -> dict:
    return {
        "categories": sorted(filters.categories),
        "date_from": filters.date_from.isoformat() if filters.date_from else None,
        "date_to": filters.date_to.isoformat() if filters.date_to else None,
    }


def filters_of(parameters: dict) -> Filters:
    def day(value):
        return date.fromisoformat(value) if value else None

    return Filters(
        categories=frozenset(parameters.get("categories") or ()),
        date_from=day(parameters.get("date_from")),
        date_to=day(parameters.get("date_to")),
    )


def _detail(filters: Filters) -> str:
    return "pdf_filtered" if filters.active else "pdf"


@transactional
def ask_for_court_bundle(pupil: Pupil, filters: Filters, viewer) -> BackgroundJob:
    """Queue the court bundle of `pupil`'s chronology with `filters` for `viewer` (or give back
    the same one already waiting: a double-click makes one job). Audited as asked for."""
    require("chronology:export", pupil)
    job, new = submit(COURT_BUNDLE, subject_id=pupil.id, parameters=parameters_of(filters), requested_by=viewer)
    if new:
        audit.record("chronology.export_asked", object_type="pupil", object_id=pupil.id, detail=_detail(filters))
    return job


def court_bundle_job(pupil: Pupil, job_id: uuid.UUID) -> BackgroundJob:
    """The job, for its progress page: NotFound unless the signed-in user may still export this
    pupil's chronology and is the one who asked (or a safeguarding lead of their school)."""
    require("chronology:export", pupil)
    return job_for(job_id, kind=COURT_BUNDLE, subject_id=pupil.id)


def bundle_filters(job: BackgroundJob) -> Filters:
    return filters_of(job.parameters or {})


@transactional
def fetch_court_bundle(pupil: Pupil, job_id: uuid.UUID) -> StoredFile:
    """The finished PDF (NotFound if not ready, swept, or no longer theirs), audited as the export
    of the chronology: the moment it leaves the portal."""
    job = court_bundle_job(pupil, job_id)
    stored = result_of(job)
    if stored is None:
        raise NotFound()
    audit.record(ChronologyRead.EXPORT, object_type="pupil", object_id=pupil.id, detail=_detail(bundle_filters(job)))
    return stored


# --- the job itself (in the jobs worker's child process) ---------------------------------------


def bundle_html(document) -> str:
    """The bundle's HTML, from the template the printable view shares (no request needed)."""
    return current_app.jinja_env.get_template("chronology/pdf.html").render(doc=document, marking=MARKING)


def make_court_bundle(context: JobContext) -> JobResult:
    pupil = db.session.get(Pupil, context.subject_id) if context.subject_id else None
    viewer = context.requested_by
    if pupil is None or viewer is None or not can(viewer, "chronology:export", pupil):
        raise BundleNoLongerAllowed()
    filters = filters_of(context.parameters)
    context.progress("Gathering the chronology", 5)
    entries = chronology_for(pupil, viewer, categories=filters.categories, date_from=filters.date_from,
                             date_to=filters.date_to)
    html = bundle_html(document_for(pupil, school_name(pupil), entries, filters, viewer))
    pupil_id = pupil.id
    expected_pages = max(1, len(entries) // ENTRIES_PER_PAGE)
    context.progress(f"Laying out {len(entries)} entries", 10)
    reported = [0]

    def on_page(number: int) -> None:
        if number - reported[0] >= 5:  # a row update every few pages, not every page
            reported[0] = number
            context.progress(f"Laid out {number} pages", 10 + min(80, 80 * number // expected_pages))

    content = render_in_this_process(html, on_page)
    context.progress("Saving the PDF", 95)
    # The file name carries no personal data: it ends up in download folders and mail clients.
    return JobResult(content=content, filename=f"chronology-{pupil_id}.pdf")


def register_court_bundle() -> None:
    """Called from portal/wiring.py: the jobs worker learns how to make a court bundle."""
    register(JobKind(name=COURT_BUNDLE, run=make_court_bundle, warm_up=warm_up, seconds=BUNDLE_SECONDS))
