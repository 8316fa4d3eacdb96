"""The production configuration, exercised on a real app with real secrets."""

import base64
import os

import pytest

from portal import create_app
from tests.conftest import environ_for_tests


@pytest.fixture
def production_app(_database, tmp_path, monkeypatch):
    environ = environ_for_tests(_database, tmp_path)
    environ.update(
        {
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": "p" * 48,
            "PORTAL_DATABASE_URL": _database,
            "PORTAL_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "PORTAL_BASE_URL": "https://safeguard.example.gov.uk",
            "PORTAL_REDIS_URL": os.environ.get("PORTAL_REDIS_URL", "redis://127.0.0.1:6379/15"),
        }
    )
    return create_app(environ)


def test_production_sends_hsts_and_secure_cookies(production_app):
    response = production_app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert production_app.config["SESSION_COOKIE_SECURE"] is True
    assert production_app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_demo_seed_is_refused_in_production(production_app):
    result = production_app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "refused when PORTAL_ENV=production" in result.output
