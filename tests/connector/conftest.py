"""A real case-system simulator on loopback for each test: werkzeug's server in a thread, on a free port."""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass

import httpx
import pytest
from werkzeug.serving import make_server

from casesim import create_casesim_app
from casesim.store import CaseStore
from portal.connector.client import Endpoint
from portal.connector.destinations import SETTING

SECRET_938 = "northshire-test-secret-0123456789-abcdefghij"
SECRET_939 = "southmoor-test-secret-0123456789-abcdefghijk"
NEXT_SECRET_938 = "northshire-next-secret-9876543210-zyxwvutsrq"
ADMIN_TOKEN = "test-admin-token"


@dataclass
class RunningSim:
    base_url: str
    store: CaseStore

    def endpoint(self, la_code: str = "938", secrets=(SECRET_938,), **timeouts) -> Endpoint:
        return Endpoint(f"{self.base_url}/la/{la_code}", tuple(secrets), **timeouts)

    def admin(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        return httpx.request(method, f"{self.base_url}{path}", headers=headers, timeout=5, **kwargs)

    def set_fault(self, mode: str, **options) -> None:
        response = self.admin("POST", "/_admin/faults", json={"mode": mode, **options})
        assert response.status_code == 200, response.text

    def cases(self, la_code: str | None = None) -> list[dict]:
        return self.store.list_referrals(la_code)


def allow_host(monkeypatch, host_port: str) -> None:
    """Put host:port on the connector's allow-list for this test (the operator's
    PORTAL_CONNECTOR_ALLOWED_HOSTS, read from the environment as well as the app's settings)."""
    current = os.environ.get(SETTING, "")
    monkeypatch.setenv(SETTING, ",".join(filter(None, [current, host_port])))


@pytest.fixture
def start_casesim(tmp_path, monkeypatch):
    """Start a simulator with the given secrets; every one started is stopped after the test.

    The simulator listens on 127.0.0.1: its host and port go on the connector's allow-list."""
    running = []

    def start(secrets=None) -> RunningSim:
        secrets = secrets or {"938": (SECRET_938,), "939": (SECRET_939,)}
        app = create_casesim_app(tmp_path / f"casesim-{uuid.uuid4().hex[:8]}.sqlite3", secrets, admin_token=ADMIN_TOKEN)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        sim = RunningSim(f"http://127.0.0.1:{server.port}", app.extensions["casesim_store"])
        allow_host(monkeypatch, f"127.0.0.1:{server.port}")
        running.append((server, thread, sim))
        return sim

    yield start
    for server, thread, sim in running:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        sim.store.close()


@pytest.fixture
def casesim(start_casesim) -> RunningSim:
    return start_casesim()
