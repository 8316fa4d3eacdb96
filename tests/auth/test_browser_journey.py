"""In a real browser (Chromium): sign in, the timeout warning, "Stay signed in", timing out with
what was typed kept, and getting it back after signing in again.

The server's clock (portal.auth.wall_clock) and the page's clock (Playwright's fake timers) are moved
forward together, so the test takes seconds, not half an hour.

axe-core checks the page with the warning dialog open, and the timed-out page (WCAG 2.2 A/AA, as
in tests/browser). The browser context keeps the portal's Content-Security-Policy on (axe is
injected through Playwright's evaluate, which the policy does not govern), so the test still
fails on any script refused by it.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal.auth.roles import Role
from tests.accessibility import axe_violations
from tests.auth.conftest import PASSWORD, code_now, make_account

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
# As in tests/browser: PORTAL_SCREENSHOTS=docs/screenshots writes the dialog's screenshot there.
SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS")


def _screenshot_folder() -> Path:
    folder = Path(SCREENSHOTS) if os.path.isabs(SCREENSHOTS) else ROOT / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder

sync_api = pytest.importorskip("playwright.sync_api")
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def axe():
    return axe_playwright.Axe()


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context()
        page = context.new_page()
        page.clock.install()
        yield page
        browser.close()


def _sign_in(page, base, user, clock, next_path=None):
    page.goto(base + "/sign-in" + (f"?next={next_path}" if next_path else ""))
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/sign-in/code")
    clock.advance(seconds=30)  # a code not used before
    page.fill("#code", code_now())
    page.click("button:has-text('Continue')")


def _advance(page, clock, seconds):
    clock.advance(seconds=seconds)
    page.clock.fast_forward(seconds * 1000)


def test_timeout_warning_stay_signed_in_time_out_and_typing_kept(page, live_server, clock, axe):
    violations = []
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    user = make_account(Role.DSL)
    _sign_in(page, live_server, user, clock, next_path="/account/email")
    page.wait_for_url("**/account/email")
    page.fill("#email", "typed.before.timeout@example.org")

    dialog = page.locator("#portal-timeout-dialog")
    assert not dialog.is_visible()
    _advance(page, clock, 28 * 60 + 10)  # past the warning time: 2 minutes before the end
    dialog.wait_for(state="visible")
    assert "You’re about to be signed out" in dialog.inner_text()
    violations += axe_violations(axe, page, "timeout warning dialog open")
    if SCREENSHOTS:
        page.screenshot(path=str(_screenshot_folder() / "40-session-timeout-warning.png"))
    page.click("[data-timeout-keep]")
    dialog.wait_for(state="hidden")

    # "Stay signed in" restarted the server's idle timer: 20 more minutes are fine.
    _advance(page, clock, 20 * 60)
    assert not dialog.is_visible()

    # Nobody touches the page: the warning comes, then the sign-out.
    _advance(page, clock, 9 * 60)
    dialog.wait_for(state="visible")
    _advance(page, clock, 3 * 60)
    page.wait_for_url("**/timed-out**")
    assert "For your security, we signed you out" in page.content()
    assert "We kept what you had typed" in page.content()
    violations += axe_violations(axe, page, "timed out")

    # Sign in again: back on the page, with the typing put back.
    page.click("a:has-text('Sign in')")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/sign-in/code")
    clock.advance(seconds=30)
    page.fill("#code", code_now())
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/account/email")
    assert page.input_value("#email") == "typed.before.timeout@example.org"
    assert "We put back what you had typed" in page.content()
    assert errors == []  # no script errors, no Content-Security-Policy refusals
    assert violations == [], "axe-core found WCAG 2.2 A/AA violations:\n  " + "\n  ".join(violations)


def test_signing_out_deletes_kept_typing(page, live_server, clock):
    user = make_account(Role.DSL)
    _sign_in(page, live_server, user, clock)
    page.wait_for_url("**/home")
    page.evaluate("sessionStorage.setItem('portal-kept:/home', '{}')")
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/signed-out")
    assert page.evaluate("sessionStorage.getItem('portal-kept:/home')") is None
