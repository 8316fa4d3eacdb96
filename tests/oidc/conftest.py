"""A real OpenID Connect provider for the single sign-on tests: panva's oidc-provider (OpenID
Certified), run with this machine's Node on a free loopback port for the test session.

If `node` is missing the tests fail, saying so; if the npm packages are missing they are
installed from the lock file (`npm ci`) first. They are never skipped.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from portal.auth import oidc
from portal.auth.models import SecondFactorPolicy, SingleSignOnProvider, SingleSignOnSettings
from portal.db import db

PROVIDER_DIR = Path(__file__).parent / "provider"
CLIENT_ID = "portal"
CLIENT_SECRET = "test-client-secret-of-the-portal"
OTHER_CLIENT_ID = "another-service"
REDIRECT_URI = "http://localhost/sign-in/organisation/callback"
ID_TOKEN_TTL = 120
PASSWORD = "demo-Portal-2026"  # the provider's demo identities' password
OAKFIELD_TENANT = "3f0e2c9a-0a1b-4c59-9d0e-0a4f0a1d0001"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("The single sign-on tests need Node.js (`node`) to run the local OpenID Connect provider")
    return node


def _install_packages() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("The single sign-on tests need npm to install the local OpenID Connect provider (npm ci)")
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"npm ci for the local OpenID Connect provider failed:\n{result.stderr[-2000:]}")


@pytest.fixture(scope="session")
def oidc_issuer():
    """Start the provider; yield its issuer; stop it."""
    node = _node()
    _install_packages()
    clients = [
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI]},
        {"client_id": OTHER_CLIENT_ID, "client_secret": "another-secret", "redirect_uris": [REDIRECT_URI]},
    ]
    env = {**os.environ, "OIDC_PORT": "0", "OIDC_CLIENTS": json.dumps(clients), "OIDC_ID_TOKEN_TTL": str(ID_TOKEN_TTL)}
    errors = tempfile.TemporaryFile()
    process = subprocess.Popen([node, "server.js"], cwd=PROVIDER_DIR, env=env, stdout=subprocess.PIPE,
                               stderr=errors, text=True)
    try:
        # Two minutes: the first start after `npm ci` reads the packages from a cold disk.
        ready, _, _ = select.select([process.stdout], [], [], 120)
        line = process.stdout.readline() if ready else ""
        match = re.match(r"^ready (http://127\.0\.0\.1:\d+)$", line.strip())
        if not match:
            process.kill()
            errors.seek(0)
            pytest.fail(f"The local OpenID Connect provider did not start:\n{errors.read().decode()[-2000:]}")
        issuer = match.group(1)
        oidc.forget_cached()
        yield issuer
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        errors.close()
        oidc.forget_cached()


@pytest.fixture
def allowed(app, oidc_issuer, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_OIDC_ALLOWED_ISSUERS", oidc_issuer)
    return oidc_issuer


def make_settings(organisation, issuer: str, *, tenant: str | None = OAKFIELD_TENANT, domains: str = "oakfield.demo",
                  client_id: str = CLIENT_ID, second_factor: str = SecondFactorPolicy.PORTAL_CODE,
                  enabled: bool = True, **fields) -> SingleSignOnSettings:
    from portal.orgs.models import School

    settings = SingleSignOnSettings(
        school_id=organisation.id if isinstance(organisation, School) else None,
        local_authority_id=None if isinstance(organisation, School) else organisation.id,
        enabled=enabled, provider=SingleSignOnProvider.OIDC, issuer=issuer, tenant=tenant, email_domains=domains,
        client_id=client_id, second_factor=second_factor, **fields,
    )
    settings.client_secret = CLIENT_SECRET if client_id == CLIENT_ID else "another-secret"
    db.session.add(settings)
    db.session.commit()
    return settings


class ProviderBrowser:
    """The person's browser at the provider: follows its redirects and fills in its login form,
    until the provider sends the browser back to the portal."""

    def __init__(self):
        self.http = httpx.Client(follow_redirects=False, timeout=10)

    def sign_in(self, authorize_url: str, email: str, password: str = PASSWORD) -> str:
        """Returns the portal address (path and query) the provider sends the browser back to."""
        url = authorize_url
        for _ in range(10):
            if url.startswith("http://localhost/"):
                parts = urlsplit(url)
                return f"{parts.path}?{parts.query}"
            response = self.http.get(url)
            if response.status_code in (302, 303):
                url = str(response.url.join(response.headers["location"]))
                continue
            assert response.status_code == 200, response.text[:500]
            assert 'name="login"' in response.text
            action = re.search(r'action="([^"]+)"', response.text).group(1)
            response = self.http.post(response.url.join(action), data={"login": email, "password": password})
            assert response.status_code in (302, 303), response.text[:500]
            url = str(response.url.join(response.headers["location"]))
        raise AssertionError("the provider never sent the browser back")


def start_at_portal(client, email: str):
    """Ask the portal to sign in with the organisation's account; the provider's address."""
    response = client.post("/sign-in/organisation", data={"email": email})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def sign_in_with_sso(client, email: str, *, as_who: str | None = None):
    """The whole journey: the portal, the provider's login, back to the portal's callback."""
    back = ProviderBrowser().sign_in(start_at_portal(client, email), as_who or email)
    return client.get(back), back


