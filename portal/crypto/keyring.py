"""The keyring: data keys, unwrapped in memory, and the per-field keys derived from them.

Every process keeps the unwrapped keys in memory and re-reads the (small) keyring table at most
every PORTAL_KEYRING_CACHE_SECONDS, so a rotation started elsewhere is picked up without a
restart. A ciphertext naming a key this process has not seen yet makes it re-read at once.

Per-field keys are derived with HKDF-SHA256 from the data key and the table and column names,
so one field's key says nothing about another's; blind-index keys are derived the same way from
data keys of their own purpose ("index"), never from the encryption keys.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Callable, Union

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import event, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from portal.crypto.errors import KeyringError, UnknownKey
from portal.crypto.keys import KEY_BYTES, MasterKeys
from portal.crypto.models import (
    PURPOSE_FIELD,
    PURPOSE_INDEX,
    PURPOSES,
    STATE_ACTIVE,
    STATE_CURRENT,
    STATE_RETIRED,
    DataKey,
)
from portal.db import utcnow

log = logging.getLogger("portal.crypto")

_TABLE = DataKey.__table__

# A connection, or a function that gives one: the keyring only needs the database when its
# cache is stale, so callers on the hot path pass a function and usually never call it.
ConnectionSource = Union[Connection, Callable[[], Connection]]


def resolve(connection: ConnectionSource) -> Connection:
    return connection if isinstance(connection, Connection) else connection()


@dataclass(frozen=True)
class KeyRecord:
    kid: str
    purpose: str
    state: str
    master_key_id: str
    material: bytes

    def __repr__(self) -> str:  # never show key material
        return f"<KeyRecord {self.kid} {self.purpose} {self.state}>"


def wrap_context(kid: str, purpose: str) -> bytes:
    """What a wrapped data key is bound to: moving a wrapped key to another row fails."""
    return f"safeguard-portal/data-key/v1\0{kid}\0{purpose}".encode()


def new_kid() -> str:
    return os.urandom(4).hex()


class Keyring:
    def __init__(self, master: MasterKeys, cache_seconds: float = 30.0, settle_seconds: float | None = None):
        self.master = master
        self.cache_seconds = cache_seconds
        # How long a rotation waits for other processes to pick up new keys.
        self.settle_seconds = cache_seconds + 1 if settle_seconds is None else settle_seconds
        _KEYRINGS.add(self)
        self._lock = threading.Lock()
        self._keys: dict[str, KeyRecord] = {}
        self._current: dict[str, KeyRecord] = {}
        self._loaded_at = float("-inf")
        self._unwrapped: dict[tuple[str, bytes], bytes] = {}
        self._field_aeads: dict[tuple[str, str, str], AESGCM] = {}
        self._index_keys: dict[tuple[str, str, str], bytes] = {}

    # --- loading -----------------------------------------------------------------------------

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")

    def _fresh(self) -> bool:
        return time.monotonic() - self._loaded_at < self.cache_seconds

    def load(self, connection: ConnectionSource) -> dict[str, KeyRecord]:
        connection = resolve(connection)
        rows = connection.execute(
            select(_TABLE.c.kid, _TABLE.c.purpose, _TABLE.c.state, _TABLE.c.master_key_id, _TABLE.c.wrapped_key)
        ).all()
        keys = {}
        for kid, purpose, state, master_key_id, wrapped in rows:
            wrapped = bytes(wrapped)
            material = self._unwrapped.get((kid, wrapped))
            if material is None:
                provider = self.master.by_id(master_key_id)
                material = provider.unwrap(wrapped, wrap_context(kid, purpose))
                self._unwrapped[(kid, wrapped)] = material
            keys[kid] = KeyRecord(kid, purpose, state, master_key_id, material)
        current = {k.purpose: k for k in keys.values() if k.state == STATE_CURRENT}
        with self._lock:
            self._keys = keys
            self._current = current
            self._loaded_at = time.monotonic()
        return keys

    def _keys_now(self, connection: ConnectionSource) -> dict[str, KeyRecord]:
        if self._fresh():
            return self._keys
        return self.load(connection)

    def problems(self, connection: ConnectionSource) -> list[str]:
        """Why the configured master keys cannot open the stored data keys (empty: they can).

        Each message names the data key and the master key it needs, never key material. Reads
        only: nothing is written, so a wrong key changes nothing.
        """
        connection = resolve(connection)
        rows = connection.execute(
            select(_TABLE.c.kid, _TABLE.c.purpose, _TABLE.c.state, _TABLE.c.master_key_id, _TABLE.c.wrapped_key)
        ).all()
        found = []
        for kid, purpose, state, master_key_id, wrapped in rows:
            if state == STATE_RETIRED:
                continue
            try:
                self.master.by_id(master_key_id).unwrap(bytes(wrapped), wrap_context(kid, purpose))
            except KeyringError:
                found.append(
                    f"data key {kid} ({purpose}) is wrapped by master key {master_key_id}, but the "
                    f"configured master key is {self.master.current.key_id}"
                    + (f" (previous: {', '.join(p.key_id for p in self.master.previous)})" if self.master.previous else "")
                )
        return found

    # --- looking keys up ---------------------------------------------------------------------

    def current(self, purpose: str, connection: ConnectionSource) -> KeyRecord:
        """The key new values of `purpose` are written under; made on first use."""
        if self._fresh():
            key = self._current.get(purpose)
            if key is not None:
                return key
        for key in self._keys_now(connection).values():
            if key.purpose == purpose and key.state == STATE_CURRENT:
                return key
        connection = resolve(connection)
        self._bootstrap(purpose, connection)
        for key in self.load(connection).values():
            if key.purpose == purpose and key.state == STATE_CURRENT:
                # Not cached: on SQLite it was made in the caller's transaction, which may yet
                # roll back; the next call reads the table again.
                self.invalidate()
                return key
        raise KeyringError(f"no current {purpose} key could be made")

    def get(self, kid: str, connection: ConnectionSource) -> KeyRecord:
        key = self._keys_now(connection).get(kid)
        if key is None:
            key = self.load(connection).get(kid)
        if key is None:
            raise UnknownKey(f"key {kid} is not in the keyring")
        if key.state == STATE_RETIRED:
            log.warning("a value under retired key %s was read; run `flask keys rotate`", kid)
        return key

    def readable(self, purpose: str, connection: ConnectionSource) -> list[KeyRecord]:
        """Keys that values of `purpose` may be under right now (current first; no retired)."""
        keys = [k for k in self._keys_now(connection).values() if k.purpose == purpose and k.state != STATE_RETIRED]
        return sorted(keys, key=lambda k: k.state != STATE_CURRENT)

    # --- derived keys ------------------------------------------------------------------------

    def field_aead(self, key: KeyRecord, table: str, column: str) -> AESGCM:
        if key.purpose != PURPOSE_FIELD:
            raise KeyringError("a blind-index key was offered for field encryption")
        cache_key = (key.kid, table, column)
        aead = self._field_aeads.get(cache_key)
        if aead is None:
            aead = AESGCM(_derive(key.material, b"safeguard-portal/field/v1", table, column))
            self._field_aeads[cache_key] = aead
        return aead

    def index_key(self, key: KeyRecord, table: str, index_name: str) -> bytes:
        if key.purpose != PURPOSE_INDEX:
            raise KeyringError("an encryption key was offered for a blind index")
        cache_key = (key.kid, table, index_name)
        derived = self._index_keys.get(cache_key)
        if derived is None:
            derived = _derive(key.material, b"safeguard-portal/blind-index/v1", table, index_name)
            self._index_keys[cache_key] = derived
        return derived

    # --- making keys -------------------------------------------------------------------------

    def new_key_row(self, purpose: str, state: str) -> dict:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        kid = new_kid()
        material = os.urandom(KEY_BYTES)
        provider = self.master.current
        return {
            "id": uuid.uuid4(),
            "kid": kid,
            "purpose": purpose,
            "state": state,
            "master_key_id": provider.key_id,
            "wrapped_key": provider.wrap(material, wrap_context(kid, purpose)),
            "created_at": utcnow(),
        }

    def _bootstrap(self, purpose: str, connection: Connection) -> None:
        """Make the first key of a purpose. Two processes racing: the unique index lets one win."""
        row = self.new_key_row(purpose, STATE_CURRENT)
        if connection.dialect.name == "sqlite":
            # SQLite has one writer at a time: a second connection would wait for the caller's
            # own transaction. Write in the caller's transaction instead (it commits with it;
            # should it roll back, the rollback listener below forgets the key).
            savepoint = connection.begin_nested()
            try:
                connection.execute(insert(_TABLE).values(**row))
                savepoint.commit()
                connection.info[_UNCOMMITTED_KEY] = True
            except IntegrityError:
                savepoint.rollback()
            return
        # Elsewhere in a transaction of its own, so that the key exists whatever the caller does.
        with connection.engine.begin() as own:
            try:
                with own.begin_nested():
                    own.execute(insert(_TABLE).values(**row))
            except IntegrityError:
                pass
        log.info("made the first %s data key %s", purpose, row["kid"])


# --- keeping every process's cache honest -------------------------------------------------------
#
# Other processes pick up key changes within cache_seconds. This process learns at once: any
# statement that writes to the keyring table (a rotation, a re-wrap, the test suite emptying
# every table) and any rollback of a transaction that made a key forget the cached keys.

_KEYRINGS: "weakref.WeakSet[Keyring]" = weakref.WeakSet()
_UNCOMMITTED_KEY = "portal_crypto_uncommitted_key"
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def invalidate_all() -> None:
    for ring in list(_KEYRINGS):
        ring.invalidate()


@event.listens_for(Engine, "after_cursor_execute")
def _after_execute(connection, cursor, statement, parameters, context, executemany):
    if _TABLE.name in statement and statement.lstrip()[:8].upper().startswith(_WRITES):
        invalidate_all()


@event.listens_for(Engine, "rollback")
def _after_rollback(connection):
    if connection.invalidated:
        # The server closed the connection (its info cannot be read any more): whatever it had
        # written is gone, so forget the cached keys to be safe.
        invalidate_all()
        return
    if connection.info.pop(_UNCOMMITTED_KEY, False):
        invalidate_all()


@event.listens_for(Engine, "commit")
def _after_commit(connection):
    connection.info.pop(_UNCOMMITTED_KEY, None)


def _derive(material: bytes, salt: bytes, table: str, name: str) -> bytes:
    info = f"{table}\0{name}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(material)


__all__ = ["Keyring", "KeyRecord", "PURPOSE_FIELD", "PURPOSE_INDEX", "STATE_ACTIVE", "STATE_CURRENT", "STATE_RETIRED"]
