"""The audit trail: a hash chain that verifies when intact and names the first broken row."""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from portal import audit
from portal.audit.models import AuditEvent
from portal.audit.service import compute_hash, verify_chain
from portal.db import db


@pytest.fixture(autouse=True)
def checkpoint_file(app, tmp_path, monkeypatch):
    """Each test its own checkpoint file (the suite's database is emptied between tests)."""
    path = tmp_path / "audit-checkpoints.log"
    monkeypatch.setitem(app.config["PORTAL_SETTINGS"].extra, "PORTAL_AUDIT_CHECKPOINT_FILE", str(path))
    return path


def _record(n: int) -> list[int]:
    events = [audit.record("pupil.view", object_type="pupil", object_id=uuid.uuid4(), detail=f"case_{i}")
              for i in range(n)]
    db.session.commit()
    return [event.seq for event in events]


def _written() -> list[tuple[int, str]]:
    """The trail as written: (seq, action) of every event, in the chain's order."""
    return [(e.seq, e.action) for e in db.session.query(AuditEvent).order_by(AuditEvent.seq)]


@contextmanager
def _tampering():
    """Bypass PostgreSQL's append-only trigger, as an attacker with superuser rights could.

    SET LOCAL lasts only until the commit, so no pooled connection keeps the trigger off."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    yield
    db.session.commit()


def _verify_command(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_a_correct_chain_verifies(app):
    _record(7)
    report = verify_chain()
    assert report.ok and report.checked == 7
    result = _verify_command(app)
    assert result.exit_code == 0
    assert "Audit chain intact: 7 events verified" in result.output


def test_an_empty_chain_verifies(app):
    assert verify_chain().ok


def test_an_altered_row_is_found(app):
    _record(6)
    with _tampering():
        db.session.execute(text("UPDATE audit_event SET outcome = 'failure' WHERE seq = 3"))
    report = verify_chain()
    assert (report.first_broken_seq, report.reason, report.checked) == (3, "event altered", 2)
    result = _verify_command(app)
    assert result.exit_code == 1
    assert "Audit chain BROKEN at event 3: event altered (2 events verified before it)." in result.output


def test_an_altered_row_with_a_recomputed_hash_breaks_the_next_link(app):
    _record(5)
    with _tampering():
        event = db.session.get(AuditEvent, 2)
        event.actor_id = uuid.uuid4()
        event.hash = compute_hash(event, b"a key guessed by whoever has the database" * 1)
        db.session.flush()
    report = verify_chain()
    assert (report.first_broken_seq, report.reason) == (2, "event altered")


def test_a_deleted_row_is_found(app):
    _record(5)
    with _tampering():
        db.session.execute(text("DELETE FROM audit_event WHERE seq = 4"))
    report = verify_chain()
    assert (report.first_broken_seq, report.reason) == (4, "missing event")


def test_a_deleted_last_row_is_found(app):
    _record(5)
    with _tampering():
        db.session.execute(text("DELETE FROM audit_event WHERE seq = 5"))
    report = verify_chain()
    assert not report.ok and report.first_broken_seq == 5


def test_the_database_refuses_to_change_audit_events_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    _record(1)
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE audit_event SET outcome = 'failure'"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM audit_event"))
    db.session.rollback()


def test_audit_fields_refuse_free_text(app):
    with pytest.raises(ValueError):
        audit.record("pupil.view", detail="Jane Smith said something")
    with pytest.raises(ValueError):
        audit.record("Pupil viewed by Jane")
    with pytest.raises(ValueError):
        audit.record("pupil.view", object_id="x" * 65)


def test_concurrent_writers_never_fork_the_chain(app):
    writers, per_writer = 4, 15
    errors = []
    start = threading.Barrier(writers)

    def write():
        with app.app_context():
            try:
                start.wait()
                for _ in range(per_writer):
                    audit.record("pupil.view", object_type="pupil", object_id=uuid.uuid4())
                    db.session.commit()
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_chain()
    assert report.ok and report.checked == writers * per_writer
    prev = db.session.execute(text("SELECT prev_hash FROM audit_event")).scalars().all()
    assert len(set(prev)) == len(prev)  # no two events claim the same predecessor: no fork


def test_events_of_one_transaction_are_written_at_its_commit_under_one_lock_in_order(app):
    from sqlalchemy import event as sqlalchemy_event

    statements = []

    def note(conn, cursor, statement, *args):
        if "audit_" in statement:  # not the keyring's read of the key the first event made
            statements.append(" ".join(statement.split()))

    audit.record("test.zeroth", object_type="pupil", object_id=uuid.uuid4())
    db.session.commit()  # the first event makes the audit key
    audit.record("test.first", object_type="pupil", object_id=uuid.uuid4())
    audit.record("test.second", object_type="pupil", object_id=uuid.uuid4())
    db.session.execute(text("SELECT 1"))  # the page goes on reading: nothing of the audit's yet
    audit.record("test.third", object_type="pupil", object_id=uuid.uuid4())
    sqlalchemy_event.listen(db.engine, "before_cursor_execute", note)
    try:
        db.session.commit()
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", note)
    # At the commit: the head locked and read in one statement (PostgreSQL: SELECT ... FOR UPDATE;
    # SQLite: an UPDATE that changes nothing, for its write lock), then the three events and the
    # head moved on (on PostgreSQL in one statement, so the head's row gets one new version).
    if db.engine.dialect.name == "postgresql":
        assert len(statements) == 2
        assert statements[0].startswith("SELECT audit_chain_head.last_seq") and statements[0].endswith("FOR UPDATE")
        assert statements[1].startswith("WITH written_events AS")
    else:
        assert [" ".join(s.split()[:3]) for s in statements] == [
            "UPDATE audit_chain_head SET", "INSERT INTO audit_event", "UPDATE audit_chain_head SET"]
    assert _written() == [(1, "test.zeroth"), (2, "test.first"), (3, "test.second"), (4, "test.third")]
    assert verify_chain().ok


def test_the_commits_audit_statements_are_compiled_once_whatever_the_number_of_events(app):
    # A multi-row VALUES is a statement SQLAlchemy cannot cache: compiling it again on every
    # audited page cost about a millisecond. One event or three, the statements are the same
    # ones, found in the compiled cache.
    from sqlalchemy import event as sqlalchemy_event

    audit.record("test.zeroth", object_type="pupil", object_id=uuid.uuid4())
    db.session.commit()  # the first event makes the audit key
    _record(1)  # and the first commit compiles the statements
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "audit_" in statement:
            seen.append((" ".join(statement.split()), context.cache_hit is context.dialect.CACHE_HIT))

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", note)
    try:
        _record(1)
        _record(3)
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", note)
    one, three = seen[:len(seen) // 2], seen[len(seen) // 2:]
    assert [statement for statement, _ in one] == [statement for statement, _ in three]
    assert all(hit for _, hit in seen), seen
    assert [seq for seq, _ in _written()] == list(range(1, 7))
    assert verify_chain().ok


def test_an_event_rolled_back_with_its_savepoint_leaves_the_chain_whole(app):
    audit.record("test.kept", object_type="pupil", object_id=uuid.uuid4())
    savepoint = db.session.begin_nested()
    audit.record("test.undone", object_type="pupil", object_id=uuid.uuid4())
    savepoint.rollback()
    audit.record("test.after", object_type="pupil", object_id=uuid.uuid4())
    db.session.commit()
    assert _written() == [(1, "test.kept"), (2, "test.after")]
    assert verify_chain().ok


def test_an_event_of_a_rolled_back_transaction_is_never_written(app):
    audit.record("test.undone", object_type="pupil", object_id=uuid.uuid4())
    db.session.rollback()
    audit.record("test.kept", object_type="pupil", object_id=uuid.uuid4())
    db.session.commit()
    assert _written() == [(1, "test.kept")]
    assert verify_chain().ok


def test_events_written_at_a_savepoints_release_roll_back_with_the_transaction_around_it(app):
    audit.record("test.kept", object_type="pupil", object_id=uuid.uuid4())
    db.session.commit()
    audit.record("test.before", object_type="pupil", object_id=uuid.uuid4())
    with db.session.begin_nested():
        audit.record("test.inside", object_type="pupil", object_id=uuid.uuid4())
    db.session.rollback()
    audit.record("test.after", object_type="pupil", object_id=uuid.uuid4())
    db.session.commit()
    assert _written() == [(1, "test.kept"), (2, "test.after")]
    assert verify_chain().ok


def test_the_chain_is_ordered_by_commit(app):
    """An event recorded first in a transaction that commits second comes second: the head is
    taken at the commit."""
    from portal.audit.service import _PENDING_EVENTS

    audit.record("test.recorded_first", object_type="pupil", object_id=uuid.uuid4())
    waiting = db.session.info.pop(_PENDING_EVENTS)
    db.session.rollback()
    audit.record("test.committed_first", object_type="pupil", object_id=uuid.uuid4())
    db.session.commit()
    db.session.info[_PENDING_EVENTS] = [(db.session.begin(), event) for _, event in waiting]
    db.session.commit()
    assert [action for _, action in _written()] == ["test.committed_first", "test.recorded_first"]
    assert verify_chain().ok
