"""The connector status page's Operation Encompass notices: counts by state and the retry of dead
letters, for the LA's own triage managers only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.connector.models import NoticeOutboxItem
from portal.db import db
from portal.encompass.service import route_waiting
from tests.encompass.conftest import (  # noqa: F401 (world is a fixture)
    KNOWN,
    SIBLING,
    as_user,
    child_form,
    record_notice,
    world,
)
from tests.factories import make_user


def _dead_notice(client, world) -> NoticeOutboxItem:
    as_user(client, world.people["notifier"])
    record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"]),
                           child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"])])
    route_waiting()
    db.session.execute(NoticeOutboxItem.__table__.update().values(state="dead", last_error="not_accepted",
                                                                  last_status_code=404))
    db.session.commit()
    return db.session.execute(select(NoticeOutboxItem)).scalar_one()


def _state() -> str:
    db.session.expire_all()
    return db.session.execute(select(NoticeOutboxItem.state)).scalar_one()


def test_the_manager_sees_the_notices_and_retries_them_once(app, client, world):
    _dead_notice(client, world)
    as_user(client, world.people["manager"])
    page = client.get("/connector").get_data(as_text=True)
    assert "Operation Encompass notices" in page and "Retry notices" in page
    assert KNOWN["forename"] not in page and "NP/2026" not in page  # counts only
    assert client.post("/connector/notices/retry", csrf=False).status_code == 400  # no CSRF token: nothing done
    assert _state() == "dead"
    response = client.post("/connector/notices/retry")
    assert response.status_code == 302 and _state() == "pending"
    # A second click finds nothing to retry.
    assert client.post("/connector/notices/retry", follow_redirects=True).status_code == 200
    assert _state() == "pending"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "connector.notices_retried")).scalars().all()
    page = client.get("/connector").get_data(as_text=True)
    assert "Retry notices" not in page


@pytest.mark.parametrize("who", ["worker", "admin", "key contact", "oakfield dsl", "notifier", "police lead"])
def test_other_roles_are_refused(app, client, world, who):
    _dead_notice(client, world)
    as_user(client, world.people[who])
    assert client.post("/connector/notices/retry").status_code == 403
    assert _state() == "dead"


def test_another_councils_manager_retries_only_their_own(app, client, world):
    _dead_notice(client, world)
    as_user(client, make_user(Role.TRIAGE_MANAGER, world.southmoor, password_hash="x"))
    assert client.post("/connector/notices/retry").status_code == 302
    assert _state() == "dead"
