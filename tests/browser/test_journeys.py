"""The main journeys in Chromium, as a person would walk them: by labels and button text, with
axe-core run on every page visited (the `person` fixture fails the test on any WCAG 2.2 A/AA
violation, naming the rule and the page).

The tests run in file order and build on one another through the shared demo database: the concern
logged by staff is the one the DSL refers, triage decides and the DSL reads the feedback of.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, SCREENSHOTS

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
    # The card's links name the person once, as a screen reader reads them (not "Dana Hartley (Dana Hartley)").
    expect(dsl.page.get_by_role("link", name="Change (Dana Hartley)", exact=True)).to_have_count(1)
    expect(dsl.page.get_by_role("link", name="Remove (Dana Hartley)", exact=True)).to_have_count(1)
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
    if screenshots:
        dsl.screenshot("10-referral-check-answers")
    dsl.click("Submit referral")
    panel = dsl.page.locator(".govuk-panel--confirmation")
    expect(panel).to_be_visible()
    if screenshots:
        dsl.screenshot("11-referral-submitted")
    reference = panel.locator("strong").inner_text().strip()
    referral_id = re.search(r"/referrals/([0-9a-f-]{36})/confirmation", dsl.page.url).group(1)
    return reference, referral_id


def test_dsl_reviews_the_concern_and_submits_a_referral(person, portal):
    dsl = person()
    dsl.sign_in("dsl@oakfield.demo")
    reference, referral_id = refer_the_concern(dsl, screenshots=True)
    STATE["reference"] = reference

    # The connector delivers it to the council's case system (the simulator, over HTTP), once.
    totals = portal.run_connector_once()
    assert totals["delivered"] >= 1 and totals["dead"] == 0, totals
    arrived = [case for case in portal.casesim_referrals("938") if case["referral_id"] == referral_id]
    assert len(arrived) == 1, arrived
    case_reference = arrived[0]["case_reference"]
    assert portal.run_connector_once()["delivered"] == 0  # nothing is sent twice
    assert [c["referral_id"] for c in portal.casesim_referrals("938")].count(referral_id) == 1

    # The school sees the delivery and the council's case reference on the referral.
    dsl.click("View the referral and its status", role="link")
    delivery = dsl.page.locator("[data-delivery-state]")
    expect(delivery).to_have_attribute("data-delivery-state", "delivered")
    expect(delivery).to_contain_text(case_reference)
    delivery.scroll_into_view_if_needed()
    dsl.screenshot("18-referral-delivered")


def test_triage_manager_sees_the_case_system_connection(person, portal):
    if "reference" not in STATE:
        pytest.skip("needs the referral the DSL journey submits and the connector delivers")
    manager = person()
    manager.sign_in("manager@northshire.demo")
    manager.goto("/connector")
    expect(manager.page.locator("h1")).to_have_text("Case system connection")
    summary = manager.page.locator(".govuk-summary-list").first
    expect(summary).to_contain_text(portal.casesim_url + "/la/938")
    delivered = summary.locator(".govuk-summary-list__row", has_text="Delivered in the last 24 hours")
    assert int(delivered.locator(".govuk-summary-list__value").inner_text()) >= 1
    expect(summary.locator(".govuk-summary-list__row", has_text="Not delivered: need attention")
           .locator(".govuk-summary-list__value")).to_have_text("0")
    manager.screenshot("19-connector-status")
    manager.click("Change connection settings", role="link")
    expect(manager.page.locator("h1")).to_be_visible()


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
    # The inbox's rows say the kind, the child and the reference (issue 19): the decision's row.
    dsl.page.locator("tr", has_text=STATE["reference"]).get_by_role("link", name="Decision").first.click()
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


# --- invitation to first sign-in ------------------------------------------------------------------

NEW_PERSON = "Rowan Adeyemi-Clarke"
NEW_EMAIL = "rowan.adeyemi-clarke@northshire.demo"
NEW_PASSWORD = "lantern-orchard-Kestrel-2026"


def test_invited_person_creates_a_password_sets_up_the_app_and_signs_in_again(person, portal):
    admin = person()
    admin.sign_in("admin@northshire.demo")
    admin.click("Users", role="link")
    admin.click("Invite someone")
    admin.click("Send invitation")  # empty: every error at once
    summary = admin.page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the person’s full name")
    expect(summary).to_contain_text("Enter their email address")
    expect(summary).to_contain_text("Select a role")
    admin.screenshot("20-invite-errors")
    admin.fill("Full name", NEW_PERSON)
    admin.fill("Email address", NEW_EMAIL)
    admin.page.get_by_label("Organisation", exact=True).select_option(label="Northshire")
    admin.choose("Role", "Triage worker")
    admin.click("Send invitation")
    expect(admin.page.locator(".govuk-notification-banner")).to_contain_text(f"An invitation has been sent to {NEW_EMAIL}")
    expect(admin.page.locator("main")).to_contain_text("Invited")

    # The invitation email (an .eml file in the instance's mail folder) links to this portal.
    [invitation] = portal.emails_to(NEW_EMAIL)
    assert invitation["Subject"] == "You have been invited to Safeguard Portal"
    link = re.search(r"(https?://\S+/invitation/\S+)", invitation.get_content()).group(1)
    assert link.startswith(portal.url + "/invitation/")

    newcomer = person()
    newcomer.page.goto(link)
    newcomer.check()
    expect(newcomer.page.locator("h1")).to_have_text("Create your password")
    expect(newcomer.page.locator("main")).to_contain_text(NEW_EMAIL)
    newcomer.click("Continue")  # empty: the error state
    expect(newcomer.page.locator(".govuk-error-summary")).to_contain_text("Enter a password")
    newcomer.fill("Create a password", NEW_PASSWORD)
    newcomer.fill("Confirm your password", NEW_PASSWORD)
    newcomer.screenshot("21-invitation-create-password")
    newcomer.click("Continue")
    newcomer.page.wait_for_url("**/sign-in/set-up-app")
    expect(newcomer.page.locator("h1")).to_have_text("Set up your authenticator app")
    newcomer.screenshot("22-set-up-app")
    newcomer.click("Continue")  # no code: the error state
    expect(newcomer.page.locator(".govuk-error-summary")).to_contain_text("Enter the 6-digit code")

    # As a person without a camera would: open "I cannot scan the QR code" and type the key.
    newcomer.page.get_by_text("I cannot scan the QR code", exact=True).click()
    secret = newcomer.page.locator(".portal-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), "the key is shown in base32, grouped"
    newcomer.check("set-up-app with the key shown")
    newcomer.fill("Enter the 6-digit code from your app", newcomer.totp_code(secret))
    newcomer.click("Continue")
    # One main heading (the panel); saving the codes is the page's next heading.
    expect(newcomer.page.locator("h1")).to_have_text("Your authenticator app is set up")
    expect(newcomer.page.get_by_role("heading", level=2, name="Save your recovery codes")).to_be_visible()
    codes = newcomer.page.locator(".portal-recovery-codes li")
    assert codes.count() >= 8
    newcomer.screenshot("23-recovery-codes")
    newcomer.click("I have saved my recovery codes")
    newcomer.page.wait_for_url("**/home")
    newcomer.check()
    expect(newcomer.page.locator("h1")).to_be_visible()
    expect(newcomer.page.get_by_role("link", name=re.compile("^Triage queue|^Referrals"))).not_to_have_count(0)

    newcomer.click("Sign out")
    newcomer.page.wait_for_url("**/signed-out")
    newcomer.sign_in(NEW_EMAIL, NEW_PASSWORD, secret)
    expect(newcomer.page.locator("h1")).to_be_visible()

    # The administrator now sees the account as active.
    admin.goto("/admin/users")
    row = admin.page.locator("tr", has_text=NEW_EMAIL)
    expect(row).to_contain_text("Active")


# --- the sending side of a transfer ----------------------------------------------------------------

LEAVER = "Oliver Brennan-Shaw"  # no other journey uses him
COVERING_NOTE = "Oliver's mum has asked that letters go to his nan's address; our early help worker is Sam Patel."


def test_sending_school_transfers_a_leavers_file_and_sees_the_receipt(person):
    from datetime import date, timedelta

    sender = person()
    sender.sign_in("dsl@oakfield.demo")
    sender.goto("/transfers")
    sender.click("Record a pupil who has left", role="link")
    sender.click(LEAVER, role="link")
    pupil_link = sender.page.url  # /transfers/leavers/<pupil id>
    pupil_id = pupil_link.rstrip("/").rsplit("/", 1)[1]
    sender.click("Continue")  # empty: the error state
    expect(sender.page.locator(".govuk-error-summary")).to_contain_text("Enter the date the pupil left")
    sender.screenshot("30-transfer-leaver-errors")
    left = date.today() - timedelta(days=1)
    sender.fill("Day", str(left.day))
    sender.fill("Month", str(left.month))
    sender.fill("Year", str(left.year))
    sender.choose("Where has the pupil gone?", "Another school")
    sender.fill("New school’s URN or name", "Hillcrest")
    sender.click("Continue")

    # Check what will go (the check-your-answers page of a transfer), add a note, send.
    expect(sender.page.locator("h1")).to_have_text("Review and send the child protection file")
    to_row = sender.page.locator(".govuk-summary-list__row", has_text="To")
    expect(to_row.first).to_contain_text("Hillcrest High School (URN 939001, Southmoor)")
    sender.screenshot("31-transfer-check-and-send")
    sender.fill("Covering note for the receiving DSL (optional)", COVERING_NOTE)
    sender.click("Send the file")
    panel = sender.page.locator(".govuk-panel--confirmation")
    expect(panel).to_contain_text("Child protection file sent")
    expect(panel).to_contain_text("Hillcrest High School")
    sender.screenshot("32-transfer-sent")
    sender.click("View the transfer", role="link")
    transfer_url = sender.page.url
    expect(sender.page.locator("#transfer-summary")).to_contain_text("Sent")

    # Hillcrest's DSL (another LA) confirms receipt and adds the pupil to the roll.
    receiver = person()
    receiver.sign_in("dsl@hillcrest.demo")
    receiver.goto("/transfers")
    receiver.page.get_by_role("link", name=re.compile(r"^Confirm receipt.*Oakfield")).first.click()
    receiver.check()
    expect(receiver.page.locator("main")).not_to_contain_text(LEAVER)  # nothing of the child before receipt
    receiver.click("Confirm receipt")
    expect(receiver.page.locator(".govuk-notification-banner")).to_contain_text("Receipt confirmed")
    receiver.choose("Match the file to", "None of these: add a new pupil record")
    receiver.click("Continue")
    expect(receiver.page.locator(".govuk-error-summary")).to_have_count(0)
    receiver.goto(transfer_url.removeprefix(receiver.base))
    expect(receiver.page.locator("#covering-note")).to_have_text(COVERING_NOTE)

    # Oakfield sees the receipt (who and when), and its own record of Oliver is now read-only.
    sender.goto(transfer_url.removeprefix(sender.base))
    summary = sender.page.locator("#transfer-summary")
    expect(summary.locator(".govuk-summary-list__row", has_text="Status")).to_contain_text("Accepted")
    expect(summary.locator(".govuk-summary-list__row", has_text="Receipt confirmed")).to_contain_text("(Hillcrest High School)")
    sender.screenshot("33-transfer-receipt-confirmed")
    sender.goto(f"/pupils/{pupil_id}")
    expect(sender.page.locator("#read-only-record")).to_contain_text("This record is read-only")
    expect(sender.page.locator("#read-only-record")).to_contain_text("sent to Hillcrest High School")
    for refused in ("Change", "Add a previous school", "Log a concern", "Record that this pupil has left",
                    "Request their child protection file"):
        expect(sender.page.get_by_role("link", name=re.compile("^" + refused))).to_have_count(0)
    sender.screenshot("34-pupil-read-only")
    sender.click("Chronology", role="link")
    expect(sender.page.locator("main")).to_contain_text("Child protection file sent to Hillcrest High School")


def _shoot(visitor, name: str, *, full_page: bool = False, locator: str | None = None) -> None:
    """A screenshot of the whole page, or of one part of it (the header), when asked for."""
    if not SCREENSHOTS:
        return
    folder = ROOT / SCREENSHOTS if not os.path.isabs(SCREENSHOTS) else Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    if locator:
        visitor.page.locator(locator).first.screenshot(path=str(folder / f"{name}.png"))
    else:
        visitor.page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def test_dsl_home_is_a_worklist_and_every_item_links_to_where_it_is_done(person):
    dsl = person()
    dsl.sign_in("dsl@oakfield.demo")
    dsl.goto("/home")
    expect(dsl.page.locator("h1")).to_have_text("What needs doing")
    expect(dsl.page.get_by_role("button", name=re.compile("Hide screen"))).to_be_visible()
    # The council's header: its name, no crown; the person's organisation once signed in.
    expect(dsl.page.locator(".portal-header__operator")).to_be_visible()
    expect(dsl.page.locator(".govuk-header__logotype, .govuk-logo")).to_have_count(0)
    expect(dsl.page.locator(".portal-org-name")).to_contain_text("Oakfield Primary School")
    _shoot(dsl, "50-home-worklist", full_page=True)
    _shoot(dsl, "52-header", locator="header.govuk-template__header")
    referrals = dsl.page.locator("#worklist-referrals")
    if referrals.count():
        referrals.get_by_role("link").first.click()
        dsl.check()
        expect(dsl.page.locator("h1")).to_be_visible()


def test_triage_manager_reads_the_council_dashboard_with_charts_tables_and_csv(person):
    manager = person()
    manager.sign_in("manager@northshire.demo")
    manager.goto("/home")
    manager.click("Council dashboard", role="link")
    expect(manager.page.locator("h1")).to_have_text("Council dashboard")
    # Eight charts, each with its table (the eighth: referrals by source, schools and partner agencies).
    expect(manager.page.locator("svg.portal-chart[role=img]")).to_have_count(8)
    expect(manager.page.locator("table.govuk-table")).to_have_count(8)
    _shoot(manager, "51-dashboard", full_page=True)
    with manager.page.expect_download() as download:
        manager.page.get_by_role("link", name=re.compile("Download these figures")).first.click()
    assert download.value.suggested_filename.startswith("sources-")
    # A wrong period is an error on the page, checked by axe too.
    manager.page.locator("#start-day, [name=start]").first.fill("31")
    manager.page.locator("[name=start]").nth(1).fill("2")
    manager.page.locator("[name=start]").nth(2).fill("2026")
    manager.click("Show figures")
    expect(manager.page.locator(".govuk-error-summary")).to_be_visible()


def test_la_admin_reads_the_dashboard_but_a_triage_worker_is_refused(person):
    admin = person()
    admin.sign_in("admin@northshire.demo")
    admin.goto("/dashboard")
    expect(admin.page.locator("h1")).to_have_text("Council dashboard")
    worker = person()
    worker.sign_in("triage@northshire.demo")
    response = worker.page.goto(worker.base + "/dashboard")
    assert response.status == 403
