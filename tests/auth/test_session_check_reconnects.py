"""A pooled connection the database server has closed (a restart, a failover) costs the signed-in
user nothing: they see their page, not an error."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from portal.auth.roles import Role
from portal.db import db
from tests.factories import make_la, make_school, make_user
from tests.signing_in import sign_in


def test_a_signed_in_page_survives_the_server_closing_the_pooled_connection(client):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("closing a server-side connection needs PostgreSQL (pg_terminate_backend)")
    sign_in(client, make_user(Role.DSL, make_school(make_la())))
    assert client.get("/pupils").status_code == 200
    db.session.rollback()
    backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.session.rollback()
    outside = create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with outside.connect() as other:  # not from the pool, which would hand back the same connection
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()
    outside.dispose()
    response = client.get("/pupils")
    assert response.status_code == 200
    assert db.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
