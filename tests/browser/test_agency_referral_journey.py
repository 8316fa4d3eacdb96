"""A GP practice's professional refers a child to Northshire in Chromium, Northshire's triage
worker finds it by source and decides it, and the practice reads the feedback: axe-core on every
page each of them sees."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FEEDBACK = "A social worker will visit the family this week; thank you for telling us."


def _save(visitor, task_list: str) -> None:
    visitor.click("Save and continue")
    visitor.page.wait_for_url(task_list)


def test_a_gp_refers_triage_decides_and_the_practice_reads_the_feedback(person):
    gp = person()
    gp.sign_in("gp@elmstreet.demo")
    gp.click("Referrals and updates from the council", role="link")
    expect(gp.page.locator("h1")).to_have_text("Referrals to the council’s front door")
    gp.click("Refer a child", role="button")
    gp.choose("Which council are you referring the child to?", "Northshire")
    gp.click("Start referral")
    expect(gp.page.locator("h1")).to_contain_text("Is the child at immediate risk")
    task_list = gp.page.url.replace("/immediate-risk", "/task-list")
    gp.choose("Is the child at immediate risk of significant harm?", "No")
    _save(gp, task_list)

    gp.click("The child", role="link")
    gp.fill("First name", "Wilhelmina")
    gp.fill("Last name", "Oakenshaw-Pryce")
    born = gp.page.get_by_role("group", name="Date of birth")
    born.get_by_label("Day").fill("14")
    born.get_by_label("Month").fill("7")
    born.get_by_label("Year").fill("2016")
    gp.fill("NHS number (if known)", "943 476 5910")  # a wrong check digit
    gp.fill("Home address", "3 Fold Yard, Northtown")
    gp.page.get_by_label("School (if known)").select_option(label="Oakfield Primary School")
    gp.click("Save and continue")
    expect(gp.page.locator(".govuk-error-summary")).to_contain_text("NHS number")
    gp.fill("NHS number (if known)", "943 476 5919")
    _save(gp, task_list)

    gp.click("Household members", role="link")
    gp.click("Add a person", role="button")
    gp.fill("Full name", "Rowan Pryce")
    gp.fill("Relationship to the child", "Mother")
    gp.fill("Age (if you do not know their date of birth)", "34")
    gp.choose("Do they live with the child?", "Yes")
    gp.choose("Do they have parental responsibility for the child?", "Yes")
    gp.click("Save and continue")
    gp.choose("Have you added everyone in the child’s household?", "Yes")
    _save(gp, task_list)

    gp.click("Referrer (you)", role="link")
    gp.fill("Telephone number", "01632 960 100")
    _save(gp, task_list)

    gp.click("Reasons for referral", role="link")
    gp.fill("Why are you referring this child?", "Bruising to both upper arms seen at a routine appointment.")
    gp.choose("What are you worried about?", "Physical abuse")
    _save(gp, task_list)

    gp.click("Consent", role="link")
    gp.choose("Are the child’s parents or carers aware of this referral?", "No")
    gp.choose("Have they given consent to the referral?", "No")
    gp.choose("If not, why not?", "Telling them would put the child, or someone else, at risk of harm")
    _save(gp, task_list)

    gp.click("The child’s voice and wishes", role="link")
    gp.fill("What has the child said?", "She said she fell over at the park.")
    _save(gp, task_list)

    gp.click("Other agencies involved", role="link")
    gp.choose("Which other agencies are involved with the child or family?", "None that we know of")
    _save(gp, task_list)

    gp.click("Level of need", role="link")
    gp.choose("What level of need do you think the child has?", "Level 4: specialist (child protection)")
    gp.fill("Why do you think this?", "Unexplained injuries in a young child")
    _save(gp, task_list)

    gp.click("Check your answers and submit", role="link")
    expect(gp.page.locator("main")).to_contain_text("Oakfield Primary School")
    gp.click("Submit referral")
    panel = gp.page.locator(".govuk-panel--confirmation")
    expect(panel).to_be_visible()
    reference = panel.locator("strong").inner_text().strip()
    assert re.fullmatch(r"938-\d{4}-\d{6}", reference)

    triage = person()
    triage.sign_in("triage@northshire.demo")
    triage.goto("/triage?source=health")
    row = triage.page.locator("tr", has_text=reference)
    expect(row).to_contain_text("Elm Street Surgery (GP practice)")
    row.get_by_role("link").first.click()
    triage.check()
    expect(triage.page.locator("main")).to_contain_text("What the referrer sent")
    triage.click("Record the decision")
    triage.choose("What has the council decided?", "Strategy discussion / section 47 enquiry")
    triage.choose("RAG rating", "Red")
    triage.fill("Reasons for the decision", "Unexplained bruising in a child under ten")
    triage.fill("Feedback for the referrer", FEEDBACK)
    triage.click("Preview what the referrer will see")
    expect(triage.page.get_by_text(FEEDBACK)).to_be_visible()
    triage.click("Confirm and send the decision")
    expect(triage.page.locator(".govuk-panel--confirmation, .govuk-notification-banner--success").first).to_be_visible()

    gp.goto("/agency")
    gp.page.locator("tr", has_text=reference).get_by_role("link", name="Decision").first.click()
    gp.check()
    expect(gp.page.get_by_text(FEEDBACK)).to_be_visible()
    expect(gp.page.locator("main")).not_to_contain_text("Unexplained bruising in a child under ten")
    for visitor in (gp, triage):
        visitor.assert_accessible()
