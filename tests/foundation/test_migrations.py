"""The migrations build exactly the schema the models describe, and unwind cleanly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from portal import create_app
from portal.db import db
from tests.conftest import environ_for_tests
from tests.databases import throwaway_database


def _differences(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_the_models_and_downgrade_reaches_base(tmp_path):
    with throwaway_database(tmp_path, "migrations") as url:
        app = create_app(environ_for_tests(url, tmp_path))
        with app.app_context():
            upgrade()
            engine = create_engine(url)
            try:
                assert _differences(engine) == []
                downgrade(revision="base")
                assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            finally:
                engine.dispose()
                db.engine.dispose()
