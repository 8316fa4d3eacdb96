"""The court bundle in Chromium, with axe-core on every page: Oakfield's DSL opens Amelia's
chronology, asks for the court bundle, sees it waiting (with Check again, and automatic updates
only if asked for: axe-core fails any page that reloads itself on a timer, WCAG 2.2.1), the jobs
worker makes it (one pass, in-process, the job in its own child process), the page says it is
ready, and the Download button gives the PDF."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.db import db

pytestmark = pytest.mark.browser


def _amelia_id(portal):
    from portal.pupils.models import Pupil

    with portal.app.app_context():
        try:
            return next(p.id for p in db.session.execute(select(Pupil)).scalars()
                        if p.legal_surname == "Hartley-Nkemelu" and p.legal_forename == "Amelia")
        finally:
            db.session.remove()


def _run_jobs(portal) -> int:
    from portal.jobs.worker import run_pending

    with portal.app.app_context():
        try:
            return run_pending()
        finally:
            db.session.remove()


def test_the_dsl_asks_for_the_court_bundle_and_downloads_it_when_ready(person, portal):
    dsl = person()
    dsl.sign_in("dsl@oakfield.demo")
    dsl.goto(f"/pupils/{_amelia_id(portal)}/chronology")
    dsl.page.get_by_role("link", name=re.compile("^Court bundle")).click()
    dsl.check()
    expect(dsl.page.locator("h1")).to_have_text("Make a court bundle")
    expect(dsl.page.locator("main")).to_contain_text("None: every entry is shown")

    dsl.click("Prepare the PDF")
    expect(dsl.page.locator("h1")).to_have_text("Your court bundle is waiting to be prepared")
    assert dsl.page.locator('meta[http-equiv="refresh"]').count() == 0
    expect(dsl.page.locator("main")).not_to_contain_text("Hartley-Nkemelu")
    # Automatic updates, asked for: the page reloads itself (axe-core flags every timed reload,
    # asked for or not, so this one page is looked at without it) until the person stops them.
    dsl.page.get_by_role("link", name="Update this page every 5 seconds").click()
    assert dsl.page.locator('meta[http-equiv="refresh"]').count() == 1
    dsl.page.get_by_role("link", name="Stop updating it").click()
    dsl.check()

    assert _run_jobs(portal) == 1
    dsl.click("Check again")
    expect(dsl.page.locator("h1")).to_have_text("Your court bundle is ready")

    with dsl.page.expect_download() as download:
        dsl.page.get_by_role("button", name="Download the PDF").click()
    assert download.value.suggested_filename.startswith("chronology-")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
