"""The main journeys in Chromium, as a person would walk them: by labels and button text, with
axe-core run on every page visited (the `person` fixture fails the test on any WCAG 2.2 A/AA
violation, naming the rule and the page).

The tests run in file order and build on one another through the shared demo database: the concern
logged by staff is the one the DSL refers, triage decides and the DSL reads the feedback of.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_dsl_signs_in_with_a_code_after_an_empty_form_is_refused(person):
    dsl = person()
    dsl.goto("/sign-in")
    dsl.click("Sign in")  # submitted empty: the error summary and messages
    expect(dsl.page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    dsl.screenshot("01-sign-in-errors")
    dsl.fill("Email address", "dsl@oakfield.demo")
    dsl.fill("Password", "demo-Portal-2026")
    dsl.click("Sign in")
    dsl.page.wait_for_url("**/sign-in/code")
    dsl.click("Continue")  # no code
    expect(dsl.page.locator(".govuk-error-summary")).to_be_visible()
    dsl.screenshot("02-sign-in-code")
    import pyotp

    dsl.clock.next_totp_step()
    dsl.fill("Security code", pyotp.TOTP("DEMODEMODEMODEMODEMODEMODEMODEMO").at(dsl.clock.now()))
    dsl.click("Continue")
    dsl.page.wait_for_url("**/home")
    dsl.check()
    expect(dsl.page.locator("h1")).to_be_visible()
    dsl.screenshot("03-home-dsl")


ACCOUNT = "Amelia said there was no food at home again and she was hungry all weekend"


def _yesterday():
    from datetime import date, timedelta

    return date.today() - timedelta(days=1)


def log_a_concern(staff, *, screenshots: bool) -> None:
    """Staff log a concern about Amelia, page by page, to the confirmation panel."""
    staff.goto("/concerns/new")
    staff.fill("Pupil’s name or UPN", "Amelia")
    staff.click("Search")
    staff.page.get_by_label(re.compile("Amelia")).first.check()
    if screenshots:
        staff.screenshot("04-concern-pupil")
    staff.click("Continue")

    staff.click("Continue")  # the when-and-where page submitted empty
    expect(staff.page.locator(".govuk-error-summary")).to_contain_text("Enter the date it happened")
    if screenshots:
        staff.screenshot("05-concern-when-errors")
    day = _yesterday()
    staff.fill("Day", str(day.day))
    staff.fill("Month", str(day.month))
    staff.fill("Year", str(day.year))
    staff.fill("Time it happened", "10:15")
    staff.fill("Where it happened", "Year 5 classroom")
    staff.click("Continue")

    staff.page.get_by_label("Neglect", exact=True).check()
    staff.click("Continue")

    staff.fill("What did you see or hear?", ACCOUNT)
    staff.fill("What did you do?", "Listened, gave her breakfast club toast and told her I would tell the DSL")
    staff.click("Continue")

    staff.page.get_by_label("No", exact=True).check()
    staff.click("Continue")

    expect(staff.page.locator("h1")).to_contain_text("Check")
    if screenshots:
        staff.screenshot("06-concern-check")
    staff.click("Log concern")
    expect(staff.page.locator(".govuk-panel--confirmation")).to_be_visible()
    if screenshots:
        staff.screenshot("07-concern-logged")


def test_staff_log_a_concern_to_the_confirmation_panel(person):
    staff = person()
    staff.sign_in("staff@oakfield.demo")
    log_a_concern(staff, screenshots=True)
