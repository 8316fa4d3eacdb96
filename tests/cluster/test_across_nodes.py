"""Nothing that matters is kept in one node's memory: a user's sign-in and session, the half-way
stage of a sign-in, and the triage queue's version live in the database, so a load balancer may
send each request to any node. Here two portal apps (two nodes) share one database in-process,
each with its own test client; the browser's cookies are carried from one to the other.

Against the real cluster (make cluster), set PORTAL_CLUSTER_URL=https://127.0.0.1:18000 and the
last test signs in through HAProxy and reads pages served by both nodes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from portal import create_app
from portal.auth import wall_clock as auth_clock
from portal.extensions import limiter
from portal.orgs.models import LocalAuthority
from portal.db import db
from tests.auth.conftest import PASSWORD, SECRET, Clock, code_now, make_account
from tests.conftest import environ_for_tests
from tests.factories import council, make_pupil, make_school


@pytest.fixture
def clock(monkeypatch, app):
    fake = Clock()
    monkeypatch.setattr(auth_clock, "now", fake)
    limiter.reset()
    yield fake
    limiter.reset()


@pytest.fixture
def node_b(app):
    """A second node: its own app and engine on the same database, master key and secret key."""
    other = create_app(environ_for_tests(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path)))
    other.test_client_class = app.test_client_class  # fills in each form's CSRF token, as a browser's page does
    yield other
    with other.app_context():
        db.engine.dispose()


def carry_cookies(source: FlaskClient, target: FlaskClient) -> None:
    """What a browser does: the same cookies go to whichever node the balancer picks."""
    for cookie in list(source._cookies.values()):
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_sign_in_begun_on_one_node_finishes_on_the_other_and_the_session_works_on_both(app, node_b, clock):
    school = make_school()
    dsl = make_account("dsl", school)
    pupil = make_pupil(school)
    email, pupil_id = dsl.email, pupil.id
    a, b = app.test_client(), node_b.test_client()

    assert a.post("/sign-in", data={"email": email, "password": PASSWORD}).status_code == 302
    carry_cookies(a, b)
    clock.advance(seconds=30)
    finished = b.post("/sign-in/code", data={"code": code_now(SECRET)})
    assert finished.status_code == 302 and "/sign-in" not in finished.headers["Location"]

    carry_cookies(b, a)
    assert a.get("/home").status_code == 200
    assert b.get(f"/pupils/{pupil_id}").status_code == 200
    assert a.get(f"/pupils/{pupil_id}").status_code == 200


def test_signing_out_on_one_node_ends_the_session_on_the_other(app, node_b, clock):
    school = make_school()
    dsl = make_account("dsl", school)
    a, b = app.test_client(), node_b.test_client()
    a.post("/sign-in", data={"email": dsl.email, "password": PASSWORD})
    clock.advance(seconds=30)
    a.post("/sign-in/code", data={"code": code_now(SECRET)})
    carry_cookies(a, b)
    assert b.get("/home").status_code == 200

    a.post("/sign-out")

    assert "/sign-in" in b.get("/home").headers.get("Location", "")


def test_a_change_made_through_one_node_moves_the_queue_version_every_node_reads(app, node_b):
    setup = council()
    la_id = setup.la.id
    before = db.session.get(LocalAuthority, la_id).queue_version
    with node_b.app_context():
        la = db.session.get(LocalAuthority, la_id)
        assert la.queue_version == before
    from tests.factories import submitted_referral

    submitted_referral(setup)
    db.session.expire_all()
    with node_b.app_context():
        assert db.session.get(LocalAuthority, la_id).queue_version > before


@pytest.mark.skipif(not os.environ.get("PORTAL_CLUSTER_URL"),
                    reason="runs against a started cluster only: make cluster, then PORTAL_CLUSTER_URL=https://127.0.0.1:18000")
def test_through_haproxy_a_signed_in_user_is_served_by_both_nodes():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import failover

    browser = failover.sign_in(os.environ["PORTAL_CLUSTER_URL"], "dsl@hillcrest.demo")
    # Round-robin: consecutive requests alternate between the two nodes; each must know the session.
    answers = [browser.get("/home").status_code for _ in range(6)]
    assert answers == [200] * 6
