"""An LA admin registers a partner agency in Chromium, with axe-core on every page: the form's
errors first, then the agency in the list; the invitation page then offers it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_la_admin_registers_a_health_visiting_team_and_can_invite_its_lead(person):
    admin = person()
    admin.sign_in("admin@northshire.demo")
    admin.click("Partner agencies", role="link")
    expect(admin.page.locator("h1")).to_have_text("Partner agencies")
    expect(admin.page.locator("table")).to_contain_text("Northshire Police")
    admin.click("Add a partner agency", role="button")
    admin.fill("Organisation name", "Northtown Health Visiting")
    admin.choose("What kind of organisation is it?", "Health visiting")
    admin.fill("ODS code (NHS organisations only)", "not an ods code")
    admin.click("Save organisation")
    expect(admin.page.locator(".govuk-error-summary")).to_contain_text("Enter an ODS code of 3 to 6 letters and numbers")
    admin.fill("ODS code (NHS organisations only)", "RX1")
    admin.choose("Neighbouring councils it may also refer to", "Southmoor")
    admin.click("Save organisation")
    expect(admin.page.locator(".govuk-notification-banner")).to_contain_text("Northtown Health Visiting has been added")
    expect(admin.page.locator("table")).to_contain_text("1 neighbouring")
    admin.goto("/admin/users/invite")
    expect(admin.page.get_by_label("Organisation")).to_contain_text("Northtown Health Visiting")
