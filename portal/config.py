"""Settings from PORTAL_* environment variables.

Development and test get safe defaults so that `make demo` and `make test` work on a fresh
machine. Production refuses to start unless every secret is real: a portal holding children's
records must never run on a key that is printed in its own source code.

Secrets (the master keys, the SMTP password) are read once, by `read_secrets`, and handed to the
one part that uses each (portal.crypto, portal.notify) when the app is built: they are never kept
in `app.config`, which debuggers, error reporters and careless log lines print. The only secret
Flask itself needs in its config is SECRET_KEY (it signs the session cookie).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ENVIRONMENTS = ("development", "production", "test")

# Known development-only values: production refuses them as well as empty ones.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-not-for-production"
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The portal cannot start with this configuration. The message says what to change."""


@dataclass(frozen=True)
class Settings:
    env: str
    instance_path: Path
    database_url: str
    secret_key: str
    redis_url: str | None
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # How long one worker process may reuse a council's queue page for (0: never). The cache is
    # emptied by every committed change to the queue; this bounds only how stale the "time left"
    # text may be. See portal/triage/queue.py.
    queue_cache_seconds: int = 10
    # How long a web process may keep a school's pupils' names in the roll's order, and for how
    # many schools (portal/pupils/roll_names.py): any committed change to the school's pupils is
    # seen at once whatever this is; it bounds how long names stay in memory. 0 keeps nothing.
    roll_names_seconds: int = 120
    roll_names_schools: int = 20
    # Proxies in front of the portal whose X-Forwarded-For/-Proto/-Host are trusted (werkzeug's
    # ProxyFix). 0 (the default): none, the client is whoever connected. Behind one TLS proxy or
    # load balancer: 1. Set it to exactly the number of proxies: one more lets a client choose the
    # address that throttling and the audit trail see.
    trusted_proxy_hops: int = 0
    # Every other PORTAL_* setting that is not a secret (see SECRET_SETTINGS).
    extra: dict = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"


# Settings that are secrets: read once by read_secrets(), never kept in Settings or app.config.
SECRET_SETTINGS = frozenset({
    "PORTAL_SECRET_KEY",
    "PORTAL_MASTER_KEY",
    "PORTAL_PREVIOUS_MASTER_KEY",
    "PORTAL_SMTP_PASSWORD",
})


def is_secret(name: str) -> bool:
    return name in SECRET_SETTINGS or any(word in name for word in ("PASSWORD", "SECRET", "TOKEN"))


def read_secrets(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The secret settings, for create_app() to hand to the parts that use them, then drop."""
    environ = os.environ if environ is None else environ
    return {name: value for name, value in environ.items() if name.startswith("PORTAL_") and is_secret(name)}


def _default_sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'portal.sqlite3'}"


def load_settings(environ: dict[str, str] | None = None, instance_path: Path | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    env = environ.get("PORTAL_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigurationError(
            f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)} (it was set to an unknown value)."
        )
    instance_path = Path(environ.get("PORTAL_INSTANCE_PATH") or instance_path or Path.cwd() / "instance")

    secret_key = environ.get("PORTAL_SECRET_KEY", "")
    database_url = environ.get("PORTAL_DATABASE_URL", "")
    if env == "production":
        problems = []
        if not secret_key or secret_key == DEVELOPMENT_SECRET_KEY:
            problems.append("PORTAL_SECRET_KEY is missing or is the development default")
        elif len(secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(f"PORTAL_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
        if not database_url:
            problems.append("PORTAL_DATABASE_URL is missing (production does not use the SQLite default)")
        base_url = environ.get("PORTAL_BASE_URL", "")
        if not base_url.startswith("https://"):
            problems.append("PORTAL_BASE_URL must be the portal's https:// address (links in emails use it)")
        if not environ.get("PORTAL_REDIS_URL"):
            problems.append(
                "PORTAL_REDIS_URL is missing (sign-in throttling and lockout counts must be shared by "
                "every worker and node and survive a restart)"
            )
        if problems:
            raise ConfigurationError(
                "Refusing to start in production: " + "; ".join(problems) + ". "
                "Generate a secret with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
    else:
        secret_key = secret_key or DEVELOPMENT_SECRET_KEY
        if env == "test":
            database_url = environ.get("PORTAL_TEST_DATABASE_URL") or database_url
        database_url = database_url or _default_sqlite_url(instance_path)

    return Settings(
        env=env,
        instance_path=instance_path,
        database_url=normalise_database_url(database_url),
        secret_key=secret_key,
        redis_url=environ.get("PORTAL_REDIS_URL") or None,
        session_idle_minutes=int(environ.get("PORTAL_SESSION_IDLE_MINUTES", "30")),
        session_absolute_hours=int(environ.get("PORTAL_SESSION_ABSOLUTE_HOURS", "12")),
        queue_cache_seconds=int(environ.get("PORTAL_QUEUE_CACHE_SECONDS", "10")),
        roll_names_seconds=int(environ.get("PORTAL_ROLL_NAMES_SECONDS", "120")),
        roll_names_schools=max(1, int(environ.get("PORTAL_ROLL_NAMES_SCHOOLS", "20"))),
        trusted_proxy_hops=_proxy_hops(environ.get("PORTAL_TRUSTED_PROXY_HOPS", "0")),
        extra={k: v for k, v in environ.items() if k.startswith("PORTAL_") and not is_secret(k)},
    )


def _proxy_hops(value: str) -> int:
    try:
        hops = int(value)
    except ValueError:
        hops = -1
    if not 0 <= hops <= 5:
        raise ConfigurationError("PORTAL_TRUSTED_PROXY_HOPS must be a whole number from 0 to 5 "
                                 "(the number of proxies in front of the portal)")
    return hops


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def flask_config(settings: Settings) -> dict:
    """The Flask/extension configuration derived from the settings."""
    production = settings.is_production
    return {
        "SECRET_KEY": settings.secret_key,
        "PORTAL_ENV": settings.env,
        "TESTING": settings.env == "test",
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        # No pre-ping: it cost every request a round trip. A connection the server closed
        # (restart, failover, pg_terminate_backend) is found at checkout without one, by what the
        # server sent on it (portal/db.py), and replaced; the session check retries once should
        # one be closed in between. Connections are replaced after an hour, before a firewall's
        # idle timeout can cut them. tests/foundation/test_round_trips.py counts the round trips
        # and closes the pooled connection under a signed-in user.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False, "pool_recycle": 3600},
        "SESSION_COOKIE_NAME": "__Host-portal_session" if production else "portal_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session; sessions time out
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "PORTAL_SESSION_IDLE_MINUTES": settings.session_idle_minutes,
        "PORTAL_SESSION_ABSOLUTE_HOURS": settings.session_absolute_hours,
        "PORTAL_QUEUE_CACHE_SECONDS": settings.queue_cache_seconds,
        "PORTAL_ROLL_NAMES_SECONDS": settings.roll_names_seconds,
        "PORTAL_ROLL_NAMES_SCHOOLS": settings.roll_names_schools,
        "PORTAL_SETTINGS": settings,
    }
