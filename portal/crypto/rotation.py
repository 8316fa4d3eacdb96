"""Data-key rotation: a new current key, then every encrypted value and blind index rewritten.

- Batched: rows are visited in id order, a batch at a time, each batch its own transaction.
- Resumable: the last row id of each table is committed with its batch (crypto_key_rotation_
  cursor); a rotation that crashed is resumed by running `flask keys rotate` again.
- While the portal keeps serving: a row is rewritten only if it still holds what was read
  (compare-and-set on every encrypted column), so a concurrent edit is never overwritten; the
  row is read again and retried instead. Processes that still have the old key cached (for up
  to PORTAL_KEYRING_CACHE_SECONDS) may write under it for a moment, so the rotation waits that
  long and sweeps again until nothing is left under old keys. Lookups ask for both the old and
  the new blind-index tokens until the old key is retired.
- Finally the old keys are marked retired (kept wrapped, so that a restored backup can still be
  read) once no value is left under them.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Iterable

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.engine import Connection

from portal.crypto import cipher
from portal.crypto.fields import BlindIndex, EncryptedField, keyring, members
from portal.crypto.keyring import KeyRecord, Keyring, wrap_context
from portal.crypto.models import (
    PURPOSE_FIELD,
    PURPOSE_INDEX,
    STATE_ACTIVE,
    STATE_CURRENT,
    STATE_RETIRED,
    DataKey,
    KeyRotation,
    KeyRotationCursor,
)
from portal.db import Base, db, utcnow

log = logging.getLogger("portal.crypto")

KEYS = DataKey.__table__
ROTATIONS = KeyRotation.__table__
CURSORS = KeyRotationCursor.__table__
ADVISORY_LOCK_ID = 0x5AFE_C0DE  # PostgreSQL: one rotation at a time
CONFLICT_RETRIES = 5


class RotationBusy(RuntimeError):
    """Another rotation is running."""


def encrypted_models() -> list[type]:
    """Every model of the portal with encrypted fields or blind indexes."""

    found = [m.class_ for m in Base.registry.mappers if any(members(m.class_))]
    return sorted(found, key=lambda model: model.__table__.name)


# --- status -----------------------------------------------------------------------------------


@dataclass
class KeyStatus:
    kid: str
    purpose: str
    state: str
    master_key_id: str
    created_at: object
    values: int = 0


@dataclass
class Status:
    keys: list[KeyStatus]
    unfinished_rotation: dict | None
    # (table, column) -> {kid: count}
    per_column: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def values_under(self, kid: str) -> int:
        return sum(counts.get(kid, 0) for counts in self.per_column.values())


def _field_kid_expression(column):
    return func.substr(column, 4, 8)  # "v1:" then the 8-character key id


def _token_kid_expression(column):
    return func.substr(column, 1, 8)


def status(connection: Connection, models: Iterable[type] | None = None) -> Status:
    rows = connection.execute(select(KEYS).order_by(KEYS.c.created_at)).mappings().all()
    keys = [KeyStatus(r["kid"], r["purpose"], r["state"], r["master_key_id"], r["created_at"]) for r in rows]
    per_column: dict[tuple[str, str], dict[str, int]] = {}
    for model in models if models is not None else encrypted_models():
        table = model.__table__
        fields, indexes = members(model)
        columns = [(f.name, _field_kid_expression(table.c[f.name])) for f in fields]
        columns += [(i.name, _token_kid_expression(table.c[i.name])) for i in indexes]
        for name, kid_expression in columns:
            counts = connection.execute(
                select(kid_expression, func.count()).where(table.c[name].is_not(None)).group_by(kid_expression)
            ).all()
            per_column[(table.name, name)] = {kid: count for kid, count in counts}
    by_kid = {k.kid: k for k in keys}
    for counts in per_column.values():
        for kid, count in counts.items():
            if kid in by_kid:
                by_kid[kid].values += count
    unfinished = connection.execute(
        select(ROTATIONS).where(ROTATIONS.c.finished_at.is_(None)).order_by(ROTATIONS.c.started_at)
    ).mappings().first()
    progress = None
    if unfinished is not None:
        cursors = connection.execute(select(CURSORS).where(CURSORS.c.rotation_id == unfinished["id"])).mappings().all()
        progress = {
            "id": unfinished["id"],
            "started_at": unfinished["started_at"],
            "field_kid": unfinished["field_kid"],
            "index_kid": unfinished["index_kid"],
            "tables": {c["table_name"]: (c["rows_rewritten"], c["finished"]) for c in cursors},
        }
    return Status(keys, progress, per_column)


# --- rotation ---------------------------------------------------------------------------------


@dataclass
class RotationReport:
    rotation_id: uuid.UUID
    resumed: bool
    field_kid: str
    index_kid: str
    rows_rewritten: int = 0
    conflicts: int = 0
    retired: list[str] = field(default_factory=list)


def _start_or_resume(connection: Connection, ring: Keyring) -> tuple[dict, bool]:
    with connection.begin():
        unfinished = connection.execute(
            select(ROTATIONS).where(ROTATIONS.c.finished_at.is_(None)).order_by(ROTATIONS.c.started_at)
        ).mappings().first()
        if unfinished is not None:
            return dict(unfinished), True
        new_rows = {purpose: ring.new_key_row(purpose, STATE_CURRENT) for purpose in (PURPOSE_FIELD, PURPOSE_INDEX)}
        connection.execute(update(KEYS).where(KEYS.c.state == STATE_CURRENT,
                                              KEYS.c.purpose.in_((PURPOSE_FIELD, PURPOSE_INDEX)))
                           .values(state=STATE_ACTIVE))
        for row in new_rows.values():
            connection.execute(KEYS.insert().values(**row))
        rotation = {
            "id": uuid.uuid4(),
            "field_kid": new_rows[PURPOSE_FIELD]["kid"],
            "index_kid": new_rows[PURPOSE_INDEX]["kid"],
            "started_at": utcnow(),
            "finished_at": None,
        }
        connection.execute(ROTATIONS.insert().values(**rotation))
    ring.invalidate()
    log.info("key rotation started: new field key %s, new index key %s", rotation["field_kid"], rotation["index_kid"])
    return rotation, False


def _cursor(connection: Connection, rotation_id, table_name: str) -> dict:
    row = connection.execute(
        select(CURSORS).where(CURSORS.c.rotation_id == rotation_id, CURSORS.c.table_name == table_name)
    ).mappings().first()
    if row is None:
        row = {"id": uuid.uuid4(), "rotation_id": rotation_id, "table_name": table_name,
               "last_row_id": None, "rows_rewritten": 0, "finished": False}
        connection.execute(CURSORS.insert().values(**row))
    return dict(row)


class _Rewriter:
    """Rewrites the rows of one model under the target keys."""

    def __init__(self, model: type, ring: Keyring, field_key: KeyRecord, index_key: KeyRecord):
        self.model = model
        self.table = model.__table__
        self.fields: tuple[EncryptedField, ...]
        self.indexes: tuple[BlindIndex, ...]
        self.fields, self.indexes = members(model)
        self.ring = ring
        self.field_key = field_key
        self.index_key = index_key
        self.columns = [self.table.c[f.name] for f in self.fields] + [self.table.c[i.name] for i in self.indexes]

    def needs_rewrite(self, row) -> bool:
        for f in self.fields:
            stored = row[f.name]
            if stored is not None and cipher.key_id_of(stored) != self.field_key.kid:
                return True
        for index in self.indexes:
            token = row[index.name]
            if token is not None and not token.startswith(self.index_key.kid + ":"):
                return True
        return False

    def rewritten(self, connection: Connection, row) -> dict:
        values, plaintexts = {}, {}
        table_name = self.table.name
        for f in self.fields:
            stored = row[f.name]
            if stored is None:
                plaintexts[f.name] = None
                continue
            data = cipher.decrypt(self.ring, connection, stored, table=table_name, column=f.name, row_id=row["id"])
            plaintexts[f.name] = f.codec.loads(data)
            if cipher.key_id_of(stored) != self.field_key.kid:
                values[f.name] = cipher.encrypt(
                    self.ring, connection, data, table=table_name, column=f.name, row_id=row["id"], key=self.field_key
                )
        for index in self.indexes:
            normalised = index.normalised([plaintexts[f.name] for f in index.fields])
            token = None if normalised is None else index.token(self.index_key, table_name, normalised)
            if token != row[index.name]:
                values[index.name] = token
        return values

    def compare_and_set(self, connection: Connection, row, values: dict) -> bool:
        unchanged = [c.is_(None) if row[c.name] is None else c == row[c.name] for c in self.columns]
        result = connection.execute(update(self.table).where(self.table.c.id == row["id"], *unchanged).values(**values))
        return result.rowcount == 1

    def reread(self, connection: Connection, row_id):
        return connection.execute(
            select(self.table.c.id, *self.columns).where(self.table.c.id == row_id)
        ).mappings().first()


def _rotate_table(connection: Connection, rotation: dict, model: type, ring: Keyring, report: RotationReport,
                  batch_size: int, after_batch: Callable[[str, int], None] | None, full_sweep: bool) -> int:
    with connection.begin():
        field_key = ring.get(rotation["field_kid"], connection)
        index_key = ring.get(rotation["index_kid"], connection)
        cursor = _cursor(connection, rotation["id"], model.__table__.name)
    rewriter = _Rewriter(model, ring, field_key, index_key)
    table = rewriter.table
    if cursor["finished"] and not full_sweep:
        return 0
    last_id = None if full_sweep else cursor["last_row_id"]
    rewritten_here = 0
    while True:
        with connection.begin():
            query = select(table.c.id, *rewriter.columns).order_by(table.c.id).limit(batch_size)
            if last_id is not None:
                query = query.where(table.c.id > last_id)
            rows = connection.execute(query).mappings().all()
            batch_rewritten = 0
            for row in rows:
                for _attempt in range(CONFLICT_RETRIES):
                    if row is None or not rewriter.needs_rewrite(row):
                        break
                    if rewriter.compare_and_set(connection, row, rewriter.rewritten(connection, row)):
                        batch_rewritten += 1
                        break
                    # Someone changed the row since we read it: read it again and retry.
                    report.conflicts += 1
                    row = rewriter.reread(connection, row["id"])
            if rows:
                last_id = rows[-1]["id"]
            connection.execute(
                update(CURSORS).where(CURSORS.c.id == cursor["id"]).values(
                    last_row_id=last_id,
                    rows_rewritten=CURSORS.c.rows_rewritten + batch_rewritten,
                    finished=len(rows) < batch_size,
                )
            )
        rewritten_here += batch_rewritten
        report.rows_rewritten += batch_rewritten
        if after_batch is not None:
            after_batch(table.name, batch_rewritten)
        if len(rows) < batch_size:
            return rewritten_here


def _left_under_old_keys(connection: Connection, rotation: dict, models) -> int:
    current = status(connection, models)
    targets = {rotation["field_kid"], rotation["index_kid"]}
    return sum(count for counts in current.per_column.values() for kid, count in counts.items() if kid not in targets)


def rotate(*, batch_size: int = 500, models: Iterable[type] | None = None,
           after_batch: Callable[[str, int], None] | None = None, echo: Callable[[str], None] = log.info,
           sleep: Callable[[float], None] = time.sleep) -> RotationReport:
    """Start a rotation (or resume an unfinished one) and run it to the end."""

    ring = keyring()
    models = list(models) if models is not None else encrypted_models()
    with db.engine.connect() as connection:
        locked = _lock(connection)
        try:
            rotation, resumed = _start_or_resume(connection, ring)
            report = RotationReport(rotation["id"], resumed, rotation["field_kid"], rotation["index_kid"])
            echo(("Resuming" if resumed else "Started") +
                 f" rotation to field key {report.field_kid} and index key {report.index_kid}.")
            with connection.begin():
                keys_made_at = connection.execute(
                    select(func.max(KEYS.c.created_at)).where(KEYS.c.kid.in_([report.field_kid, report.index_kid]))
                ).scalar_one()
            full_sweep = False
            while True:
                for model in models:
                    done = _rotate_table(connection, rotation, model, ring, report, batch_size, after_batch, full_sweep)
                    echo(f"  {model.__table__.name}: {done} rows rewritten")
                with connection.begin():
                    left = _left_under_old_keys(connection, rotation, models)
                # Other processes may hold the old key as current until their keyring cache
                # expires: wait for that, then sweep until nothing is left under old keys.
                settle_until = keys_made_at + timedelta(seconds=ring.settle_seconds)
                wait = (settle_until - utcnow()).total_seconds()
                if left == 0 and wait <= 0:
                    break
                if wait > 0:
                    echo(f"Waiting {wait:.0f}s for every process to pick up the new keys, then sweeping again.")
                    sleep(wait)
                else:
                    echo(f"{left} values were written under old keys meanwhile; sweeping again.")
                full_sweep = True
            with connection.begin():
                old = connection.execute(
                    select(KEYS.c.kid).where(KEYS.c.state == STATE_ACTIVE)
                ).scalars().all()
                connection.execute(
                    update(KEYS).where(KEYS.c.state == STATE_ACTIVE).values(state=STATE_RETIRED, retired_at=utcnow())
                )
                connection.execute(
                    update(ROTATIONS).where(ROTATIONS.c.id == rotation["id"]).values(finished_at=utcnow())
                )
            report.retired = list(old)
            ring.invalidate()
            echo(f"Rotation finished: {report.rows_rewritten} rows rewritten; retired keys: {', '.join(old) or 'none'}.")
            return report
        finally:
            _unlock(connection, locked)


def _lock(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    with connection.begin():
        got = connection.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": ADVISORY_LOCK_ID}).scalar_one()
    if not got:
        raise RotationBusy("another key rotation is running")
    return True


def _unlock(connection: Connection, locked: bool) -> None:
    if locked:
        if connection.in_transaction():
            connection.rollback()
        with connection.begin():
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": ADVISORY_LOCK_ID})


# --- master key rotation ----------------------------------------------------------------------


def rewrap(connection: Connection, ring: Keyring) -> int:
    """Re-wrap every data key under the current master key (old keys must be configured)."""

    count = 0
    with connection.begin():
        rows = connection.execute(
            select(KEYS).where(KEYS.c.master_key_id != ring.master.current.key_id).with_for_update()
        ).mappings().all()
        for row in rows:
            context = wrap_context(row["kid"], row["purpose"])
            material = ring.master.by_id(row["master_key_id"]).unwrap(bytes(row["wrapped_key"]), context)
            connection.execute(
                update(KEYS).where(and_(KEYS.c.id == row["id"], KEYS.c.master_key_id == row["master_key_id"])).values(
                    wrapped_key=ring.master.current.wrap(material, context),
                    master_key_id=ring.master.current.key_id,
                )
            )
            count += 1
    ring.invalidate()
    return count
