"""A wrong master key is noticed before anyone signs in: the portal refuses to start with a
message naming the keys, /readyz says not ready, `flask keys status` exits non-zero, and nothing
is changed."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import select

from portal import create_app
from portal.config import ConfigurationError
from portal.crypto.models import DataKey
from portal.db import db
from tests.conftest import environ_for_tests
from tests.factories import PUPILS_PAGE_PUPIL, make_la, make_pupil_through_service, make_school


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _environ(_database, tmp_path, master_key):
    environ = environ_for_tests(_database, tmp_path)
    environ["PORTAL_MASTER_KEY"] = master_key
    return environ


@pytest.fixture
def data_keys(app):
    """Data keys in the suite's database, wrapped under the suite app's (development) master key."""
    make_pupil_through_service(make_school(make_la()), **PUPILS_PAGE_PUPIL)  # encrypting the pupil's details makes the data keys
    rows = db.session.execute(select(DataKey.kid, DataKey.wrapped_key)).all()
    assert rows
    return sorted((kid, bytes(w)) for kid, w in rows)


def test_the_portal_refuses_to_start_with_a_wrong_master_key_and_changes_nothing(_database, tmp_path, data_keys):
    before = data_keys
    wrong = _key()
    with pytest.raises(ConfigurationError) as refused:
        create_app(_environ(_database, tmp_path, wrong))
    message = str(refused.value)
    assert "cannot open the stored data keys" in message and "Nothing was changed" in message
    assert wrong not in message
    rows = db.session.execute(select(DataKey.kid, DataKey.wrapped_key)).all()
    assert sorted((kid, bytes(w)) for kid, w in rows) == before


def test_the_right_key_starts_and_is_ready(_database, app, data_keys):
    same_key = create_app(environ_for_tests(_database, app.instance_path))
    response = same_key.test_client().get("/readyz")
    assert response.status_code == 200 and response.get_json()["keys"] == "ok"


def test_readyz_and_keys_status_notice_a_key_changed_under_a_running_portal(app, data_keys, monkeypatch):
    # The operator's new key, without the old one beside it (as if the running portal had been
    # started while the database was away and the check could not run).
    from portal.crypto.keys import LocalKeyProvider, MasterKeys

    keyring = app.extensions["portal_crypto"].keyring
    monkeypatch.setattr(keyring, "master", MasterKeys(current=LocalKeyProvider(os.urandom(32))))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["keys"] == "wrong master key"
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert result.exit_code == 1 and "PROBLEM" in result.output
