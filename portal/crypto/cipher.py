"""AES-256-GCM encryption of one field value, bound to where it is stored.

Stored form: `v1:<key id>:<base64url(nonce | ciphertext | tag)>`, a fresh random 96-bit nonce per
encryption. The associated data is (format version, table, column, row id, key id): a
ciphertext copied to another row or column, or relabelled with another key id, fails to decrypt.
Plaintexts are padded to a multiple of 16 bytes so that the stored length shows only roughly how
long a value is.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from typing import Any, Callable, Sequence

from cryptography.exceptions import InvalidTag

from portal.crypto.errors import IntegrityCheckFailed
from portal.crypto.keyring import ConnectionSource, KeyRecord, Keyring
from portal.crypto.models import PURPOSE_FIELD
from portal.crypto.types import CIPHERTEXT_FORM, CIPHERTEXT_VERSION, KEY_ID_PATTERN

log = logging.getLogger("portal.crypto")

NONCE_BYTES = 12
_PREFIX = f"{CIPHERTEXT_VERSION}:"
_KID = re.compile(KEY_ID_PATTERN)
PAD_BLOCK = 16


def associated_data(table: str, column: str, row_id, kid: str) -> bytes:
    # Table and column names are identifiers and ids are UUIDs: none contains a NUL, so the
    # NUL-separated encoding is unambiguous.
    return f"{CIPHERTEXT_VERSION}\0{table}\0{column}\0{row_id}\0{kid}".encode()


def _pad(data: bytes) -> bytes:
    # ISO/IEC 7816-4: a 0x80 byte, then zeros up to the block size.
    padding = PAD_BLOCK - (len(data) % PAD_BLOCK)
    return data + b"\x80" + b"\x00" * (padding - 1)


def _unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise ValueError("bad padding")
    return end[:-1]


def key_id_of(stored: str) -> str | None:
    # Fast path for the common well-formed case; the full pattern decides otherwise.
    if stored and stored.startswith(_PREFIX) and len(stored) > 12 and stored[11] == ":":
        kid = stored[3:11]
        if _KID.fullmatch(kid):
            return kid
    match = CIPHERTEXT_FORM.match(stored or "")
    return match.group(1) if match else None


def encrypt(keyring: Keyring, connection: ConnectionSource, plaintext: bytes, *, table: str, column: str, row_id,
            key: KeyRecord | None = None) -> str:
    key = key or keyring.current(PURPOSE_FIELD, connection)
    aead = keyring.field_aead(key, table, column)
    nonce = os.urandom(NONCE_BYTES)
    sealed = aead.encrypt(nonce, _pad(plaintext), associated_data(table, column, row_id, key.kid))
    return f"{CIPHERTEXT_VERSION}:{key.kid}:{base64.urlsafe_b64encode(nonce + sealed).rstrip(b'=').decode()}"


def decrypt(keyring: Keyring, connection: ConnectionSource, stored: str, *, table: str, column: str, row_id) -> bytes:
    """The plaintext of `stored`, or IntegrityCheckFailed (logged, without the value)."""
    kid = key_id_of(stored)
    if kid is None:
        _fail("is not in the stored form", table, column, row_id, None)
    key = keyring.get(kid, connection)
    try:
        body = stored.split(":", 2)[2]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        aead = keyring.field_aead(key, table, column)
        padded = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(table, column, row_id, kid))
        return _unpad(padded)
    except (InvalidTag, ValueError, binascii.Error, IndexError):
        _fail("failed its integrity check (altered, or copied from another row or column)", table, column, row_id, kid)


# base64url to the standard alphabet, for binascii directly (what urlsafe_b64decode does, without
# its per-call checks and wrappers).
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_PADDING = (b"", b"===", b"==", b"=")


def decrypt_column(keyring: Keyring, connection: ConnectionSource, row_ids: Sequence[bytes], values: Sequence[str | None],
                   *, table: str, column: str, loads: Callable[[bytes], Any] | None = None) -> list:
    """The plaintexts of one column's `values` (None stays None) for the rows `row_ids`
    (`str(row_id).encode()`, made once per row by a caller opening several columns), each passed
    through `loads` if given (a field's codec).

    For reading one column across many rows (a school's names for a search or the roll's
    order): the same checks as `decrypt` (the stored form, the key, the AES-GCM tag over the same
    associated data, so a value copied from another row or column still fails), but the key
    lookup, the derived AEAD and the associated data's fixed parts are worked out once per key id
    instead of once per value, in one loop. Nothing is kept after it returns.
    """
    prefix = f"{CIPHERTEXT_VERSION}\0{table}\0{column}\0".encode()
    # By the stored value's first 12 characters, "v1:<key id>:": a head met before was checked
    # then (its form, and that its key is a field key of the keyring).
    by_head: dict[str, tuple] = {}
    a2b, urlsafe, padding = binascii.a2b_base64, _FROM_URLSAFE, _PADDING
    out: list = []
    append = out.append
    for row_id, stored in zip(row_ids, values):
        if stored is None:
            append(None)
            continue
        known = by_head.get(stored[:12])
        if known is None:
            kid = key_id_of(stored)
            if kid is None:
                _fail("is not in the stored form", table, column, row_id.decode(), None)
            key = keyring.get(kid, connection)
            known = by_head[stored[:12]] = (keyring.field_aead(key, table, column), f"\0{kid}".encode(), kid)
        aead, suffix, kid = known
        try:
            body = stored[12:].encode("ascii")
            raw = a2b(body.translate(urlsafe) + padding[len(body) & 3])
            end = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], prefix + row_id + suffix).rstrip(b"\x00")
            if end[-1:] != b"\x80":
                raise ValueError("bad padding")
        except (InvalidTag, ValueError, binascii.Error, IndexError):
            _fail("failed its integrity check (altered, or copied from another row or column)", table, column,
                  row_id.decode(), kid)
        append(end[:-1] if loads is None else loads(end[:-1]))
    return out


def _fail(what: str, table: str, column: str, row_id, kid: str | None):
    message = f"encrypted value in {table}.{column} of row {row_id} (key {kid}) {what}"
    log.error(message)
    raise IntegrityCheckFailed(message)
