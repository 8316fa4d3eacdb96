"""A real browser against a real portal: the portal served on a free loopback port, seeded with
the demo data, driven by Chromium through Playwright, with axe-core run on every page a journey
visits.

The portal here has its own database (not the suite's, which is emptied after every test), so the
journeys build on one another in order, as the demo's people would: staff log a concern, the DSL
reviews it and refers, triage decides, the DSL reads the feedback.

Skipped, with the reason printed, when Playwright or /usr/bin/chromium is missing, or when
PORTAL_SKIP_BROWSER_TESTS=1 (CI runs them in its SQLite pass only: they test pages, not SQL).
"""

from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.auth import clock as auth_clock
from portal.db import utcnow

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
# Screenshots are written only when asked (they would otherwise change files in docs/ on every run):
#   PORTAL_SCREENSHOTS=docs/screenshots make test PYTEST_ARGS="tests/browser"
SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS")
# WCAG 2.2 A and AA (axe tags the 2.2 additions "wcag22aa"; 2.0 and 2.1 rules still apply).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
DEMO_PASSWORD = "demo-Portal-2026"
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"


def _why_skipped() -> str | None:
    if os.environ.get("PORTAL_SKIP_BROWSER_TESTS") == "1":
        return "browser tests skipped: PORTAL_SKIP_BROWSER_TESTS=1"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: Playwright or axe-playwright-python is not installed (pip install -e '.[test]')"
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"browser tests skipped: {CHROMIUM} is missing (apt-get install chromium)"
    return None


SKIP_REASON = _why_skipped()


def pytest_collection_modifyitems(config, items):
    if SKIP_REASON is None:
        return
    marker = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(marker)


def pytest_report_header(config):
    return SKIP_REASON or "browser tests: Chromium at /usr/bin/chromium"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per asset request would drown a failure
        pass


class SteppingClock:
    """Real time plus an offset that only grows: each sign-in moves to the next 30-second TOTP step,
    because a code is accepted once only, without the test sleeping."""

    def __init__(self):
        self.offset = timedelta()

    def now(self):
        return utcnow() + self.offset

    def next_totp_step(self) -> None:
        self.offset += timedelta(seconds=30)


_clock = SteppingClock()


@pytest.fixture(autouse=True)
def stepping_clock(monkeypatch):
    # Patched for each browser test only, so that no other test in the run sees a moved clock.
    monkeypatch.setattr(auth_clock, "now", _clock.now)
    return _clock


@pytest.fixture(scope="package")
def portal(tmp_path_factory):
    """The portal on a free loopback port with the demo data; yields its base URL.

    Package-scoped, like `browser`: Playwright's sync API allows one running instance per thread,
    and tests elsewhere (tests/auth) start their own."""
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    from flask_migrate import upgrade

    from portal import create_app
    from portal.demo import seed
    from portal.extensions import db, limiter
    from tests.conftest import environ_for_tests
    from tests.databases import throwaway_database

    with throwaway_database(tmp_path_factory.mktemp("browser-db"), "browser") as url:
        app = create_app(environ_for_tests(url, tmp_path_factory.mktemp("browser-instance")))
        with app.app_context():
            upgrade()
            limiter.reset()
            seed()
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture(scope="package")
def browser():
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


class Visitor:
    """One person in one browser context: signs in, and checks every page they see with axe."""

    def __init__(self, context, base: str, axe, clock: SteppingClock, *, check: bool = True):
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(10_000)
        self.base = base
        self.axe = axe
        self.clock = clock
        self.check_pages = check
        self.violations: list[str] = []
        self.checked: list[str] = []

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.check()

    def check(self, label: str | None = None) -> None:
        """Run axe-core on the page as it is now; remember any WCAG A/AA violation."""
        self.page.wait_for_load_state()
        where = label or self.page.url.removeprefix(self.base)
        self.checked.append(where)
        if not self.check_pages:
            return
        result = self.axe.run(self.page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        for violation in result.response["violations"]:
            targets = "; ".join(", ".join(map(str, node["target"])) for node in violation["nodes"][:5])
            self.violations.append(f"{where}: {violation['id']} ({violation['impact']}) {violation['help']} -> {targets}")

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).fill(value)

    def choose(self, question: str, answer: str) -> None:
        """Tick the radio or checkbox labelled `answer` in the fieldset whose legend is `question`."""
        group = self.page.get_by_role("group", name=question)  # the legend may carry a caption too
        group.get_by_label(answer, exact=True).check()

    def click(self, name: str, role: str = "button") -> None:
        self.page.get_by_role(role, name=name, exact=True).first.click()
        self.check()

    def screenshot(self, name: str) -> None:
        if SCREENSHOTS:
            folder = ROOT / SCREENSHOTS if not os.path.isabs(SCREENSHOTS) else Path(SCREENSHOTS)
            folder.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(folder / f"{name}.png"))

    def sign_in(self, email: str) -> None:
        import pyotp

        self.goto("/sign-in")
        self.fill("Email address", email)
        self.fill("Password", DEMO_PASSWORD)
        self.click("Sign in")
        self.page.wait_for_url("**/sign-in/code")
        self.clock.next_totp_step()
        code = pyotp.TOTP(DEMO_TOTP_SECRET).at(self.clock.now())
        self.fill("Security code", code)
        self.click("Continue")
        self.page.wait_for_url("**/home")

    def assert_accessible(self) -> None:
        if self.violations:
            pytest.fail(
                "axe-core found WCAG 2.2 A/AA violations:\n  " + "\n  ".join(self.violations), pytrace=False
            )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_call_failed = report.failed  # read by `person` to show where the browser was
    return report


@pytest.fixture
def person(browser, portal, axe, stepping_clock, request):
    """Make a Visitor (its own browser context: its own cookies); every one is checked at the end."""
    made: list[Visitor] = []

    def make(*, javascript: bool = True) -> Visitor:
        context = browser.new_context(
            bypass_csp=True,  # axe-core is injected as a script; the portal's CSP would refuse it
            java_script_enabled=javascript,
            viewport={"width": 1200, "height": 900},
        )
        visitor = Visitor(context, portal, axe, stepping_clock, check=javascript)
        made.append(visitor)
        return visitor

    yield make
    if getattr(request.node, "browser_call_failed", False):
        for visitor in made:
            try:
                text = visitor.page.locator("main").inner_text(timeout=2000)
            except Exception:  # noqa: BLE001 - the page may be gone; the failure itself is what matters
                text = "(no main element)"
            print(f"--- browser was at {visitor.page.url}\n{text[:3000]}")
    try:
        for visitor in made:
            visitor.assert_accessible()
    finally:
        for visitor in made:
            visitor.context.close()
