"""The council's school calendar in Chromium, with axe-core on every page: Northshire's LA admin
sees the demo's 2026/27 holidays, gets the GOV.UK errors for an end before the start, adds a
closure in the next academic year and removes it; Oakfield's DSL sees on the closed-days page that
the school follows the council's term dates, and the question's error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.admin.council_calendar import academic_years

pytestmark = pytest.mark.browser


def _date(visitor, question: str, day) -> None:
    group = visitor.page.get_by_role("group", name=question)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_the_council_sets_its_calendar_and_a_school_sees_it(person):
    admin = person()
    admin.sign_in("admin@northshire.demo")
    admin.click("School calendar (term holidays)", role="link")
    expect(admin.page.locator("h1")).to_have_text("School calendar")
    expect(admin.page.locator("table")).to_contain_text("Christmas holiday")
    # Far from today's clocks: a closure in the next academic year.
    first = academic_years()[1] - timedelta(days=90)
    admin.fill("Name", "Polling day closure")
    _date(admin, "First day of the holiday", first + timedelta(days=1))
    _date(admin, "Last day of the holiday", first)
    admin.click("Add holiday")
    expect(admin.page.locator(".govuk-error-summary")).to_contain_text("The last day must be the same as or after the first day")
    expect(admin.page.get_by_label("Name", exact=True)).to_have_value("Polling day closure")
    _date(admin, "Last day of the holiday", first + timedelta(days=1))
    admin.click("Add holiday")
    expect(admin.page.locator(".govuk-notification-banner")).to_contain_text("Polling day closure has been added")
    admin.page.get_by_role("button", name="Remove Polling day closure").click()
    admin.check()
    expect(admin.page.locator("table")).not_to_contain_text("Polling day closure")

    dsl = person()
    dsl.sign_in("dsl@oakfield.demo")
    dsl.goto("/transfers/closed-days")
    expect(dsl.page.locator("main")).to_contain_text("follows Northshire’s term dates")
    dsl.page.get_by_text("The council’s holidays").click()
    expect(dsl.page.locator("details")).to_contain_text("February half term")
    dsl.choose("Are your term dates the council’s?", "Yes")
    dsl.click("Save term dates")
    expect(dsl.page.locator(".govuk-notification-banner")).to_contain_text("follows the council’s term dates")
    admin.assert_accessible()
    dsl.assert_accessible()
