import pytest

from portal import create_app
from portal.config import DEVELOPMENT_SECRET_KEY, ConfigurationError, load_settings

STRONG = "x" * 48


def test_development_has_safe_defaults(tmp_path):
    settings = load_settings({"PORTAL_ENV": "development"}, instance_path=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    assert settings.secret_key == DEVELOPMENT_SECRET_KEY


@pytest.mark.parametrize(
    "environ, message",
    [
        ({}, "PORTAL_SECRET_KEY is missing"),
        ({"PORTAL_SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "PORTAL_SECRET_KEY is missing or is the development default"),
        ({"PORTAL_SECRET_KEY": "short"}, "at least 32 characters"),
        ({"PORTAL_SECRET_KEY": STRONG}, "PORTAL_DATABASE_URL is missing"),
        ({"PORTAL_SECRET_KEY": STRONG, "PORTAL_DATABASE_URL": "postgresql://db/portal"}, "PORTAL_BASE_URL must be"),
        (
            {"PORTAL_SECRET_KEY": STRONG, "PORTAL_DATABASE_URL": "postgresql://db/portal", "PORTAL_BASE_URL": "http://portal.example"},
            "PORTAL_BASE_URL must be",
        ),
    ],
)
def test_production_refuses_to_start_without_real_secrets(environ, message, tmp_path):
    environ = {"PORTAL_ENV": "production", "PORTAL_INSTANCE_PATH": str(tmp_path), **environ}
    with pytest.raises(ConfigurationError, match=message):
        create_app(environ)


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigurationError, match="PORTAL_ENV must be one of"):
        load_settings({"PORTAL_ENV": "staging"})


def test_postgres_urls_use_psycopg_3(tmp_path):
    settings = load_settings(
        {"PORTAL_ENV": "development", "PORTAL_DATABASE_URL": "postgres://u@h/db"}, instance_path=tmp_path
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
