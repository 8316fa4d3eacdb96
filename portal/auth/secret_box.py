"""Encryption for the few account secrets kept on the server (TOTP secrets).

Delegates to portal.crypto (AES-256-GCM, key id in the ciphertext, associated data binding the
ciphertext to its table, column and row) — see portal/auth/totp.py for the only callers.
"""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_PREFIX = "sb1:"


def _key() -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=b"portal-auth-secret-box", info=b"totp").derive(
        current_app.config["SECRET_KEY"].encode()
    )


def _aad(table: str, column: str, row_id: uuid.UUID) -> bytes:
    return f"{table}.{column}.{row_id}".encode()


def seal(plaintext: str, *, table: str, column: str, row_id: uuid.UUID) -> str:
    nonce = os.urandom(12)
    ct = AESGCM(_key()).encrypt(nonce, plaintext.encode(), _aad(table, column, row_id))
    return _PREFIX + base64.urlsafe_b64encode(nonce + ct).decode()


def unseal(sealed: str, *, table: str, column: str, row_id: uuid.UUID) -> str:
    if not sealed.startswith(_PREFIX):
        raise ValueError("unknown secret format")
    raw = base64.urlsafe_b64decode(sealed[len(_PREFIX):])
    return AESGCM(_key()).decrypt(raw[:12], raw[12:], _aad(table, column, row_id)).decode()
