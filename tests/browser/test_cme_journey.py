"""An off-roll notice in Chromium, with axe-core on every page: Oakfield's DSL sends one about a
leaver (Zara, whose file waits at Riverside and who has a concern, so triage sees it too); the
Northshire CME officer asks a question, Oakfield answers, the officer closes it and Oakfield reads
the outcome. Closed, it leaves nothing on the home pages or the triage queue of later journeys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_off_roll_notice_from_oakfield_is_closed_by_the_cme_officer(person):
    dsl = person()
    dsl.sign_in("dsl@oakfield.demo")
    dsl.goto("/transfers/leavers")
    dsl.click("Send an off-roll notice about Zara Okonkwo", role="link")
    dsl.click("Start the notice")
    dsl.click("Continue")  # nothing chosen: the error summary
    expect(dsl.page.locator(".govuk-error-summary")).to_contain_text("Select the grounds for taking the pupil off roll")
    dsl.choose("On what grounds is the pupil leaving your admission register?",
               "Registered at another school (regulation 9(1)(a))")
    dsl.click("Continue")
    last = date.today() - timedelta(days=3)
    dsl.fill("Day", str(last.day))
    dsl.fill("Month", str(last.month))
    dsl.fill("Year", str(last.year))
    dsl.click("Continue")
    dsl.choose("Where has the pupil gone?", "Another school")
    dsl.fill("What do you know of where the pupil has gone?", "Riverside Academy, URN 938002")
    dsl.click("Continue")
    dsl.fill("What enquiries has the school made?", "Mother confirmed the move by phone; Riverside confirmed her place.")
    dsl.click("Continue")
    expect(dsl.page.locator("h1")).to_have_text("Check your answers before sending the notice")
    dsl.screenshot("70-off-roll-check-answers")
    dsl.click("Send the notice")
    expect(dsl.page.locator(".govuk-panel--confirmation")).to_contain_text("Off-roll notice sent")

    triage = person()
    triage.sign_in("triage@northshire.demo")
    triage.goto("/triage")
    expect(triage.page.locator("#off-roll-flags")).to_contain_text("Zara Okonkwo")
    triage.click("Zara Okonkwo", role="link")
    expect(triage.page.locator("#flag-reasons")).to_contain_text("read only")

    officer = person()
    officer.sign_in("cme@northshire.demo")
    expect(officer.page.locator("#cme-panel")).to_contain_text("1 off-roll notice has arrived")
    officer.click("Go to off-roll notices", role="link")
    officer.screenshot("71-cme-queue")
    officer.click("Zara Okonkwo", role="link")
    officer.fill("Ask the school a question", "Has Riverside confirmed her first day?")
    officer.click("Send the question")
    expect(officer.page.locator(".govuk-notification-banner")).to_contain_text("sent to the school")

    dsl.goto("/home")
    expect(dsl.page.locator("#worklist-off-roll")).to_contain_text("1 question waiting for your answer")
    dsl.click("Go to off-roll notices", role="link")
    dsl.click("Zara Okonkwo", role="link")
    dsl.fill("Your answer", "Yes: she starts on Monday.")
    dsl.click("Send your answer")

    officer.page.reload()
    officer.check()
    expect(officer.page.get_by_text("Yes: she starts on Monday.")).to_be_visible()
    officer.choose("Move the notice to", "Found: the child has been found; their education is being confirmed")
    officer.click("Change the status")
    officer.click("Close with an outcome", role="link")
    officer.choose("Close the notice with an outcome", "Found in education at another school")
    officer.fill("Details for the school", "On roll at Riverside Academy")
    officer.click("Close the notice")
    expect(officer.page.locator("#notice-outcome")).to_contain_text("Found in education at another school")

    dsl.goto("/cme/notices")
    expect(dsl.page.locator("#off-roll-notices")).to_contain_text("Found in education at another school")
    dsl.screenshot("72-off-roll-outcome-at-the-school")
    triage.goto("/triage")
    expect(triage.page.locator("#off-roll-flags")).to_have_count(0)
