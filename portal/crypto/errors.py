"""Errors raised by portal.crypto. Their messages never contain plaintext or key material."""

from __future__ import annotations


class CryptoError(Exception):
    """Base class for every portal.crypto error."""


class IntegrityCheckFailed(CryptoError):
    """A stored ciphertext failed authentication: it was altered, truncated, or copied from
    another row or column. The message names the place (table, column, row id, key id), never
    the value."""


class UnknownKey(CryptoError):
    """A ciphertext names a key that is not in the keyring (or could not be unwrapped)."""


class PlaintextRefused(CryptoError):
    """Something tried to write a value that is not ciphertext into an encrypted column."""


class KeyringError(CryptoError):
    """The keyring is missing, inconsistent, or cannot be unwrapped with the master key."""
