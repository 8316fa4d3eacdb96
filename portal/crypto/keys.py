"""Master keys and the key-provider interface.

The master key never touches the database: it comes from configuration (PORTAL_MASTER_KEY, or a
file named by PORTAL_MASTER_KEY_FILE) and only wraps (encrypts) the data keys kept in the
keyring table. Development and test generate one into the instance folder on first run;
production refuses to start without one.

A `KeyProvider` wraps and unwraps data keys. `LocalKeyProvider` does it with a local AES-256-GCM
master key; a cloud KMS provider (AWS KMS Encrypt/Decrypt with an encryption context, Azure Key
Vault wrapKey/unwrapKey, ...) would implement the same three members and be chosen by
PORTAL_KEY_PROVIDER, with no change to the keyring or to any model.

Rotating the master key: set the new key as PORTAL_MASTER_KEY and the old one as
PORTAL_PREVIOUS_MASTER_KEY (or the *_FILE variants) everywhere, run `flask keys rewrap`, then
remove the previous key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portal.config import ConfigurationError
from portal.crypto.errors import KeyringError

KEY_BYTES = 32
NONCE_BYTES = 12
DEV_KEY_FILE_NAME = "master.key"


class KeyProvider(ABC):
    """Wraps and unwraps data keys. `key_id` names the wrapping key (never the key itself)."""

    key_id: str

    @abstractmethod
    def wrap(self, key: bytes, context: bytes) -> bytes:
        """Encrypt a data key; `context` is bound to the result (authenticated, not secret)."""

    @abstractmethod
    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """Decrypt a wrapped data key; fails if the bytes or the context were changed."""


class LocalKeyProvider(KeyProvider):
    """AES-256-GCM key wrapping under a master key held in the portal's configuration."""

    def __init__(self, master_key: bytes):
        if len(master_key) != KEY_BYTES:
            raise ConfigurationError("the master key must be exactly 32 bytes (256 bits)")
        # Derive separate keys for wrapping and for the fingerprint, so the published
        # fingerprint says nothing about the wrapping key.
        self._aead = AESGCM(_hkdf(master_key, b"safeguard-portal/master/wrap/v1"))
        self.key_id = "local:" + hmac.new(
            _hkdf(master_key, b"safeguard-portal/master/id/v1"), b"key id", hashlib.sha256
        ).hexdigest()[:16]

    def wrap(self, key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], context)
        except InvalidTag:
            raise KeyringError(
                "a data key failed to unwrap: the keyring row was altered or the master key is wrong"
            ) from None

    def __repr__(self) -> str:
        return f"<LocalKeyProvider {self.key_id}>"


def _hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(key)


@dataclass(frozen=True)
class MasterKeys:
    """The master key that wraps new data keys, and older ones that may still unwrap some."""

    current: KeyProvider
    previous: tuple[KeyProvider, ...] = ()

    def by_id(self, key_id: str) -> KeyProvider:
        for provider in (self.current, *self.previous):
            if provider.key_id == key_id:
                return provider
        raise KeyringError(
            f"a data key is wrapped by master key {key_id}, which is not configured "
            "(set it as PORTAL_PREVIOUS_MASTER_KEY to read it, then run `flask keys rewrap`)"
        )


def parse_master_key(text: str, what: str = "PORTAL_MASTER_KEY") -> bytes:
    """Accept 64 hex digits or base64 (standard or URL-safe) of exactly 32 bytes."""
    text = text.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        padded = text + "=" * (-len(text) % 4)
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigurationError(
            f"{what} must be 32 random bytes written as base64 or 64 hex digits. Generate one with: "
            "python -c 'import secrets, base64; print(base64.b64encode(secrets.token_bytes(32)).decode())'"
        )
    return key


def new_master_key_text() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def _read_key_file(path: str, what: str) -> bytes:
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise ConfigurationError(f"{what} names a file that cannot be read ({error.strerror})") from None
    return parse_master_key(text, what)


def _configured_key(environ: dict, name: str) -> bytes | None:
    if environ.get(name):
        return parse_master_key(environ[name], name)
    if environ.get(f"{name}_FILE"):
        return _read_key_file(environ[f"{name}_FILE"], f"{name}_FILE")
    return None


def load_master_keys(environ: dict, env: str, instance_path: Path) -> MasterKeys:
    """The master keys for this configuration; generates a development key if allowed."""
    provider_name = environ.get("PORTAL_KEY_PROVIDER", "local").strip().lower()
    if provider_name != "local":
        raise ConfigurationError(
            "PORTAL_KEY_PROVIDER must be 'local' (the only provider built in; a KMS provider "
            "implements portal.crypto.keys.KeyProvider)"
        )
    current = _configured_key(environ, "PORTAL_MASTER_KEY")
    if current is None:
        if env == "production":
            raise ConfigurationError(
                "Refusing to start in production: no master key. Set PORTAL_MASTER_KEY (or "
                "PORTAL_MASTER_KEY_FILE to a file holding it): 32 random bytes as base64. Generate "
                "one with: python -c 'import secrets, base64; "
                "print(base64.b64encode(secrets.token_bytes(32)).decode())' and keep it outside "
                "the database and its backups."
            )
        current = _development_key(instance_path)
    previous = _configured_key(environ, "PORTAL_PREVIOUS_MASTER_KEY")
    return MasterKeys(
        current=LocalKeyProvider(current),
        previous=(LocalKeyProvider(previous),) if previous else (),
    )


def _development_key(instance_path: Path) -> bytes:
    """A key generated once into instance/master.key (mode 0600) and reused afterwards."""
    path = instance_path / DEV_KEY_FILE_NAME
    instance_path.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write a temporary file, then link it into place: link fails if another process got
        # there first, so two processes starting together agree on one key.
        temporary = instance_path / f".{DEV_KEY_FILE_NAME}.{os.getpid()}.{os.urandom(4).hex()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_master_key_text() + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return _read_key_file(str(path), str(path))
