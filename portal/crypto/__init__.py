"""Field-level encryption for personal data: declare it on the model, use plaintext in code.

Declaring encrypted fields and blind indexes
---------------------------------------------
    from datetime import date
    from portal.crypto import blind_index, encrypted, lookup
    from portal.db import Base, UUIDPrimaryKey

    class Pupil(UUIDPrimaryKey, Base):
        __tablename__ = "pupil"
        surname = encrypted(str)                        # required (NOT NULL) by default
        date_of_birth = encrypted(date)
        upn = encrypted(str, nullable=True)
        send_details = encrypted(dict, nullable=True)   # any JSON value
        upn_index = blind_index("upn", normalise="compact")
        surname_dob_index = blind_index("surname", "date_of_birth")

    pupil = Pupil(surname="O'Brien", date_of_birth=date(2015, 3, 1))
    pupil.surname                       # "O'Brien": attributes read and write plaintext
    lookup(Pupil.surname_dob_index, "obrien ", date(2015, 3, 1),
           where=[Pupil.school_id == school.id])      # -> [pupil] (exact matches only)
    lookup(Pupil.upn_index, upn="b801200005001")

Do not annotate encrypted fields with `Mapped[...]`: write `surname = encrypted(str)`.
Types: str, bytes, date, datetime (timezone-aware), int, bool, dict / list / "json".

What it guarantees
------------------
- Each value is AES-256-GCM encrypted with a fresh 96-bit nonce the moment it is assigned, under
  a key derived (HKDF) from the current data key and the table and column names. The database
  column (named after the attribute) holds only `v1:<key id>:<base64>`; its column type refuses
  anything else, so a plaintext written by mistake through any path fails loudly.
- The ciphertext is bound to (table, column, row id, key id). A value copied into another row
  or column fails to decrypt with `IntegrityCheckFailed`, logged without the value. A new row
  gets its UUID at the first assignment, so the binding is known before the flush.
- `Model.field == x` raises TypeError: encrypted fields cannot be searched in SQL. Exact-match
  search goes through a blind index and `lookup()`, which filters out the index's deliberate
  false matches by decrypting the few candidates.
- `repr()` of a model shows its type and id only (portal.db.Base).
- JSON fields return a fresh copy on every read: change them by assigning a new value.

Keys
----
A master key from configuration (PORTAL_MASTER_KEY / PORTAL_MASTER_KEY_FILE; generated into
instance/master.key in development and test; required in production) wraps the data keys in
the `crypto_data_key` table. `flask keys status`, `flask keys rotate`, `flask keys rewrap`.
See docs/crypto.md.

Attachments: portal.files (encrypted, streamed, type- and size-checked).
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import inspect as inspect_database
from sqlalchemy.exc import DBAPIError

from portal.config import ConfigurationError
from portal.db import db

from portal.crypto.errors import (
    CryptoError,
    IntegrityCheckFailed,
    KeyringError,
    PlaintextRefused,
    UnknownKey,
)
from portal.crypto.fields import BlindIndex, EncryptedField, blind_index, encrypted, plan_bits
from portal.crypto.keyring import Keyring
from portal.crypto.keys import load_master_keys
from portal.crypto.lookup import lookup

DEFAULT_CACHE_SECONDS = 30.0
log = logging.getLogger(__name__)


class CryptoState:
    def __init__(self, keyring: Keyring):
        self.keyring = keyring


def init_crypto(app: Flask, secrets: dict[str, str] | None = None) -> None:
    """Load the master key (production refuses to start without one) and set up the keyring.

    `secrets` holds the master keys (portal.config.read_secrets): they go into the keyring's key
    providers and nowhere else. Raises portal.config.ConfigurationError with a message saying what
    to set.
    """
    settings = app.config["PORTAL_SETTINGS"]
    master = load_master_keys({**settings.extra, **(secrets or {})}, settings.env, settings.instance_path)
    cache_seconds = float(settings.extra.get("PORTAL_KEYRING_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    # A rotation waits until every process has re-read the keyring; tests run in one process,
    # which learns of key changes at once (see portal.crypto.keyring).
    settle_seconds = 0.0 if settings.env == "test" else cache_seconds + 1
    app.extensions["portal_crypto"] = CryptoState(Keyring(master, cache_seconds, settle_seconds))
    _refuse_keys_that_do_not_open(app)


def key_problems(app: Flask) -> list[str]:
    """Why this app's master keys cannot open the stored data keys; [] when they can, or when
    there are none yet. Raises the database's error if it cannot be reached."""
    with app.app_context(), db.engine.connect() as connection:
        if not inspect_database(connection).has_table("crypto_data_key"):
            return []  # a new database: `flask db upgrade` comes first
        return app.extensions["portal_crypto"].keyring.problems(connection)


def _refuse_keys_that_do_not_open(app: Flask) -> None:
    """A wrong master key must stop the portal before anyone signs in, not fail their sign-in.

    The check only reads. If the database cannot be reached now, the portal starts and /readyz
    reports it (and checks the keys) until it can.
    """
    try:
        problems = key_problems(app)
    except DBAPIError as error:
        log.warning("master keys not checked at start-up: the database did not answer (%s)", type(error).__name__)
        return
    if problems:
        raise ConfigurationError(
            "Refusing to start: the master key cannot open the stored data keys. "
            + "; ".join(problems)
            + ". Set PORTAL_MASTER_KEY to the key they were made under (or it as PORTAL_PREVIOUS_MASTER_KEY "
            "beside a new one, then run `flask keys rewrap`). Nothing was changed."
        )


__all__ = [
    "BlindIndex",
    "CryptoError",
    "EncryptedField",
    "IntegrityCheckFailed",
    "KeyringError",
    "PlaintextRefused",
    "UnknownKey",
    "blind_index",
    "encrypted",
    "init_crypto",
    "lookup",
    "plan_bits",
]
