"""Liveness and readiness probes for load balancers. They reveal no versions or settings."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from portal.crypto import key_problems
from portal.db import db
from portal.policy import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:
        return jsonify(status="unavailable", database="unreachable"), 503
    heads = set(_script_directory().get_heads())
    if current != heads:
        return jsonify(status="unavailable", database="ok", migrations="behind"), 503
    # A master key that cannot open the data keys means no page with a child's details works:
    # not ready (the start-up check refuses it too; this covers a key changed under a running
    # portal's database, or one started while the database was away).
    try:
        keys_open = not key_problems(current_app)
    except Exception:
        return jsonify(status="unavailable", database="unreachable"), 503
    if not keys_open:
        return jsonify(status="unavailable", database="ok", migrations="current", keys="wrong master key"), 503
    return jsonify(status="ok", database="ok", migrations="current", keys="ok")


def _script_directory() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)
