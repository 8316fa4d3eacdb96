"""The triage manager's connector pages: status, settings (secret never shown back), retries; refusals."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from portal.auth.roles import Role
from portal.connector.endpoints import get_endpoint, secrets_of
from portal.connector.changes import pending_change
from portal.connector.models import ConnectorEndpoint, EndpointChange, OutboxItem
from portal.db import db
from tests.connector.conftest import NEXT_SECRET_938, SECRET_938, allow_host
from tests.connector.portal_setup import bulk_outbox, items, point_at, run_worker_once
from tests.factories import make_la, make_school, make_user
from tests.signing_in import sign_in

NEW_SECRET = "a-brand-new-shared-secret-0123456789abcdef"


@pytest.fixture
def northshire(app, monkeypatch):
    allow_host(monkeypatch, "127.0.0.1:5100")
    la = make_la(code="938", name="Northshire")
    return la, make_user(Role.TRIAGE_MANAGER, la)


def approve_as_second_admin(client, la) -> None:
    """An LA admin of the LA (not the proposer) approves the change waiting."""
    change = pending_change(la.id)
    sign_in(client, make_user(Role.LA_ADMIN, la))
    assert client.post(f"/connector/changes/{change.id}/approve").status_code == 302
    db.session.expire_all()


def test_a_manager_proposes_the_endpoint_an_admin_approves_and_the_secret_is_never_shown_back(app, client,
                                                                                              northshire):
    la, manager = northshire
    sign_in(client, manager)
    response = client.post("/connector/settings", data={"base_url": "http://127.0.0.1:5100/la/938",
                                                        "secret": NEW_SECRET, "overlap": "24"})
    assert response.status_code == 302 and "/connector/changes/" in response.headers["Location"]
    assert get_endpoint(la.id) is None  # nothing changes until a second person approves
    raw = db.session.execute(select(EndpointChange.__table__.c.secret)).scalar_one()
    assert NEW_SECRET not in raw and raw.startswith("v1:")
    assert NEW_SECRET not in client.get(response.headers["Location"]).get_data(as_text=True)
    approve_as_second_admin(client, la)
    endpoint = get_endpoint(la.id)
    assert endpoint.base_url == "http://127.0.0.1:5100/la/938" and endpoint.secret == NEW_SECRET
    raw = db.session.execute(select(ConnectorEndpoint.__table__.c.secret)).scalar_one()
    assert NEW_SECRET not in raw and raw.startswith("v1:")
    assert db.session.execute(select(EndpointChange.__table__.c.secret)).scalar_one() is None  # dropped once applied
    sign_in(client, manager)
    page = client.get("/connector/settings").get_data(as_text=True)
    assert NEW_SECRET not in page and "http://127.0.0.1:5100/la/938" in page
    assert NEW_SECRET not in client.get("/connector").get_data(as_text=True)


def test_a_short_secret_is_reshown_with_a_message_but_not_the_secret(app, client, northshire):
    la, manager = northshire
    sign_in(client, manager)
    response = client.post("/connector/settings", data={"base_url": "http://127.0.0.1:5100/la/938",
                                                        "secret": "too-short-secret", "overlap": "24"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "at least 32 characters" in page
    assert "too-short-secret" not in page and "http://127.0.0.1:5100/la/938" in page
    assert get_endpoint(la.id) is None and pending_change(la.id) is None


def test_rotating_the_secret_keeps_the_old_one_during_the_overlap(app, client, northshire, start_casesim):
    la, manager = northshire
    sim = start_casesim({"938": (NEXT_SECRET_938,)})  # the case system has already switched
    point_at(sim, la, SECRET_938)
    sign_in(client, manager)
    client.post("/connector/settings", data={"base_url": f"{sim.base_url}/la/938", "secret": NEXT_SECRET_938,
                                             "overlap": "24"})
    approve_as_second_admin(client, la)
    endpoint = get_endpoint(la.id)
    assert secrets_of(endpoint) == (NEXT_SECRET_938, SECRET_938)
    bulk_outbox(la, 1)
    run_worker_once(pull=False)
    assert items()[0].state == "delivered"
    sign_in(client, manager)
    assert "also accepted until" in client.get("/connector").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.TRIAGE_WORKER, Role.LA_ADMIN, Role.DSL, Role.SCHOOL_STAFF])
def test_other_roles_are_refused_the_status_page_and_retries(app, client, northshire, role):
    la, manager = northshire
    user = make_user(role, la if not role.is_school_role else make_school(la))
    sign_in(client, user)
    assert client.get("/connector").status_code == 403


@pytest.mark.parametrize("role", [Role.TRIAGE_WORKER, Role.DSL, Role.SCHOOL_STAFF])
def test_other_roles_are_refused_the_settings(app, client, northshire, role):
    la, manager = northshire
    user = make_user(role, la if not role.is_school_role else make_school(la))
    sign_in(client, user)
    assert client.get("/connector/settings").status_code == 403
    assert client.post("/connector/settings", data={"base_url": "http://127.0.0.1:5100/la/938", "secret": NEW_SECRET,
                                                    "overlap": "24"}).status_code == 403
    assert get_endpoint(la.id) is None and pending_change(la.id) is None


def test_a_dead_letter_is_shown_and_retried_by_its_own_las_manager_only(app, client, northshire, casesim):
    la, manager = northshire
    point_at(casesim, la)
    bulk_outbox(la, 1)
    db.session.execute(OutboxItem.__table__.update().values(state="dead", last_error="conflict", last_status_code=409,
                                                            dead_at=db.func.now()))
    db.session.commit()
    item = items()[0]
    other_la = make_la(code="939", name="Southmoor")
    other_manager = make_user(Role.TRIAGE_MANAGER, other_la)
    sign_in(client, other_manager)
    assert client.post(f"/connector/dead-letters/{item.id}/retry").status_code == 404
    assert str(item.id) not in client.get("/connector").get_data(as_text=True)
    assert items()[0].state == "dead"

    sign_in(client, manager)
    home = client.get("/home").get_data(as_text=True)
    assert 'data-connector-dead="1"' in home and "Case system connection" in home
    page = client.get("/connector").get_data(as_text=True)
    assert f'data-dead-letter="{item.id}"' in page and "same identifier" in page
    assert client.post(f"/connector/dead-letters/{item.id}/retry", csrf=False).status_code == 400
    assert items()[0].state == "dead"  # no CSRF token: nothing happens
    assert client.post(f"/connector/dead-letters/{item.id}/retry").status_code == 302
    [again] = items()
    assert again.state == "pending" and again.attempts == 0
    run_worker_once(pull=False)
    assert items()[0].state == "delivered"


def test_set_endpoint_command_reads_the_secret_from_standard_input(app, northshire, monkeypatch):
    la, manager = northshire
    allow_host(monkeypatch, "127.0.0.1:5100")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["connector", "set-endpoint", "938", "--url", "http://127.0.0.1:5100/la/938"],
                           input=NEW_SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert NEW_SECRET not in result.output
    db.session.expire_all()
    assert get_endpoint(la.id).secret == NEW_SECRET
    result = runner.invoke(args=["connector", "set-endpoint", "999", "--url", "http://127.0.0.1:5100/la/999"],
                           input=NEW_SECRET + "\n")
    assert result.exit_code != 0 and "No local authority" in result.output
    result = runner.invoke(args=["connector", "set-endpoint", "938", "--url", "ftp://x"], input=NEW_SECRET + "\n")
    assert result.exit_code != 0
    assert isinstance(CliRunner, type)


def test_status_shows_queue_depth_and_last_24_hours(app, client, northshire, casesim):
    la, manager = northshire
    point_at(casesim, la)
    bulk_outbox(la, 3)
    sign_in(client, manager)
    assert "Referrals waiting to be sent" in client.get("/connector").get_data(as_text=True)
    from portal.connector.status import la_status

    figures = la_status(la)
    assert figures["queue_depth"] == 3 and figures["oldest_age_seconds"] >= 0
    run_worker_once()
    figures = la_status(la)
    assert figures["queue_depth"] == 0 and figures["delivered_24h"] == 3 and figures["last_pull_success"]
