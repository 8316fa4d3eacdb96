"""A real browser against a real portal: the portal served on a free loopback port, seeded with
the demo data, driven by Chromium through Playwright, with axe-core run on every page a journey
visits.

The portal here has its own database (not the suite's, which is emptied after every test), so the
journeys build on one another in order, as the demo's people would: staff log a concern, the DSL
reviews it and refers, triage decides, the DSL reads the feedback. The case-system simulator
(casesim) runs beside it on another loopback port, with Northshire and Southmoor's connector
endpoints pointed at it; a journey runs the connector worker once, in-process, to deliver. Emails
(invitations, receipts) are .eml files in the portal's instance folder, where journeys read them.
The local OpenID Connect provider (tests/oidc/provider, Node) runs on a third port with the
portal's callback registered as the demo client; the portal allows it as an issuer and the demo
seed points Oakfield's single sign-on at it.

Skipped, with the reason printed, when Playwright or /usr/bin/chromium is missing, or when
PORTAL_SKIP_BROWSER_TESTS=1 (CI runs them in its SQLite pass only: they test pages, not SQL).
"""

from __future__ import annotations

import json
import os
import re
import select as select_module
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.auth import wall_clock as auth_clock
from portal.db import utcnow
from portal.db import db
from tests.accessibility import axe_violations

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
# Screenshots are written only when asked (they would otherwise change files in docs/ on every run):
#   PORTAL_SCREENSHOTS=docs/screenshots make test PYTEST_ARGS="tests/browser"
SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS")
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
        # The local OpenID Connect provider's clock follows this one (provider_clock.cjs reads the
        # offset from this file), so that its id_tokens are fresh by the portal's clock.
        self.offset_file: Path | None = None

    def now(self):
        return utcnow() + self.offset

    def next_totp_step(self) -> None:
        self.offset += timedelta(seconds=30)
        self.share()

    def share(self) -> None:
        if self.offset_file is not None:
            self.offset_file.write_text(str(int(self.offset.total_seconds() * 1000)))


_clock = SteppingClock()


@pytest.fixture(autouse=True)
def stepping_clock(monkeypatch):
    # Patched for each browser test only, so that no other test in the run sees a moved clock.
    monkeypatch.setattr(auth_clock, "now", _clock.now)
    return _clock


# The case-system simulator's secrets and admin token for this run (Northshire and Southmoor).
CASESIM_SECRETS = {
    "938": ("browser-tests-northshire-secret-0123456789abcdef",),
    "939": ("browser-tests-southmoor-secret-0123456789abcdefg",),
}
CASESIM_ADMIN_TOKEN = "browser-tests-admin-token"


@dataclass
class LivePortal:
    """The portal and the case-system simulator it delivers referrals to, both on loopback."""

    url: str
    app: Flask
    casesim_url: str
    # The local OpenID Connect provider (tests/oidc/provider) Oakfield's single sign-on points at;
    # None, with the reason, when it could not be started (only the single sign-on journey fails).
    oidc_issuer: str | None = None
    oidc_problem: str | None = None

    @property
    def mail_folder(self) -> Path:
        """Where the portal writes emails in development and test (.eml files)."""
        return Path(self.app.instance_path) / "mail"

    def emails_to(self, address: str) -> list[EmailMessage]:
        """Every email written for `address`, oldest first."""
        found = []
        for path in sorted(self.mail_folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
            if message["To"] == address:
                found.append(message)
        return found

    def run_connector_once(self) -> dict:
        """One pass of the connector worker, in-process (as tests/connector do): deliver what is due
        to the simulator and pull its feeds. Returns the worker's totals."""
        from tests.connector.portal_setup import run_worker_once

        with self.app.app_context():
            try:
                return run_worker_once(worker_id="browser-tests")
            finally:
                db.session.remove()

    def casesim_referrals(self, la_code: str) -> list[dict]:
        """What the simulator has received for an LA, asked over HTTP (its admin API)."""
        response = httpx.get(f"{self.casesim_url}/_admin/referrals", params={"la": la_code},
                             headers={"Authorization": f"Bearer {CASESIM_ADMIN_TOKEN}"}, timeout=5)
        response.raise_for_status()
        return response.json()["referrals"]


def _serve(app, sock: socket.socket | None = None):
    """werkzeug's threaded server in a daemon thread; on `sock` if given (already listening)."""
    if sock is not None:
        server = make_server("127.0.0.1", sock.getsockname()[1], app, threaded=True,
                             request_handler=_QuietHandler, fd=sock.fileno())
    else:
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


def _stop(server, thread) -> None:
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


# The demo's registration of the portal at the provider (demo/auth.py seeds Oakfield's settings
# with this client id and secret); the redirect URI is the browser portal's own callback.
OIDC_CLIENT_ID = "portal"
OIDC_CLIENT_SECRET = "demo-client-secret"


class LocalOidcProvider:
    """panva's oidc-provider (tests/oidc/provider) run with Node on a free loopback port, with the
    portal at `portal_url` registered as the demo's client. `issuer` is None and `problem` says why
    when Node or the packages are missing (the single sign-on journey then fails, saying so)."""

    def __init__(self, portal_url: str, clock_file: Path):
        self.portal_url = portal_url
        self.clock_file = clock_file
        self.issuer: str | None = None
        self.problem: str | None = None
        self.process: subprocess.Popen | None = None
        self.errors = tempfile.TemporaryFile()

    def start(self) -> None:
        from tests.oidc.conftest import PROVIDER_DIR

        node = shutil.which("node")
        if node is None:
            self.problem = "the single sign-on journey needs Node.js (`node`) for the local OpenID Connect provider"
            return
        if not (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
            npm = shutil.which("npm")
            result = subprocess.run([npm or "npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR,
                                    capture_output=True, text=True, timeout=600) if npm else None
            if result is None or result.returncode != 0:
                self.problem = "npm ci for the local OpenID Connect provider failed" + (
                    f":\n{result.stderr[-2000:]}" if result is not None else " (no npm)")
                return
        clients = [{"client_id": OIDC_CLIENT_ID, "client_secret": OIDC_CLIENT_SECRET,
                    "redirect_uris": [f"{self.portal_url}/sign-in/organisation/callback"]}]
        env = {**os.environ, "OIDC_PORT": "0", "OIDC_CLIENTS": json.dumps(clients),
               "OIDC_CLOCK_OFFSET_FILE": str(self.clock_file)}
        preload = Path(__file__).with_name("provider_clock.cjs")
        self.process = subprocess.Popen([node, "--require", str(preload), "server.js"], cwd=PROVIDER_DIR, env=env,
                                        stdout=subprocess.PIPE, stderr=self.errors, text=True)
        # The first start after `npm ci` reads thousands of files from a cold disk: up to two
        # minutes, reading every line it prints until its "ready" one.
        deadline = time.monotonic() + 120
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select_module.select([self.process.stdout], [], [], left)
            line = self.process.stdout.readline() if ready else ""
            if not line:
                break  # timed out, or it exited
            match = re.match(r"^ready (http://127\.0\.0\.1:\d+)$", line.strip())
            if match:
                self.issuer = match.group(1)
                return
        self._end_process()
        self.errors.seek(0)
        self.problem = f"the local OpenID Connect provider did not start:\n{self.errors.read().decode()[-2000:]}"
        self.errors.close()

    def stop(self) -> None:
        self._end_process()
        if not self.errors.closed:
            self.errors.close()

    def _end_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="package")
def portal(tmp_path_factory):
    """The portal on a free loopback port with the demo data, and the case-system simulator on
    another, with Northshire and Southmoor pointed at it; yields a LivePortal.

    Package-scoped, like `browser`: Playwright's sync API allows one running instance per thread,
    and tests elsewhere (tests/auth) start their own."""
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    from flask_migrate import upgrade

    from portal import create_app
    from casesim import create_casesim_app
    from portal.connector.endpoints import set_endpoint
    from demo.cli import seed
    from portal.extensions import limiter
    from portal.orgs.models import LocalAuthority
    from tests.conftest import environ_for_tests
    from tests.databases import throwaway_database

    casesim = create_casesim_app(tmp_path_factory.mktemp("browser-casesim") / "casesim.sqlite3", CASESIM_SECRETS,
                                 admin_token=CASESIM_ADMIN_TOKEN)
    casesim_server, casesim_thread = _serve(casesim)
    casesim_url = f"http://127.0.0.1:{casesim_server.server_port}"
    # The portal's socket is opened first, so that its address is known before the app is made:
    # links in emails (invitations) are built from PORTAL_BASE_URL, never from the request.
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    # The local OpenID Connect provider, with this portal's callback registered: the demo seed
    # points Oakfield's single sign-on at it (PORTAL_DEMO_OIDC_ISSUER), and the portal allows it.
    _clock.offset_file = tmp_path_factory.mktemp("browser-oidc") / "clock-offset-ms"
    _clock.share()
    provider = LocalOidcProvider(url, _clock.offset_file)
    provider.start()
    try:
        with throwaway_database(tmp_path_factory.mktemp("browser-db"), "browser") as database:
            environ = environ_for_tests(database, tmp_path_factory.mktemp("browser-instance"))
            environ["PORTAL_BASE_URL"] = url
            environ["PORTAL_CONNECTOR_ALLOWED_HOSTS"] = f"127.0.0.1:{casesim_server.server_port}"
            if provider.issuer:
                environ["PORTAL_OIDC_ALLOWED_ISSUERS"] = provider.issuer
                environ["PORTAL_DEMO_OIDC_ISSUER"] = provider.issuer
            app = create_app(environ)
            with app.app_context():
                upgrade()
                limiter.reset()
                seed()
                for la in db.session.execute(select(LocalAuthority)).scalars():
                    if la.code in CASESIM_SECRETS:
                        set_endpoint(la, f"{casesim_url}/la/{la.code}", CASESIM_SECRETS[la.code][0], allow_http=True)
                db.session.commit()
                db.session.remove()
            server, thread = _serve(app, listener)
            try:
                yield LivePortal(url=url, app=app, casesim_url=casesim_url, oidc_issuer=provider.issuer,
                                 oidc_problem=provider.problem)
            finally:
                _stop(server, thread)
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
    finally:
        listener.close()
        provider.stop()
        _clock.offset_file = None
        _stop(casesim_server, casesim_thread)
        casesim.extensions["casesim_store"].close()


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
        self.violations.extend(axe_violations(self.axe, self.page, where))

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

    def totp_code(self, secret: str = DEMO_TOTP_SECRET) -> str:
        """A code not used before: the clock moves to the next 30-second step first."""
        import pyotp

        self.clock.next_totp_step()
        return pyotp.TOTP(secret).at(self.clock.now())

    def sign_in(self, email: str, password: str = DEMO_PASSWORD, secret: str = DEMO_TOTP_SECRET) -> None:
        self.goto("/sign-in")
        self.fill("Email address", email)
        self.fill("Password", password)
        self.click("Sign in")
        self.page.wait_for_url("**/sign-in/code")
        self.fill("Security code", self.totp_code(secret))
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
        visitor = Visitor(context, portal.url, axe, stepping_clock, check=javascript)
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
