"""Test set-up: one migrated database per run, emptied after every test.

Set PORTAL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test to run the suite on
PostgreSQL (a database of its own is created on that server for the run); SQLite otherwise.
"""

from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, text

from portal import create_app
from portal.db import db
from portal.extensions import limiter
import tests.cli  # noqa: F401  (app.test_cli_runner() has the plugin commands)
from tests.client import PortalClient
from tests.databases import throwaway_database


def environ_for_tests(database_url: str, instance_path) -> dict[str, str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") or k == "PORTAL_REDIS_URL"
    }
    environ.update(
        {
            "PORTAL_ENV": "test",
            "PORTAL_TEST_DATABASE_URL": database_url,
            "PORTAL_INSTANCE_PATH": str(instance_path),
        }
    )
    return environ


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    with throwaway_database(tmp_path_factory.mktemp("db"), "suite") as url:
        yield url


@pytest.fixture(scope="session")
def _app(_database, tmp_path_factory):
    app = create_app(environ_for_tests(_database, tmp_path_factory.mktemp("instance")))
    app.test_client_class = PortalClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_every_table() -> None:
    from portal.audit.models import AuditChainHead

    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        # audit_event refuses TRUNCATE (a trigger, migration 0013); the suite empties it as a
        # superuser would, with triggers off until the commit.
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            # queue_of=(), roll_of=(): every council and school goes too, so no queue or roll is
            # left to mark as changed.
            db.session.execute(delete(table).execution_options(queue_of=(), roll_of=()))
    db.session.add(AuditChainHead(id=1, last_seq=0, last_hash="0" * 64))
    db.session.commit()


@pytest.fixture
def app(_app):
    with _app.app_context():
        limiter.reset()  # throttling counts (in Redis when PORTAL_REDIS_URL is set) start at zero
        yield _app
        db.session.rollback()
        _empty_every_table()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()
