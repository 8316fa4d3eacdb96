"""Driving the jobs worker from a test: one pass, in this process (each job still runs in the
child process the worker forks for it, as it does in production).

    run_jobs()                                        # what `flask jobs work` does once
    response = court_bundle(client, pupil)            # ask, run the worker, download: the PDF
"""

from __future__ import annotations

from portal.db import db
from portal.jobs.worker import run_pending


def run_jobs() -> int:
    ran = run_pending()
    db.session.expire_all()  # the child wrote the outcome: read it afresh
    return ran


def filter_form(query: dict | None) -> dict:
    """The chronology's filters as the court-bundle page posts them."""
    data: dict = {}
    for name, value in (query or {}).items():
        data[name] = value if isinstance(value, list) else [value]
    return data


def ask_for_court_bundle(client, pupil, query: dict | None = None):
    """Post the court-bundle page's form (`pupil`: a Pupil or its id); returns the response (a 303
    to the progress page)."""
    pupil_id = getattr(pupil, "id", pupil)
    return client.post(f"/pupils/{pupil_id}/chronology/court-bundle", data=filter_form(query))


def court_bundle(client, pupil, query: dict | None = None):
    """The court bundle as its requester gets it: asked for, made by one worker pass, downloaded."""
    asked = ask_for_court_bundle(client, pupil, query)
    assert asked.status_code == 303, asked.status_code
    run_jobs()
    progress = asked.headers["Location"]
    return client.get(f"{progress}/download")
