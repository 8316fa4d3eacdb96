"""Operation Encompass in Chromium, with axe-core on every page: Northshire Police's notifier
records one notice for Amelia (Oakfield) and her brother (not in the portal), the mail worker's
routing runs, Oakfield's DSL finds it first on the home page and reads it, the police see only
"delivered" and "held" and the first read, and Northshire's key contact routes the brother's
notice to Riverside."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.db import db, utcnow
from portal.working_days import UK

pytestmark = pytest.mark.browser


def _date(visitor, question: str, day) -> None:
    group = visitor.page.get_by_role("group", name=question)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _child(visitor, forename: str, surname: str, born) -> None:
    visitor.fill("First name", forename)
    visitor.fill("Last name", surname)
    _date(visitor, "Date of birth", born)
    visitor.choose("How was the child affected?", "Present")
    visitor.choose("How was the child affected?", "Heard it")
    visitor.choose("Was the child injured?", "No")
    visitor.click("Save and continue")


def _route(portal) -> None:
    from portal.encompass.service import route_waiting

    with portal.app.app_context():
        try:
            route_waiting()
        finally:
            db.session.remove()


def test_a_notice_from_the_police_to_oakfield_and_the_key_contact(person, portal):
    from datetime import date

    police = person()
    police.sign_in("notifier@northshire-police.demo")
    police.click("Operation Encompass notices", role="link")
    expect(police.page.locator("h1")).to_have_text("Operation Encompass notices")
    police.click("Record a notice", role="button")
    police.click("Continue")  # nothing typed: the error summary
    expect(police.page.locator(".govuk-error-summary")).to_contain_text("Enter the police reference")
    police.check("incident errors")
    police.fill("Police reference", "NP/2026/005120")
    _date(police, "Date of the incident", (utcnow() - timedelta(days=1)).astimezone(UK).date())
    police.fill("Time of the incident", "23:05")
    police.click("Continue")
    expect(police.page.locator("h1")).to_have_text("Child 1")
    _child(police, "Amelia", "Hartley-Nkemelu", date(2014, 3, 9))
    expect(police.page.locator("h1")).to_have_text("Check the notice before sending it")
    police.click("Add another child", role="link")
    _child(police, "Jonah", "Hartley-Nkemelu", date(2019, 2, 14))
    police.click("Send notice")
    expect(police.page.locator(".govuk-notification-banner")).to_contain_text("Notice sent")
    expect(police.page.locator("[data-status]")).to_have_text(["Being passed on", "Being passed on"])

    _route(portal)
    police.page.reload()
    police.check()
    expect(police.page.locator("[data-status]")).to_have_text(["Delivered to the school", "Held by the council"])
    expect(police.page.locator("main")).not_to_contain_text("Oakfield")

    dsl = person()
    dsl.sign_in("dsl@oakfield.demo")
    section = dsl.page.locator("#worklist-encompass")
    expect(section).to_contain_text("Amelia Hartley-Nkemelu")
    section.get_by_role("link", name="Amelia Hartley-Nkemelu").click()
    dsl.check()
    expect(dsl.page.locator("h1")).to_have_text("Amelia Hartley-Nkemelu")
    expect(dsl.page.locator("main")).to_contain_text("NP/2026/005120")
    dsl.page.get_by_role("link", name=re.compile("chronology")).first.click()
    dsl.check()
    expect(dsl.page.locator("main")).to_contain_text("Operation Encompass notice from Northshire Police")

    police.page.reload()
    police.check()
    expect(police.page.locator("main")).not_to_contain_text("Oakfield")
    expect(police.page.locator("tbody tr").first).not_to_contain_text("Not yet")

    council = person()
    council.sign_in("encompass@northshire.demo")
    council.click("Operation Encompass register", role="link")
    expect(council.page.locator("#by-school + table, #by-school ~ table").first).to_contain_text("Oakfield Primary School")
    council.page.locator("#held ~ table").first.get_by_role("link").first.click()
    council.check()
    # Route whichever held notice opened first (the demo's, or Jonah's), then the other if it is Jonah's.
    name = council.page.locator("h1").inner_text()
    council.click("Route to this school")
    expect(council.page.locator(".govuk-error-summary")).to_contain_text("Select the child’s school")
    council.check("route errors")
    council.choose("Which school is the child at?", "Riverside Academy (938002)")
    council.click("Route to this school")
    expect(council.page.locator(".govuk-notification-banner")).to_contain_text("The notice has been sent to the school")
    assert name

    for visitor in (police, dsl, council):
        visitor.assert_accessible()
