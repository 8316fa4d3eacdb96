"""The simulator itself: people matched again, its own tables, its admin side, its commands."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from portal import create_app
from casesim.config import DEV_SECRETS, SecretsError, load_secrets, parse_secrets
from casesim.models import CaseSimBase
from casesim.store import CaseStore
from portal.connector.client import Endpoint, deliver_referral, pull_updates
from portal.db import db
from tests.connector.conftest import SECRET_939, allow_host
from tests.connector.payloads import referral_payload

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _deliver(casesim, la_code="938", **child):
    payload = referral_payload(la_code, **child)
    endpoint = casesim.endpoint(la_code) if la_code == "938" else casesim.endpoint(la_code, secrets=(SECRET_939,))
    return deliver_referral(endpoint, payload, payload["referral_id"])


def test_the_same_child_referred_again_keeps_their_person_id_matched_by_nhs_number_or_upn(casesim):
    first = _deliver(casesim, upn="B801200005001", nhs_number="9434765919")
    by_nhs = _deliver(casesim, upn=None, nhs_number="9434765919")
    by_upn = _deliver(casesim, upn="B801200005001", nhs_number=None)
    another_child = _deliver(casesim, upn="P207000016049", nhs_number="4010232137")
    # Same UPN but a different NHS number on record: another child (the NHS number wins).
    clash = _deliver(casesim, upn="B801200005001", nhs_number="9000000009")
    other_la = _deliver(casesim, "939", upn="B801200005001", nhs_number="9434765919")
    assert first.person_id == by_nhs.person_id == by_upn.person_id == "PER-938-000001"
    assert another_child.person_id == "PER-938-000002"
    assert clash.person_id == "PER-938-000003"
    assert other_la.person_id == "PER-939-000001"
    assert [r.case_reference for r in (first, by_nhs, by_upn)] == ["CASE-938-000001", "CASE-938-000002", "CASE-938-000003"]


def test_a_child_without_identifiers_gets_a_new_person_each_time(casesim):
    one = _deliver(casesim, upn=None, nhs_number=None)
    two = _deliver(casesim, upn=None, nhs_number=None)
    assert one.person_id != two.person_id


def test_the_simulator_tables_are_not_the_portals():
    assert CaseSimBase.metadata is not db.metadata
    assert not [name for name in db.metadata.tables if name.startswith("casesim")]
    assert all(name.startswith("casesim_") for name in CaseSimBase.metadata.tables)


def test_the_admin_side_needs_the_token_and_unknown_las_are_not_found(casesim):
    assert httpx.get(f"{casesim.base_url}/_admin/faults", timeout=5).status_code == 403
    wrong = httpx.get(f"{casesim.base_url}/_admin/faults", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 403
    assert casesim.admin("GET", "/_admin/faults").json()["mode"] == "none"
    assert httpx.post(f"{casesim.base_url}/la/111/v1/referrals", content=b"{}", timeout=5).status_code == 404


def test_statuses_and_summaries_can_be_published_through_the_admin_api(casesim):
    delivered = _deliver(casesim)
    status = casesim.admin(
        "POST", "/_admin/status", json={"case_reference": delivered.case_reference, "status": "decided", "decision": {"outcome": "no_further_action"}}
    )
    assert status.status_code == 201
    summary = casesim.admin(
        "POST",
        "/_admin/summaries",
        json={"la_code": "938", "person_id": delivered.person_id, "status": "looked_after", "start_date": "2025-03-01", "extra": {"risk_notes": "x"}},
    )
    assert summary.status_code == 201 and summary.json()["risk_notes"] == "x"
    bad = casesim.admin("POST", "/_admin/summaries", json={"la_code": "939", "person_id": delivered.person_id, "status": "closed", "start_date": "2025-03-01"})
    assert bad.status_code == 400
    updates, _ = pull_updates(casesim.endpoint(), None, 10)
    assert [u["kind"] for u in updates] == ["referral_status", "case_summary"]


def test_a_counted_fault_switches_itself_off(casesim):
    casesim.set_fault("error_500", count=2)
    results = [_deliver(casesim).status_code for _ in range(3)]
    assert results == [500, 500, 201]
    assert casesim.admin("GET", "/_admin/faults").json()["mode"] == "none"


def test_secrets_come_from_a_file_or_the_environment_and_short_ones_are_refused(tmp_path):
    assert load_secrets(tmp_path, environ={}) == (DEV_SECRETS, "the development secrets (not for production)")
    file = tmp_path / "casesim-secrets.json"
    file.write_text('{"938": ["%s", "%s"]}' % ("a" * 32, "b" * 32))
    secrets, source = load_secrets(tmp_path, environ={})
    assert secrets == {"938": ("a" * 32, "b" * 32)} and "casesim-secrets.json" in source
    secrets, source = load_secrets(tmp_path, environ={"CASESIM_SECRETS": '{"939": "%s"}' % ("c" * 40)})
    assert (secrets, source) == ({"939": ("c" * 40,)}, "CASESIM_SECRETS")  # the environment wins over the file
    with pytest.raises(SecretsError) as short:
        parse_secrets({"938": "short"})
    assert "short" not in str(short.value)
    with pytest.raises(SecretsError):
        parse_secrets({"93": "c" * 40})


# --- commands ------------------------------------------------------------------------------------


@pytest.fixture
def portal_cli(tmp_path):
    app = create_app(
        {"PORTAL_ENV": "test", "PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_TEST_DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3"}
    )
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["casesim", *args])


def test_commands_change_a_running_simulator_through_its_database(casesim, portal_cli):
    db_path = str(casesim.store.db_path)
    delivered = _deliver(casesim)
    listed = portal_cli("list", "--db", db_path)
    assert listed.exit_code == 0 and delivered.case_reference in listed.output

    assert portal_cli("set-status", delivered.case_reference, "acknowledged", "--db", db_path).exit_code == 0
    missing_decision = portal_cli("set-status", delivered.case_reference, "decided", "--db", db_path)
    assert missing_decision.exit_code != 0 and "decision" in missing_decision.output
    summary = portal_cli(
        "add-summary", "--case", delivered.case_reference, "--status", "child_in_need", "--start-date", "2025-02-03",
        "--worker-name", "Jo Worker", "--worker-email", "jo@northshire.example", "--team-name", "Assessment Team",
        "--next-review", "2025-04-01", "--note", "Please share attendance weekly.", "--extra", "case_notes=private",
        "--db", db_path,
    )
    assert summary.exit_code == 0, summary.output
    updates, _ = pull_updates(casesim.endpoint(), None, 10)
    assert [u.get("status") for u in updates] == ["acknowledged", "child_in_need"]
    assert updates[1]["allocated_worker"]["name"] == "Jo Worker" and updates[1]["case_notes"] == "private"

    assert portal_cli("fault", "error_500", "--count", "1", "--db", db_path).exit_code == 0
    time.sleep(0.3)  # the server re-reads the switch at most every quarter of a second
    assert _deliver(casesim).status_code == 500
    assert _deliver(casesim).status_code == 201

    assert portal_cli("fault", "everything", "--db", db_path).exit_code != 0
    assert portal_cli("add-summary", "--la", "938", "--person", "PER-938-999999", "--status", "closed", "--start-date", "2025-01-01", "--db", db_path).exit_code != 0


def test_the_simulator_runs_standalone_from_the_command_line(tmp_path, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    allow_host(monkeypatch, f"127.0.0.1:{port}")
    env = {**os.environ, "PORTAL_ENV": "development", "PORTAL_INSTANCE_PATH": str(tmp_path), "CASESIM_ADMIN_TOKEN": "t"}
    env.pop("CASESIM_SECRETS", None), env.pop("CASESIM_SECRETS_FILE", None), env.pop("CASESIM_DB", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "portal", "casesim", "run", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        endpoint = Endpoint(f"{base}/la/938", DEV_SECRETS["938"])
        payload = referral_payload()
        assert deliver_referral(endpoint, payload, payload["referral_id"]).case_reference == "CASE-938-000001"
        assert (tmp_path / "casesim.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_the_store_reopens_an_existing_file_and_keeps_its_numbering(tmp_path):
    store = CaseStore(tmp_path / "sim.sqlite3")
    payload = referral_payload()
    assert store.receive_referral("938", payload["referral_id"], payload).receipt.case_reference == "CASE-938-000001"
    store.close()
    reopened = CaseStore(tmp_path / "sim.sqlite3")
    second = referral_payload(nhs_number="4010232137", upn=None)
    assert reopened.receive_referral("938", second["referral_id"], second).receipt.case_reference == "CASE-938-000002"
    reopened.close()
