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
        (
            {"PORTAL_SECRET_KEY": STRONG, "PORTAL_DATABASE_URL": "postgresql://db/portal", "PORTAL_BASE_URL": "https://portal.example"},
            "PORTAL_REDIS_URL is missing",
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


def test_secrets_are_not_kept_in_the_apps_config(tmp_path):
    master = "q" * 43 + "="
    app = create_app({"PORTAL_ENV": "development", "PORTAL_INSTANCE_PATH": str(tmp_path),
                      "PORTAL_MASTER_KEY": master, "PORTAL_SMTP_PASSWORD": "smtp-pass-9f2c",
                      "PORTAL_SMTP_HOST": "smtp.example.org"})
    config_text = repr(dict(app.config)) + repr(app.config["PORTAL_SETTINGS"])
    assert "smtp-pass-9f2c" not in config_text and master not in config_text
    assert app.config["PORTAL_SETTINGS"].extra["PORTAL_SMTP_HOST"] == "smtp.example.org"


@pytest.mark.parametrize("hops", ["-1", "6", "one"])
def test_a_nonsense_number_of_trusted_proxies_is_refused(tmp_path, hops):
    with pytest.raises(ConfigurationError, match="PORTAL_TRUSTED_PROXY_HOPS"):
        load_settings({"PORTAL_ENV": "development", "PORTAL_TRUSTED_PROXY_HOPS": hops}, instance_path=tmp_path)
