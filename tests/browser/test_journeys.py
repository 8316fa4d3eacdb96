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
    import pyotp

    dsl.clock.next_totp_step()
    dsl.fill("Security code", pyotp.TOTP("DEMODEMODEMODEMODEMODEMODEMODEMO").at(dsl.clock.now()))
    dsl.click("Continue")
    dsl.page.wait_for_url("**/home")
    dsl.check()
    expect(dsl.page.locator("h1")).to_be_visible()
    dsl.screenshot("03-home-dsl")


# What one journey leaves for the next (the tests run in file order against one database).
STATE: dict[str, str] = {}
FEEDBACK = "Thank you. Early help will contact the family this week; please keep logging what Amelia tells you."
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


def save_and_back_to_task_list(dsl, task_list: str) -> None:
    dsl.click("Save and continue")
    expect(dsl.page.locator(".govuk-error-summary")).to_have_count(0)
    if dsl.page.url != task_list:
        dsl.page.goto(task_list)
        dsl.check()


def refer_the_concern(dsl, *, screenshots: bool) -> None:
    """The DSL reviews the concern staff logged (happened yesterday at 10:15am), decides to refer, and
    submits the referral section by section through the task list."""
    dsl.goto("/concerns/review")
    row = dsl.page.locator("tr", has_text="10:15am").filter(has_text="Hartley-Nkemelu")
    row.get_by_role("link").first.click()
    dsl.check()
    dsl.click("Save review")  # no outcome chosen
    expect(dsl.page.locator(".govuk-error-summary")).to_be_visible()
    dsl.choose("Outcome", "Refer to the local authority")
    dsl.fill("Reasons", "Third report of hunger this term; the family have not engaged with early help")
    dsl.click("Save review")
    dsl.click("Start a referral to the local authority")  # a link drawn as a button
    dsl.click("Start referral")
    # The first question is always immediate risk: a child in danger today needs a phone call.
    expect(dsl.page.locator("h1")).to_have_text(re.compile(r"Millie Hartley-Nkemelu\s*Is the child at immediate risk"))
    task_list = dsl.page.url.replace("/immediate-risk", "/task-list")
    dsl.click("Save and continue")  # empty: the error state
    expect(dsl.page.locator(".govuk-error-summary")).to_be_visible()
    dsl.choose("Is the child at immediate risk of significant harm?", "No")
    save_and_back_to_task_list(dsl, task_list)
    if screenshots:
        dsl.screenshot("09-referral-task-list")

    dsl.click("The child", role="link")
    if not dsl.page.get_by_label("Home address", exact=True).input_value():
        dsl.fill("Home address", "12 Orchard Row, Northshire")
    save_and_back_to_task_list(dsl, task_list)

    dsl.click("Household members", role="link")
    dsl.click("Add a person", role="button")
    dsl.fill("Full name", "Dana Hartley")
    dsl.fill("Relationship to the child", "Mother")
    dsl.fill("Age (if you do not know their date of birth)", "36")
    dsl.choose("Do they live with the child?", "Yes")
    dsl.choose("Do they have parental responsibility for the child?", "Yes")
    dsl.click("Save and continue")
    dsl.choose("Have you added everyone in the child’s household?", "Yes")
    save_and_back_to_task_list(dsl, task_list)

    dsl.click("Referrer (you)", role="link")
    for label, value in (("Your name", "Priya Oakfield"), ("Your role", "Designated safeguarding lead"),
                         ("Telephone number", "01632 960 001"), ("Email address", "dsl@oakfield.demo")):
        if not dsl.page.get_by_label(label, exact=True).input_value():
            dsl.fill(label, value)
    save_and_back_to_task_list(dsl, task_list)

    dsl.click("Reasons for referral and linked concerns", role="link")
    dsl.fill("Why are you referring this child?", "Amelia keeps telling staff there is no food at home.")
    dsl.choose("What are you worried about?", "Neglect")
    save_and_back_to_task_list(dsl, task_list)

    dsl.click("Consent", role="link")
    dsl.choose("Are the child’s parents or carers aware of this referral?", "Yes")
    dsl.choose("Have they given consent to the referral?", "Yes")
    save_and_back_to_task_list(dsl, task_list)

    dsl.click("The child’s voice and wishes", role="link")
    dsl.fill("What has the child said?", "“There’s never anything in the cupboards.”")
    save_and_back_to_task_list(dsl, task_list)

    dsl.click("Other agencies involved", role="link")
    dsl.choose("Which other agencies are involved with the child or family?", "None that we know of")
    save_and_back_to_task_list(dsl, task_list)

    dsl.click("Level of need", role="link")
    dsl.choose("What level of need does the school think the child has?", "Level 2: early help")
    dsl.fill("Why do you think this?", "Needs could be met by an early help plan if the family engage")
    save_and_back_to_task_list(dsl, task_list)

    dsl.click("Check your answers and submit", role="link")
    dsl.click("Submit referral")
    panel = dsl.page.locator(".govuk-panel--confirmation")
    expect(panel).to_be_visible()
    STATE["reference"] = panel.locator("strong").inner_text().strip()
    if screenshots:
        dsl.screenshot("11-referral-submitted")


def test_dsl_reviews_the_concern_and_submits_a_referral(person):
    dsl = person()
    dsl.sign_in("dsl@oakfield.demo")
    refer_the_concern(dsl, screenshots=True)


def test_triage_decides_the_referral_with_feedback(person):
    if "reference" not in STATE:
        pytest.skip("needs the referral the DSL journey submits")
    triage = person()
    triage.sign_in("triage@northshire.demo")
    triage.goto("/triage")
    triage.screenshot("12-triage-queue")
    row = triage.page.locator("tr", has_text=STATE["reference"])
    row.get_by_role("link").first.click()
    triage.check()
    triage.click("Record the decision")
    triage.click("Preview what the school will see")  # empty: every error at once
    expect(triage.page.locator(".govuk-error-summary")).to_contain_text("Select the decision")
    triage.choose("What has the council decided?", "Early help")
    triage.choose("RAG rating", "Amber")
    triage.fill("Reasons for the decision", "Chronic hunger, parents engaging; early help offer made")
    triage.fill("Feedback for the school", FEEDBACK)
    triage.click("Preview what the school will see")
    expect(triage.page.get_by_text(FEEDBACK)).to_be_visible()
    triage.screenshot("13-triage-decision-preview")
    triage.click("Confirm and send the decision")
    expect(triage.page.locator(".govuk-panel--confirmation, .govuk-notification-banner--success").first).to_be_visible()
    STATE["decided"] = "yes"


def test_dsl_reads_the_feedback_in_updates(person):
    if "decided" not in STATE:
        pytest.skip("needs the decision the triage journey records")
    dsl = person()
    dsl.sign_in("dsl@oakfield.demo")
    dsl.click(re.compile(r"^Updates"), role="link")
    dsl.page.get_by_role("link", name=re.compile("about a referral")).first.click()
    dsl.check()
    expect(dsl.page.get_by_text(FEEDBACK)).to_be_visible()
    expect(dsl.page.get_by_role("link", name=STATE["reference"], exact=True)).to_be_visible()
    expect(dsl.page.locator(".govuk-summary-list__key", has_text="Referral")).to_have_count(1)
    dsl.screenshot("15-updates-decision")


def test_receiving_school_confirms_the_waiting_transfer(person):
    dsl = person()
    dsl.sign_in("dsl@riverside.demo")
    dsl.goto("/transfers")
    dsl.page.get_by_role("link", name=re.compile(r"^Confirm receipt")).first.click()
    dsl.check()
    dsl.screenshot("17-transfer-to-confirm")
    dsl.click("Confirm receipt")
    expect(dsl.page.locator(".govuk-error-summary")).to_have_count(0)
    expect(dsl.page.get_by_role("button", name="Confirm receipt", exact=True)).to_have_count(0)
    expect(dsl.page.locator(".govuk-notification-banner")).to_contain_text("Receipt confirmed")
    dsl.click("Continue")  # nothing chosen: the error state
    expect(dsl.page.locator(".govuk-error-summary")).to_be_visible()
    dsl.choose("Match the file to", "None of these: add a new pupil record")
    dsl.click("Continue")
    expect(dsl.page.locator(".govuk-error-summary")).to_have_count(0)


def test_concern_and_referral_flows_work_without_javascript(person):
    """GOV.UK progressive enhancement: the same journeys with scripts off (axe needs scripts, so
    these pages were checked in the journeys above)."""
    staff = person(javascript=False)
    staff.sign_in("staff@oakfield.demo")
    log_a_concern(staff, screenshots=False)
    dsl = person(javascript=False)
    dsl.sign_in("dsl@oakfield.demo")
    refer_the_concern(dsl, screenshots=False)
