"""Where referrals go is fixed by the operator and changed by two people.

- Only hosts on PORTAL_CONNECTOR_ALLOWED_HOSTS are ever contacted: the settings form, the CLI and
  the worker refuse anything else before any request; names are resolved and every address
  checked, and the connection goes to the address checked (no DNS rebinding).
- A change made in the portal needs a fresh password and code, waits for a second LA admin of the
  LA (never the proposer), is emailed to every LA admin and triage manager of the LA when proposed
  and when it takes effect, and is audited.
"""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email import policy as email_policy
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from portal.audit.models import AuditEvent
from portal.auth import wall_clock
from portal.auth.roles import Role
from portal.connector.changes import pending_change
from portal.connector.client import new_http_client
from portal.connector.destinations import AllowList, DestinationRefused, GuardedTransport, address_refusal
from portal.connector.endpoints import get_endpoint
from portal.connector.models import ConnectorEndpoint, EndpointChange
from portal.db import db
from tests.connector.conftest import SECRET_938, allow_host
from tests.connector.portal_setup import bulk_outbox, items, point_at, run_worker_once
from tests.factories import make_la, make_user
from tests.signing_in import sign_in

NEW_SECRET = "a-brand-new-shared-secret-0123456789abcdef"
EVIL = "https://collector.evil.example/la/938"


@pytest.fixture
def northshire(app):
    la = make_la(code="938", name="Northshire")
    people = {
        "manager": make_user(Role.TRIAGE_MANAGER, la),
        "admin": make_user(Role.LA_ADMIN, la),
        "second_admin": make_user(Role.LA_ADMIN, la),
        "worker": make_user(Role.TRIAGE_WORKER, la),
    }
    return la, people


@pytest.fixture
def southmoor(app):
    la = make_la(code="939", name="Southmoor")
    return la, {"admin": make_user(Role.LA_ADMIN, la), "manager": make_user(Role.TRIAGE_MANAGER, la)}


def _mails(app, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in (Path(app.instance_path) / "mail").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email_policy.default)
        if address in str(message["To"]):
            found.append(message)
    return found


def _subjects(app, address: str) -> list[str]:
    return [str(m["Subject"]) for m in _mails(app, address)]


def _propose(client, url: str, secret: str | None = NEW_SECRET):
    return client.post("/connector/settings", data={"base_url": url, "secret": secret or "", "overlap": "0"})


def _actions() -> list[str]:
    return list(db.session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())


# --- the operator's allow-list ---------------------------------------------------------------------


def test_a_host_not_on_the_allow_list_is_refused_in_the_settings_form_with_a_clear_message(app, client, northshire,
                                                                                           monkeypatch):
    la, people = northshire
    allow_host(monkeypatch, "casesystem.northshire.example")
    sign_in(client, people["manager"])
    response = _propose(client, EVIL)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "collector.evil.example is not one of the case system addresses this portal may send to" in page
    assert "PORTAL_CONNECTOR_ALLOWED_HOSTS" in page and "casesystem.northshire.example" in page
    assert pending_change(la.id) is None and get_endpoint(la.id) is None
    # The same host on another port is another host.
    assert _propose(client, "https://casesystem.northshire.example:8443/la/938").status_code == 400
    assert _propose(client, "https://casesystem.northshire.example/la/938").status_code == 302


def test_the_operator_cli_sets_an_endpoint_at_once_but_only_on_the_allow_list(app, northshire, monkeypatch):
    la, people = northshire
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["connector", "set-endpoint", "938", "--url", EVIL], input=NEW_SECRET + "\n")
    assert refused.exit_code != 0 and "PORTAL_CONNECTOR_ALLOWED_HOSTS" in refused.output
    assert get_endpoint(la.id) is None
    allow_host(monkeypatch, "casesystem.northshire.example")
    done = runner.invoke(args=["connector", "set-endpoint", "938", "--url", "https://casesystem.northshire.example/x"],
                         input=NEW_SECRET + "\n")
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert get_endpoint(la.id).base_url == "https://casesystem.northshire.example/x"


def test_the_worker_sends_nothing_to_a_host_that_is_not_allowed_and_tells_the_managers(app, client, northshire,
                                                                                       casesim):
    """An endpoint row pointing elsewhere (set before the allow-list, or written straight into the
    database): the worker refuses before connecting, keeps the referral and alerts the managers;
    the status page shows the reason, never a status code from the other host."""
    la, people = northshire
    point_at(casesim, la)
    trap = socket.create_server(("127.0.0.1", 0))
    trap.settimeout(0.3)
    port = trap.getsockname()[1]
    db.session.execute(update(ConnectorEndpoint).values(base_url=f"http://127.0.0.1:{port}/la/938"))
    db.session.commit()
    bulk_outbox(la, 1)
    try:
        run_worker_once(pull=False)
        with pytest.raises(TimeoutError):
            trap.accept()  # nothing ever connected
    finally:
        trap.close()
    [item] = items()
    assert item.state == "pending" and item.last_error == "host_not_allowed" and item.last_status_code is None
    assert casesim.cases("938") == []
    assert any("Problem with" in s for s in _subjects(app, people["manager"].email))
    sign_in(client, people["manager"])
    page = client.get("/connector").get_data(as_text=True)
    assert "not on the list of addresses this portal may send to" in page


def test_every_address_a_name_resolves_to_is_checked_and_the_checked_one_is_connected_to(app, casesim):
    port = int(casesim.base_url.rsplit(":", 1)[1])
    allow = AllowList.parse(f"casesim.test:{port},localhost:{port}")
    seen = []

    def answers(*addresses):
        def resolver(host, p):
            seen.append(host)
            return list(addresses)
        return resolver

    # A listed name that resolves to the cloud metadata address, or to loopback beside a good
    # address: refused before any connection.
    for addresses in (["169.254.169.254"], ["10.1.2.3", "127.0.0.1"], ["0.0.0.0"]):
        transport = GuardedTransport(allow, resolver=answers(*addresses))
        with httpx.Client(transport=transport) as http, pytest.raises(DestinationRefused) as refused:
            http.get(f"http://casesim.test:{port}/")
        assert refused.value.reason == "address_not_allowed"
    # `localhost` may be loopback: the request goes to the address checked, under its own name.
    transport = GuardedTransport(allow, resolver=answers("127.0.0.1"))
    with httpx.Client(transport=transport) as http:
        response = http.get(f"http://localhost:{port}/")
    assert response.status_code == 200 and seen[-1] == "localhost"
    assert response.request.headers["Host"] == f"localhost:{port}"
    # Not listed at all: refused without even resolving the name.
    seen.clear()
    with httpx.Client(transport=GuardedTransport(allow, resolver=answers("127.0.0.1"))) as http:
        with pytest.raises(DestinationRefused) as refused:
            http.get("http://elsewhere.test/")
    assert refused.value.reason == "host_not_allowed" and seen == []


def test_address_rules():
    import ipaddress

    a = ipaddress.ip_address
    assert address_refusal(a("169.254.169.254"), "cs.example") == "address_not_allowed"
    assert address_refusal(a("169.254.169.254"), "169.254.169.254") is None  # listed as that address
    assert address_refusal(a("127.0.0.1"), "cs.example") == "address_not_allowed"
    assert address_refusal(a("::ffff:127.0.0.1"), "cs.example") == "address_not_allowed"
    assert address_refusal(a("127.0.0.1"), "127.0.0.1") is None
    assert address_refusal(a("10.20.30.40"), "cs.internal") is None  # a council network, by a listed name
    assert address_refusal(a("224.0.0.1"), "224.0.0.1") == "address_not_allowed"
    assert address_refusal(a("51.140.1.1"), "cs.example") is None


def test_a_client_with_an_empty_allow_list_contacts_nothing(casesim, monkeypatch):
    monkeypatch.delenv("PORTAL_CONNECTOR_ALLOWED_HOSTS", raising=False)
    with new_http_client(AllowList.parse("")) as http, pytest.raises(DestinationRefused):
        http.get(casesim.base_url + "/")


# --- two people, a fresh sign-in, everyone told ----------------------------------------------------


def test_a_change_waits_for_a_second_la_admin_and_everyone_is_told(app, client, northshire, southmoor, casesim):
    la, people = northshire
    point_at(casesim, la)
    new_url = f"{casesim.base_url}/la/938/"
    sign_in(client, people["manager"])
    response = _propose(client, new_url, None)
    assert response.status_code == 400  # the same URL and no new secret: nothing to change
    response = _propose(client, f"{casesim.base_url}/la/938", NEW_SECRET)
    assert response.status_code == 302
    change = pending_change(la.id)
    assert change.proposed_by_id == people["manager"].id and change.secret_changed
    assert get_endpoint(la.id).secret == SECRET_938  # not yet
    for who in ("manager", "admin", "second_admin"):
        assert any("waiting for approval" in s for s in _subjects(app, people[who].email)), who
    assert _subjects(app, people["worker"].email) == []
    assert _subjects(app, southmoor[1]["admin"].email) == []
    body = _mails(app, people["admin"].email)[0].get_body().get_content()
    assert NEW_SECRET not in body and "127.0.0.1" in body and "/connector/changes/" in body

    # A second proposal while one waits is refused.
    assert "already waiting for approval" in _propose(client, f"{casesim.base_url}/la/938", NEW_SECRET + "x") \
        .get_data(as_text=True)
    # The proposer (a manager) cannot approve; nor can a triage worker.
    assert client.post(f"/connector/changes/{change.id}/approve").status_code == 403
    sign_in(client, people["worker"])
    assert client.post(f"/connector/changes/{change.id}/approve").status_code == 403
    # Another LA's admin does not learn it exists.
    sign_in(client, southmoor[1]["admin"])
    assert client.get(f"/connector/changes/{change.id}").status_code == 404
    assert client.post(f"/connector/changes/{change.id}/approve").status_code == 404
    assert client.post(f"/connector/changes/{change.id}/cancel").status_code == 404
    db.session.expire_all()
    assert get_endpoint(la.id).secret == SECRET_938

    sign_in(client, people["admin"])
    page = client.get(f"/connector/changes/{change.id}").get_data(as_text=True)
    assert "Approve this change" in page and NEW_SECRET not in page
    assert client.post(f"/connector/changes/{change.id}/approve").status_code == 302
    db.session.expire_all()
    endpoint = get_endpoint(la.id)
    assert endpoint.secret == NEW_SECRET and endpoint.updated_by_id == people["admin"].id
    change = db.session.get(EndpointChange, change.id)
    assert change.state == "applied" and change.decided_by_id == people["admin"].id and change.secret is None
    for who in ("manager", "admin", "second_admin"):
        assert any("has taken effect" in s for s in _subjects(app, people[who].email)), who
    actions = [a for a in _actions() if a.startswith("connector.endpoint")]
    assert actions[-3:] == ["connector.endpoint_change_proposed", "connector.endpoint_set",
                            "connector.endpoint_change_approved"]


def test_an_la_admin_cannot_approve_their_own_change(app, client, northshire, monkeypatch):
    la, people = northshire
    allow_host(monkeypatch, "casesystem.northshire.example")
    sign_in(client, people["admin"])
    assert _propose(client, "https://casesystem.northshire.example/la/938").status_code == 302
    change = pending_change(la.id)
    page = client.get(f"/connector/changes/{change.id}").get_data(as_text=True)
    assert "Approve this change" not in page and "Another LA admin of your council must approve" in page
    assert client.post(f"/connector/changes/{change.id}/approve").status_code == 403
    assert get_endpoint(la.id) is None
    sign_in(client, people["second_admin"])
    assert client.post(f"/connector/changes/{change.id}/approve").status_code == 302
    db.session.expire_all()
    assert get_endpoint(la.id).base_url == "https://casesystem.northshire.example/la/938"


def test_proposing_and_approving_need_a_fresh_password_and_code(app, client, northshire, monkeypatch):
    la, people = northshire
    allow_host(monkeypatch, "casesystem.northshire.example")
    later = wall_clock.now() + timedelta(minutes=16)
    sign_in(client, people["manager"])
    monkeypatch.setattr(wall_clock, "now", lambda: later)
    for response in (client.get("/connector/settings"),
                     _propose(client, "https://casesystem.northshire.example/la/938")):
        assert response.status_code == 302 and "/re-authenticate" in response.headers["Location"]
    assert pending_change(la.id) is None

    monkeypatch.undo()
    allow_host(monkeypatch, "casesystem.northshire.example")
    sign_in(client, people["manager"])
    assert _propose(client, "https://casesystem.northshire.example/la/938").status_code == 302
    change = pending_change(la.id)
    sign_in(client, people["admin"])
    monkeypatch.setattr(wall_clock, "now", lambda: later)
    response = client.post(f"/connector/changes/{change.id}/approve")
    assert response.status_code == 302 and "/re-authenticate" in response.headers["Location"]
    assert f"/connector/changes/{change.id}" in response.headers["Location"]
    db.session.expire_all()
    assert get_endpoint(la.id) is None and pending_change(la.id) is not None


def test_a_waiting_change_can_be_cancelled_and_then_never_applied(app, client, northshire, monkeypatch):
    la, people = northshire
    allow_host(monkeypatch, "casesystem.northshire.example")
    sign_in(client, people["manager"])
    _propose(client, "https://casesystem.northshire.example/la/938")
    change = pending_change(la.id)
    sign_in(client, people["second_admin"])
    assert client.post(f"/connector/changes/{change.id}/cancel").status_code == 302
    sign_in(client, people["admin"])
    client.post(f"/connector/changes/{change.id}/approve")
    db.session.expire_all()
    assert get_endpoint(la.id) is None
    assert db.session.get(EndpointChange, change.id).state == "cancelled"
    assert any("was cancelled" in s for s in _subjects(app, people["manager"].email))
    assert "connector.endpoint_change_cancelled" in _actions()


def test_a_change_that_waited_too_long_expires(app, client, northshire, monkeypatch):
    la, people = northshire
    allow_host(monkeypatch, "casesystem.northshire.example")
    sign_in(client, people["manager"])
    _propose(client, "https://casesystem.northshire.example/la/938")
    change = pending_change(la.id)
    db.session.execute(update(EndpointChange).values(expires_at=change.proposed_at - timedelta(seconds=1)))
    db.session.commit()
    sign_in(client, people["admin"])
    assert "Expired" in client.get(f"/connector/changes/{change.id}").get_data(as_text=True)
    client.post(f"/connector/changes/{change.id}/approve")
    db.session.expire_all()
    assert get_endpoint(la.id) is None


def test_the_allow_list_is_checked_again_when_a_change_is_approved(app, client, northshire, monkeypatch):
    la, people = northshire
    allow_host(monkeypatch, "casesystem.northshire.example")
    sign_in(client, people["manager"])
    _propose(client, "https://casesystem.northshire.example/la/938")
    change = pending_change(la.id)
    monkeypatch.setenv("PORTAL_CONNECTOR_ALLOWED_HOSTS", "")  # the operator took it off the list meanwhile
    sign_in(client, people["admin"])
    response = client.post(f"/connector/changes/{change.id}/approve", follow_redirects=True)
    assert "not one of the case system addresses" in response.get_data(as_text=True)
    db.session.expire_all()
    assert get_endpoint(la.id) is None and pending_change(la.id) is not None


def test_a_file_posted_in_place_of_the_settings_is_refused_not_a_500(app, client, northshire):
    import io

    la, people = northshire
    for who in ("manager", "admin"):
        sign_in(client, people[who])
        data = {name: (io.BytesIO(b"x"), "a.pdf") for name in ("base_url", "secret", "overlap")}
        response = client.post("/connector/settings", data=data, content_type="multipart/form-data")
        assert response.status_code == 400
    assert pending_change(la.id) is None
