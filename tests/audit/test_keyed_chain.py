"""The audit trail against someone with the database but not the master key: a keyed chain,
signed checkpoints outside the database, TRUNCATE refused (the security review's finding 3)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from portal import audit
from portal.audit import chain
from portal.audit.models import AuditChainHead, AuditEvent
from portal.audit.service import verify_chain, write_checkpoint_now
from portal.crypto.models import DataKey
from portal.db import db

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0013_endpoint_changes_and_keyed_audit.py"


@pytest.fixture(autouse=True)
def checkpoint_file(app, tmp_path, monkeypatch):
    path = tmp_path / "audit-checkpoints.log"
    monkeypatch.setitem(app.config["PORTAL_SETTINGS"].extra, "PORTAL_AUDIT_CHECKPOINT_FILE", str(path))
    monkeypatch.setitem(app.config["PORTAL_SETTINGS"].extra, "PORTAL_AUDIT_CHECKPOINT_EVERY", "1000000")
    monkeypatch.setitem(app.config["PORTAL_SETTINGS"].extra, "PORTAL_AUDIT_CHECKPOINT_MINUTES", "100000")
    monkeypatch.setitem(chain._last_written, "at", __import__("time").monotonic())
    return path


def _record(n: int) -> None:
    for _ in range(n):
        audit.record("pupil.view", object_type="pupil", object_id=uuid.uuid4())
    db.session.commit()


def _as_superuser():
    """Bypass PostgreSQL's append-only triggers, as the attacker in the review could."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))


def _unkeyed_sha256(row) -> str:
    fields = {
        "seq": row.seq, "occurred_at": row.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": str(row.actor_id) if row.actor_id else None,
        "organisation_id": str(row.organisation_id) if row.organisation_id else None,
        "action": row.action, "object_type": row.object_type, "object_id": row.object_id, "outcome": row.outcome,
        "detail": row.detail, "ip": row.ip, "request_id": row.request_id, "prev_hash": row.prev_hash,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _delete_and_recompute(first: int, last: int) -> None:
    """The review's attack: delete events, renumber the rest, recompute every hash and the head
    the way the old unkeyed chain did."""
    _as_superuser()
    db.session.execute(text("DELETE FROM audit_event WHERE seq BETWEEN :a AND :b"), {"a": first, "b": last})
    gap = last - first + 1
    db.session.execute(text("UPDATE audit_event SET seq = seq - :gap WHERE seq > :b"), {"gap": gap, "b": last})
    prev = "0" * 64
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    for event in events:
        event.prev_hash = prev
        event.hash = _unkeyed_sha256(event)
        prev = event.hash
    head = db.session.get(AuditChainHead, 1)
    head.last_seq, head.last_hash = events[-1].seq, prev
    db.session.commit()


def test_deleting_events_and_recomputing_the_chain_and_head_is_found(app):
    _record(20)
    assert verify_chain().ok
    _delete_and_recompute(5, 12)
    report = verify_chain()
    assert not report.ok and report.first_broken_seq == 1 and report.reason == "event altered"
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "BROKEN at event 1: event altered" in result.output
    assert "pupil" not in result.output  # a position, never an event's content


def test_the_chain_key_is_not_in_the_database_in_clear(app):
    _record(3)
    event = db.session.execute(select(AuditEvent)).scalars().first()
    kid, chain_key, checkpoint_key = chain.current_key(db.session.connection())
    assert event.key_id == kid and chain_key != checkpoint_key
    for (wrapped,) in db.session.execute(select(DataKey.wrapped_key)):
        assert chain_key not in bytes(wrapped) and checkpoint_key not in bytes(wrapped)


def test_removing_the_last_events_is_found_by_the_signed_checkpoint(app, checkpoint_file):
    _record(10)
    assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
    line = checkpoint_file.read_text().strip()
    assert line.startswith("audit-checkpoint v1 at=") and " events=10 " in line
    # Deleting the tail and moving the head back leaves a keyed chain that still links up...
    _as_superuser()
    db.session.execute(text("DELETE FROM audit_event WHERE seq > 7"))
    head = db.session.get(AuditChainHead, 1)
    head.last_seq = 7
    head.last_hash = db.session.get(AuditEvent, 7).hash
    db.session.commit()
    # ...but not with the checkpoint written outside the database.
    report = verify_chain()
    assert not report.ok and report.first_broken_seq == 8 and "events missing" in report.reason


def test_a_checkpoint_cannot_be_forged_or_edited(app, checkpoint_file):
    _record(4)
    write_checkpoint_now()
    assert verify_chain().ok and verify_chain().checkpoints == 1
    text_ = checkpoint_file.read_text()
    checkpoint_file.write_text(text_.replace("events=4", "events=3"))
    report = verify_chain()
    assert not report.ok and "bad signature" in report.reason
    checkpoint_file.write_text(text_ + "whatever an attacker appends\n")
    assert "not a checkpoint" in verify_chain().reason


def test_an_event_differing_from_its_checkpoint_is_found(app, checkpoint_file):
    _record(5)
    write_checkpoint_now()
    # Rebuild the whole trail from scratch under the real key (as if the key had leaked but the
    # checkpoint file had not): the head no longer matches the checkpoint.
    _as_superuser()
    db.session.execute(text("DELETE FROM audit_event"))
    db.session.execute(text("UPDATE audit_chain_head SET last_seq = 0, last_hash = :g"), {"g": "0" * 64})
    db.session.commit()
    _record(5)
    report = verify_chain()
    assert not report.ok and report.first_broken_seq == 5 and "differs from the checkpoint" in report.reason


def test_checkpoints_are_written_automatically_every_n_events(app, checkpoint_file, monkeypatch):
    monkeypatch.setitem(app.config["PORTAL_SETTINGS"].extra, "PORTAL_AUDIT_CHECKPOINT_EVERY", "3")
    for _ in range(7):
        audit.record("pupil.view", object_type="pupil", object_id=uuid.uuid4())
        db.session.commit()
    checkpoints, bad = chain.read_checkpoints(checkpoint_file)
    assert [c.events for c in checkpoints] == [3, 6] and bad == []
    # A rolled-back event writes none.
    monkeypatch.setitem(app.config["PORTAL_SETTINGS"].extra, "PORTAL_AUDIT_CHECKPOINT_EVERY", "1")
    audit.record("pupil.view", object_type="pupil", object_id=uuid.uuid4())
    db.session.rollback()
    assert len(chain.read_checkpoints(checkpoint_file)[0]) == 2
    assert verify_chain().ok and verify_chain().checkpoints == 2


def test_truncate_is_refused_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")
    _record(2)
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("TRUNCATE audit_event"))
    db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 2


def test_the_migration_rechains_existing_unkeyed_events_under_the_key(app):
    """Events written by the previous release (SHA-256, no key) are checked, then re-chained."""
    _record(6)
    _as_superuser()
    prev = "0" * 64
    for event in db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all():
        event.prev_hash, event.key_id = prev, ""
        event.hash = prev = _unkeyed_sha256(event)
    db.session.get(AuditChainHead, 1).last_hash = prev
    db.session.commit()
    assert not verify_chain().ok
    spec = importlib.util.spec_from_file_location("migration_0013", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    connection = db.session.connection()
    migration._rechain_under_the_audit_key(connection)
    db.session.commit()
    db.session.expire_all()
    assert verify_chain().ok and verify_chain().checked == 6
    # A chain that was already broken is not blessed.
    _as_superuser()
    db.session.execute(text("UPDATE audit_event SET outcome = 'failure' WHERE seq = 2"))
    db.session.execute(text("UPDATE audit_event SET key_id = ''"))
    db.session.commit()
    with pytest.raises(RuntimeError, match="already broken at event 1"):
        migration._rechain_under_the_audit_key(db.session.connection())
    db.session.rollback()
