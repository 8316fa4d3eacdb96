"""The master key: from configuration, generated in development, required in production."""

from __future__ import annotations

import os
import stat

import pytest

from portal import create_app
from portal.config import ConfigurationError
from portal.crypto.keys import LocalKeyProvider, load_master_keys, parse_master_key
from tests.conftest import environ_for_tests


def _production_environ(tmp_path, **extra):
    environ = environ_for_tests("sqlite:///" + str(tmp_path / "x.sqlite3"), tmp_path)
    environ.update({"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "s" * 48,
                    "PORTAL_DATABASE_URL": "sqlite:///" + str(tmp_path / "x.sqlite3"),
                    "PORTAL_BASE_URL": "https://safeguard.example.gov.uk",
                    "PORTAL_REDIS_URL": "redis://127.0.0.1:6379/15"})
    environ.update(extra)
    return environ


def test_production_refuses_to_start_without_a_master_key(tmp_path):
    with pytest.raises(ConfigurationError) as error:
        create_app(_production_environ(tmp_path))
    assert "PORTAL_MASTER_KEY" in str(error.value) and "Refusing to start in production" in str(error.value)
    assert not (tmp_path / "master.key").exists()


def test_production_starts_with_a_master_key_or_a_key_file(tmp_path):
    key = "q" * 43 + "="
    assert create_app(_production_environ(tmp_path, PORTAL_MASTER_KEY=key))
    key_file = tmp_path / "master-key.txt"
    key_file.write_text(key + "\n")
    app = create_app(_production_environ(tmp_path, PORTAL_MASTER_KEY_FILE=str(key_file)))
    assert app.extensions["portal_crypto"].keyring.master.current.key_id == LocalKeyProvider(parse_master_key(key)).key_id


@pytest.mark.parametrize("bad", ["short", "A" * 42 + "==", "z" * 64, "not base64 at all!!"])
def test_a_malformed_master_key_is_refused_with_advice(tmp_path, bad):
    with pytest.raises(ConfigurationError, match="32 random bytes"):
        create_app(_production_environ(tmp_path, PORTAL_MASTER_KEY=bad))


def test_development_generates_a_private_key_file_once(tmp_path):
    first = load_master_keys({}, "development", tmp_path)
    path = tmp_path / "master.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = load_master_keys({}, "development", tmp_path)
    assert first.current.key_id == again.current.key_id
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left


def test_hex_and_url_safe_keys_are_accepted():
    raw = bytes(range(32))
    import base64

    assert parse_master_key(raw.hex()) == raw
    assert parse_master_key(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw


def test_key_ids_do_not_reveal_the_key():
    raw = bytes(range(32))
    provider = LocalKeyProvider(raw)
    assert raw.hex()[:16] not in provider.key_id and "LocalKeyProvider" in repr(provider)
    wrapped = provider.wrap(b"k" * 32, b"context")
    assert provider.unwrap(wrapped, b"context") == b"k" * 32
    from portal.crypto import KeyringError

    with pytest.raises(KeyringError):
        provider.unwrap(wrapped, b"other context")
