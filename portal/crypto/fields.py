"""Encrypted attributes and blind indexes on SQLAlchemy models.

`encrypted(str)` puts a ciphertext column on the model (named after the attribute) and a
descriptor that code reads and writes in plaintext. A value is encrypted as soon as it is
assigned, so the plaintext never sits in a mapped attribute; it is bound to (table, column,
row id, key id), and the row id is assigned at that moment if the row has none yet. At flush,
values are re-encrypted if the row id changed since (e.g. `Model(surname=..., id=...)`), and
blind indexes whose inputs changed are recomputed.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Sequence, TypeVar

from flask import current_app
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, mapped_column, object_session

from portal.crypto import cipher
from portal.crypto.codecs import Codec, codec_for
from portal.crypto.keyring import Keyring, KeyRecord
from portal.crypto.models import PURPOSE_INDEX
from portal.crypto.normalise import normalise_value, normaliser
from portal.crypto.types import BlindIndexToken, Ciphertext
from portal.db import db

T = TypeVar("T")

PLANNED_ROWS = 1_000_000  # pupils per deployment, the scale blind indexes are planned for


def keyring() -> Keyring:
    try:
        return current_app.extensions["portal_crypto"].keyring
    except KeyError:
        raise RuntimeError("portal.crypto is not initialised on this app (create_app does it)") from None


def connection_for(obj) -> Connection:
    session = object_session(obj)
    if session is None:

        session = db.session
    return session.connection()


# --- per-instance state -----------------------------------------------------------------------


@dataclass
class _Plain:
    stored: str | None  # the ciphertext this plaintext belongs to
    value: Any  # decoded value (immutable types) or the encoded bytes (JSON)
    row_id: Any  # the row id the ciphertext is bound to


@dataclass
class _InstanceState:
    plain: dict[str, _Plain] = field(default_factory=dict)
    dirty_indexes: set[str] = field(default_factory=set)


_STATE_KEY = "_portal_crypto_state"


def _state(obj) -> _InstanceState:
    state = obj.__dict__.get(_STATE_KEY)
    if state is None:
        state = _InstanceState()
        obj.__dict__[_STATE_KEY] = state
    return state


def _table(obj) -> str:
    return type(obj).__table__.name


# --- encrypted fields -------------------------------------------------------------------------


class _NotComparable:
    """Class-level views refuse `==` so that `where(Model.surname == "x")` cannot silently
    compare plaintext with ciphertext (it would match nothing). Use a blind index."""

    def __eq__(self, other):
        raise TypeError(f"{self!r} is encrypted: it cannot be compared in SQL; use a blind index and lookup()")

    __ne__ = __eq__
    __hash__ = object.__hash__


class EncryptedField(_NotComparable, Generic[T]):
    def __init__(self, python_type, *, nullable: bool = False, doc: str | None = None):
        self.codec: Codec = codec_for(python_type)
        self.nullable = nullable
        self.doc = doc
        self.name: str = ""
        self.attr: str = ""
        self.indexes: list[BlindIndex] = []

    def __set_name__(self, owner, name: str) -> None:
        self.name = name
        self.attr = f"_{name}_ciphertext"
        # The column is named after the attribute; the mapped attribute holding the ciphertext
        # has a private name, so that ordinary code only ever sees the plaintext descriptor.
        setattr(owner, self.attr, mapped_column(name, Ciphertext(), nullable=self.nullable))

    def __repr__(self) -> str:
        return f"<encrypted {self.codec.name} field {self.name}>"

    # Class access gives the field (for ciphertext_column, lookup(), rotation); instance access
    # gives the plaintext.
    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return self.read(obj, None)

    def __set__(self, obj, value) -> None:
        self.write(obj, value)

    def ciphertext_column(self, model):
        """The mapped attribute holding the ciphertext (for rotation and status; never compare)."""
        return getattr(model, self.attr)

    def read(self, obj, connection: Connection | None):
        stored = getattr(obj, self.attr)
        if stored is None:
            return None
        state = _state(obj)
        plain = state.plain.get(self.name)
        if plain is None or plain.stored != stored:
            data = cipher.decrypt(
                keyring(), connection or (lambda: connection_for(obj)), stored,
                table=_table(obj), column=self.name, row_id=obj.id,
            )
            plain = _Plain(stored, self.codec.loads(data) if self.codec.immutable else data, obj.id)
            state.plain[self.name] = plain
        return plain.value if self.codec.immutable else self.codec.loads(plain.value)

    def write(self, obj, value, connection: Connection | None = None) -> None:
        state = _state(obj)
        if self.indexes:
            persistent = obj._sa_instance_state.key is not None
            for index in self.indexes:
                state.dirty_indexes.add(index.name)
                if persistent:
                    # Load the other inputs of the index now, not in the middle of the flush.
                    for other in index.fields:
                        getattr(obj, other.attr)
        if value is None:
            if not self.nullable:
                raise ValueError(f"{type(obj).__name__}.{self.name} cannot be empty")
            setattr(obj, self.attr, None)
            state.plain.pop(self.name, None)
            return
        if not self.codec.check(value):
            raise TypeError(f"{type(obj).__name__}.{self.name} takes {self.codec.name} values")
        data = self.codec.dumps(value)
        row_id = obj.id
        if row_id is None:
            row_id = obj.id = uuid.uuid4()  # the ciphertext is bound to the row id, so it is needed now
        stored = cipher.encrypt(
            keyring(), connection or (lambda: connection_for(obj)), data,
            table=obj.__table__.name, column=self.name, row_id=row_id,
        )
        setattr(obj, self.attr, stored)
        # Keep what reading would give back: the value itself (immutable types; bytes as bytes)
        # or the encoded JSON, decoded afresh on each read.
        kept = value if self.codec.immutable and not isinstance(value, bytearray) else data
        state.plain[self.name] = _Plain(stored, kept, row_id)


def open_fields(objects: Sequence, names: Sequence[str]) -> None:
    """Open the encrypted fields `names` of `objects` (loaded rows of one model) column by column
    through `cipher.decrypt_column`, and keep each plaintext as reading the attribute would: for a
    page that shows the same few fields of many rows (the roll's 50 pupils), so that the key, the
    AEAD and the associated data's fixed parts are worked out once per column rather than once
    per value. The same checks as reading each one; a value already open is not opened again."""
    if not objects:
        return
    model = type(objects[0])
    table = model.__table__.name
    source = lambda: connection_for(objects[0])  # noqa: E731 (only if a key must be fetched)
    ring = keyring()
    row_ids = [str(obj.id).encode() for obj in objects]
    for name in names:
        field: EncryptedField = getattr(model, name)
        waiting = []
        for obj, row_id in zip(objects, row_ids):
            stored = getattr(obj, field.attr)
            plain = _state(obj).plain.get(name)
            if stored is not None and (plain is None or plain.stored != stored):
                waiting.append((obj, row_id, stored))
        if not waiting:
            continue
        opened = cipher.decrypt_column(ring, source, [row_id for _, row_id, _ in waiting],
                                       [stored for _, _, stored in waiting], table=table, column=name,
                                       loads=field.codec.loads if field.codec.immutable else None)
        for (obj, _, stored), value in zip(waiting, opened):
            _state(obj).plain[name] = _Plain(stored, value, obj.id)


def encrypted(python_type: type[T] | str, *, nullable: bool = False, doc: str | None = None) -> EncryptedField[T]:
    """Declare an encrypted attribute: str, bytes, date, datetime, int, bool, dict/list/'json'."""
    return EncryptedField(python_type, nullable=nullable, doc=doc)


# --- blind indexes ----------------------------------------------------------------------------


def plan_bits(rows: int = PLANNED_ROWS) -> int:
    """CipherSweet's false-match planning: the most bits such that the expected number of
    coincidences per index value, C = rows / 2**bits, stays 2 <= C < sqrt(rows).

    With 1,000,000 rows that is 18 bits (C ~ 3.8): every lookup returns a handful of rows, which
    are decrypted and compared, and every index value is shared by several unrelated rows.
    """
    if rows < 16:
        raise ValueError("plan blind indexes for at least 16 rows")
    bits = int(math.floor(math.log2(rows / 2)))
    coincidences = rows / 2**bits
    assert 2 <= coincidences < math.sqrt(rows)
    return bits


class BlindIndex(_NotComparable):
    def __init__(self, *field_names: str, normalise: str | Sequence[str] = "text", bits: int | None = None,
                 planned_rows: int = PLANNED_ROWS):
        if not field_names:
            raise ValueError("a blind index needs at least one encrypted field")
        self.field_names = field_names
        names = (normalise,) * len(field_names) if isinstance(normalise, str) else tuple(normalise)
        if len(names) != len(field_names):
            raise ValueError("give one normaliser, or one per field")
        self.normalisers: tuple[Callable[[str], str], ...] = tuple(normaliser(n) for n in names)
        self.bits = bits or plan_bits(planned_rows)
        if not 1 <= self.bits <= 64:
            raise ValueError("blind index bits must be between 1 and 64")
        self.name = ""
        self.attr = ""
        self.fields: tuple[EncryptedField, ...] = ()

    def __set_name__(self, owner, name: str) -> None:
        self.name = name
        self.owner = owner
        self.attr = f"_{name}_token"
        setattr(owner, self.attr, mapped_column(name, BlindIndexToken(), nullable=True, index=True))
        fields = []
        for field_name in self.field_names:
            candidate = None
            for klass in owner.__mro__:
                candidate = klass.__dict__.get(field_name)
                if candidate is not None:
                    break
            if not isinstance(candidate, EncryptedField):
                raise TypeError(f"blind index {name}: {field_name} is not an encrypted field declared before it")
            candidate.indexes.append(self)
            fields.append(candidate)
        self.fields = tuple(fields)

    def __repr__(self) -> str:
        return f"<blind index {self.name} on {', '.join(self.field_names)} ({self.bits} bits)>"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return getattr(obj, self.attr)  # the token: harmless, and handy in tests

    def __set__(self, obj, value):
        raise AttributeError("blind indexes are computed from their fields; assign the fields")

    def token_column(self, model):
        return getattr(model, self.attr)

    def normalised(self, values: Sequence[Any]) -> tuple[str, ...] | None:
        if any(v is None for v in values):
            return None
        return tuple(normalise_value(v, n) for v, n in zip(values, self.normalisers))

    def token(self, key: KeyRecord, table: str, normalised: tuple[str, ...]) -> str:
        message = b"".join(len(p).to_bytes(4, "big") + p for p in (s.encode() for s in normalised))
        digest = hmac.new(keyring().index_key(key, table, self.name), message, hashlib.sha256).digest()
        value = int.from_bytes(digest[:8], "big") >> (64 - self.bits)
        return f"{key.kid}:{value:0{math.ceil(self.bits / 4)}x}"

    def compute(self, obj, connection: Connection, key: KeyRecord | None = None) -> str | None:
        normalised = self.normalised([f.read(obj, connection) for f in self.fields])
        if normalised is None:
            return None

        key = key or keyring().current(PURPOSE_INDEX, connection)
        return self.token(key, _table(obj), normalised)


def blind_index(*field_names: str, normalise: str | Sequence[str] = "text", bits: int | None = None,
                planned_rows: int = PLANNED_ROWS) -> BlindIndex:
    """Declare a blind index over one or more encrypted fields (declared above it)."""
    return BlindIndex(*field_names, normalise=normalise, bits=bits, planned_rows=planned_rows)


# --- discovery and flush-time work ------------------------------------------------------------

_members: dict[type, tuple[tuple[EncryptedField, ...], tuple[BlindIndex, ...]]] = {}


def members(model: type) -> tuple[tuple[EncryptedField, ...], tuple[BlindIndex, ...]]:
    """The encrypted fields and blind indexes of a model class (including its mixins)."""
    found = _members.get(model)
    if found is None:
        fields, indexes, seen = [], [], set()
        for klass in reversed(model.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, (EncryptedField, BlindIndex)):
                    seen.add(name)
        for name in sorted(seen):
            value = getattr(model, name, None)
            if isinstance(value, EncryptedField):
                fields.append(value)
            elif isinstance(value, BlindIndex):
                indexes.append(value)
        found = (tuple(fields), tuple(indexes))
        _members[model] = found
    return found


def has_encrypted_members(model: type) -> bool:
    fields, indexes = members(model)
    return bool(fields or indexes)


def _settle(target, connection: Connection, inserting: bool) -> None:
    fields, indexes = members(type(target))
    if not fields and not indexes:
        return
    if inserting and target.id is None:
        target.id = uuid.uuid4()
    if not inserting:
        history = inspect(target).attrs.id.history
        if history.deleted and history.deleted[0] is not None:
            raise ValueError("the id of a row with encrypted fields cannot change (its ciphertexts are bound to it)")
    state = _state(target)
    for f in fields:
        plain = state.plain.get(f.name)
        if plain is not None and plain.row_id != target.id and getattr(target, f.attr) == plain.stored:
            value = plain.value if f.codec.immutable else f.codec.loads(plain.value)
            f.write(target, value, connection)
    for index in indexes:
        if inserting or index.name in state.dirty_indexes:
            setattr(target, index.attr, index.compute(target, connection))
    state.dirty_indexes.clear()


@event.listens_for(Mapper, "before_insert")
def _before_insert(mapper, connection, target):
    _settle(target, connection, inserting=True)


@event.listens_for(Mapper, "before_update")
def _before_update(mapper, connection, target):
    _settle(target, connection, inserting=False)
