"""Single sign-on in Chromium: Oakfield's DSL signs in with their organisation's account at the
local OpenID Connect provider (tests/oidc/provider, started beside the portal by the `portal`
fixture; the demo seed points Oakfield's settings at it), comes back for the portal's own code and
reaches home; a Hillcrest DSL is refused with the portal's page; Oakfield's DSL opens the single
sign-on settings from Users.

axe-core runs on every portal page visited (the `person` fixture fails the test on any WCAG 2.2
A/AA violation); the provider's own pages are a stand-in for Microsoft's or Google's and are not
checked.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PROVIDER_PASSWORD = "demo-Portal-2026"  # the provider's demo identities' password


@pytest.fixture
def issuer(portal):
    if portal.oidc_issuer is None:
        pytest.fail(portal.oidc_problem or "the local OpenID Connect provider did not start", pytrace=False)
    return portal.oidc_issuer


def start_with_organisation_account(visitor, email: str, issuer: str) -> None:
    """On the portal's single sign-on page: type the work email and continue to the provider."""
    visitor.fill("Email address", email)
    visitor.page.get_by_role("button", name="Continue", exact=True).click()  # leaves the portal: no axe
    visitor.page.wait_for_url(f"{issuer}/interaction/**")


def sign_in_at_provider(visitor, email: str, issuer: str) -> None:
    """The provider's own login page (a stand-in for Microsoft's or Google's), until it sends the
    browser back to the portal."""
    page = visitor.page
    expect(page.locator("h1")).to_have_text("Sign in to the demo identity provider")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
    # The demo provider treats the portal as a first-party client and asks no consent; a provider
    # that did would show its consent page here, and the person would agree.
    consent = page.get_by_role("button", name=re.compile(r"^(Continue|Allow|Accept|Yes)"))
    if page.url.startswith(issuer) and consent.count() > 0:
        consent.first.click()
    page.wait_for_url(lambda url: not url.startswith(issuer))


def test_oakfields_dsl_signs_in_with_the_organisations_account_then_the_portals_code(person, portal, issuer):
    dsl = person()
    dsl.goto("/sign-in")
    dsl.click("Sign in with your organisation’s account", role="link")
    dsl.page.wait_for_url("**/sign-in/organisation")
    expect(dsl.page.locator("h1")).to_have_text("Sign in with your organisation’s account")
    dsl.click("Continue")  # no email: the error summary and message, still on the portal
    expect(dsl.page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    dsl.page.get_by_label("Email address", exact=True).fill("dsl@oakfield.demo")
    dsl.screenshot("60-sso-start")

    start_with_organisation_account(dsl, "dsl@oakfield.demo", issuer)
    sign_in_at_provider(dsl, "dsl@oakfield.demo", issuer)

    # Back at the portal: Oakfield still asks for the portal's own authenticator code.
    dsl.page.wait_for_url(f"{portal.url}/sign-in/code")
    dsl.check()
    dsl.click("Continue")  # no code: refused, still signed out
    expect(dsl.page.locator(".govuk-error-summary")).to_be_visible()
    dsl.fill("Security code", dsl.totp_code())
    dsl.click("Continue")
    dsl.page.wait_for_url(f"{portal.url}/home")
    dsl.check()
    expect(dsl.page.locator("h1")).to_be_visible()
    assert not any("/interaction/" in where for where in dsl.checked)  # axe saw only the portal's pages

    # Users → Single sign-on: Oakfield's settings, with this portal's redirect URI to register.
    dsl.goto("/admin/users")
    dsl.page.get_by_role("link", name=re.compile(r"^Single sign-on for Oakfield")).click()
    dsl.page.wait_for_url(f"{portal.url}/admin/single-sign-on")
    dsl.check()
    expect(dsl.page.locator("h1")).to_have_text("Single sign-on")
    expect(dsl.page.locator("main")).to_contain_text(f"{portal.url}/sign-in/organisation/callback")
    expect(dsl.page.locator(".govuk-summary-list")).to_contain_text("Someone has signed in with it")
    # The secret is never shown again.
    expect(dsl.page.get_by_label("Client secret", exact=False)).to_have_value("")
    dsl.screenshot("62-sso-settings")


def test_a_hillcrest_dsl_is_refused_with_the_portals_page(person, portal, issuer):
    hillcrest = person()
    hillcrest.goto("/sign-in/organisation")
    # Hillcrest has not set up single sign-on: said on the portal's page, nothing sent anywhere.
    hillcrest.fill("Email address", "dsl@hillcrest.demo")
    hillcrest.click("Continue")
    expect(hillcrest.page.locator(".govuk-error-summary")).to_contain_text(
        "Your organisation has not set up single sign-on")
    assert hillcrest.page.url.startswith(portal.url)

    # Started from an Oakfield address, but the work account at the provider is Hillcrest's (a
    # shared computer, a colleague's address): the portal refuses it and signs nobody in.
    hillcrest.page.get_by_label("Email address", exact=True).fill("dsl@oakfield.demo")
    start_with_organisation_account(hillcrest, "dsl@oakfield.demo", issuer)
    with hillcrest.page.expect_response(re.compile(r"/sign-in/organisation/callback")) as answered:
        sign_in_at_provider(hillcrest, "dsl@hillcrest.demo", issuer)
    assert answered.value.status == 403
    hillcrest.page.wait_for_url(re.compile(r"/sign-in/organisation/callback"))
    hillcrest.check("/sign-in/organisation/callback (refused)")
    expect(hillcrest.page.locator("h1")).to_have_text("This account cannot be used here")
    body = hillcrest.page.locator("main").inner_text()
    assert "hillcrest" not in body.lower()  # the page names no account
    hillcrest.screenshot("61-sso-refused")

    hillcrest.page.goto(f"{portal.url}/home")  # not signed in
    hillcrest.page.wait_for_url(re.compile(r"/sign-in"))
    hillcrest.check()
