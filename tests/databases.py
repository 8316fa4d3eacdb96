"""Throwaway databases for a test run.

On PostgreSQL every run creates its own database (named after the run) and drops it at the end,
so runs never see each other's rows, even two at once on one server. On SQLite a temporary file.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.config import normalise_database_url


def server_url() -> str | None:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    return normalise_database_url(url) if url else None


@contextmanager
def throwaway_database(tmp_dir: Path, label: str):
    """Yield the URL of a new, empty database; remove it afterwards."""
    base = server_url()
    if base is None or not base.startswith("postgresql"):
        path = tmp_dir / f"{label}.sqlite3"
        yield f"sqlite:///{path}"
        return
    name = f"portal_{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
