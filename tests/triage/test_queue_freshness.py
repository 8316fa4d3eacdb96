"""The queue page is reused between workers of a council for a few seconds (portal/triage/queue.py),
but never shows a queue older than its last committed change, nor a referral as in time once its
deadline has passed, nor anything of another council."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.db import utcnow
from portal.db import db
from portal.orgs.models import LocalAuthority
from portal.triage import queue as queue_module
from portal.triage import service
from portal.triage.models import TriageItem
from portal.triage.queue_changes import UndeclaredQueueChange
from tests.signing_in import sign_in
from tests.factories import DECISION_FEEDBACK, DECISION_REASONS, council, submitted_referral


@pytest.fixture
def north(app):
    return council()


@pytest.fixture
def second_worker(app, north):
    from portal.auth.roles import Role
    from tests.factories import make_user

    return make_user(Role.TRIAGE_WORKER, north.la, display_name="Northshire Second Worker", password_hash="x")


def _references(html: str) -> list[str]:
    return re.findall(r"\d{3}-2026-\d{6}", html)


def _count(html: str, name: str) -> int:
    return int(re.search(rf'data-count="{name}">(\d+)<', html).group(1))


def _queue_version(la_id) -> int:
    db.session.expire_all()
    return db.session.execute(select(LocalAuthority.queue_version).where(LocalAuthority.id == la_id)).scalar_one()


def _item(referral) -> TriageItem:
    db.session.expire_all()
    return db.session.execute(select(TriageItem).where(TriageItem.referral_id == referral.id)).scalar_one()


def test_a_decision_leaves_the_queue_on_the_very_next_view(client, app, north, second_worker):
    decided, waiting = submitted_referral(north), submitted_referral(north)
    other = app.test_client()
    sign_in(client, north.worker)
    sign_in(other, second_worker)
    assert set(_references(other.get("/triage").get_data(as_text=True))) == {decided.reference, waiting.reference}

    service.decide(north.worker, _item(decided), service.DecisionDraft(
        outcome="early_help", rag="amber", reasons=DECISION_REASONS, feedback=DECISION_FEEDBACK))

    for someone in (client, other):  # the one who decided and a colleague who had the page already
        html = someone.get("/triage").get_data(as_text=True)
        assert _references(html) == [waiting.reference]
        assert _count(html, "awaiting-a-decision") == 1


def test_an_assignment_shows_at_once_and_counts_as_mine_for_the_assignee_only(client, app, north, second_worker):
    referral = submitted_referral(north)
    other = app.test_client()
    sign_in(client, north.worker)
    sign_in(other, second_worker)
    for someone in (client, other):
        assert "Unassigned" in someone.get("/triage").get_data(as_text=True)

    service.assign(north.manager, _item(referral), north.worker.id)

    mine = client.get("/triage").get_data(as_text=True)
    theirs = other.get("/triage").get_data(as_text=True)
    assert "Northshire Worker" in mine and "Northshire Worker" in theirs
    assert _count(mine, "assigned-to-me") == 1 and _count(theirs, "assigned-to-me") == 0
    assert _count(mine, "unassigned") == 0 == _count(theirs, "unassigned")
    assert _references(client.get("/triage?mine=yes").get_data(as_text=True)) == [referral.reference]
    assert _references(other.get("/triage?mine=yes").get_data(as_text=True)) == []


def test_a_new_arrival_shows_on_the_next_view(client, north):
    first = submitted_referral(north)
    sign_in(client, north.worker)
    assert _references(client.get("/triage").get_data(as_text=True)) == [first.reference]
    second = submitted_referral(north, urgent=True)
    assert _references(client.get("/triage").get_data(as_text=True)) == [second.reference, first.reference]


def test_a_referral_is_marked_overdue_at_its_deadline_even_when_the_page_was_just_seen(client, north, monkeypatch):
    referral = submitted_referral(north)
    due = _item(referral).due_at
    sign_in(client, north.worker)
    monkeypatch.setattr(queue_module, "utcnow", lambda: due - timedelta(seconds=2))
    html = client.get("/triage").get_data(as_text=True)
    assert 'data-breached="yes"' not in html and _count(html, "overdue") == 0
    monkeypatch.setattr(queue_module, "utcnow", lambda: due + timedelta(seconds=1))
    html = client.get("/triage").get_data(as_text=True)
    assert 'data-breached="yes"' in html and _count(html, "overdue") == 1


def test_another_councils_worker_never_gets_this_councils_page(client, app, north):
    south = council(code="939", name="Southmoor")
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    assert _references(client.get("/triage").get_data(as_text=True)) == [referral.reference]
    theirs = app.test_client()
    sign_in(theirs, south.worker)
    html = theirs.get("/triage").get_data(as_text=True)
    assert _references(html) == [] and "Ysolde" not in html and _count(html, "awaiting-a-decision") == 0


def test_committed_changes_move_the_councils_queue_version_and_rolled_back_ones_do_not(app, north):
    referral = submitted_referral(north)
    before = _queue_version(north.la.id)
    item = _item(referral)
    db.session.execute(update(TriageItem).where(TriageItem.id == item.id).values(rag="red")
                       .execution_options(queue_of=north.la.id))
    db.session.rollback()
    assert _queue_version(north.la.id) == before
    service.set_rag(north.worker, _item(referral), "green")
    assert _queue_version(north.la.id) == before + 1


def test_a_bulk_change_to_triage_items_must_say_whose_queue_it_changes(app, north):
    submitted_referral(north)
    with pytest.raises(UndeclaredQueueChange):
        db.session.execute(update(TriageItem).values(rag="red"))
    db.session.rollback()


def test_the_cache_can_be_switched_off(client, north, app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_QUEUE_CACHE_SECONDS", 0)
    referral = submitted_referral(north)
    sign_in(client, north.worker)
    assert _references(client.get("/triage").get_data(as_text=True)) == [referral.reference]
    # Even a change the hooks cannot see (made outside the portal's session) shows at once.
    with db.engine.begin() as connection:
        connection.execute(update(TriageItem.__table__).values(open=False, state="decided"))
    assert _references(client.get("/triage").get_data(as_text=True)) == []


def test_a_colleagues_view_of_an_unchanged_queue_reads_no_queue_rows(client, app, north, second_worker):
    from sqlalchemy import event

    submitted_referral(north)
    other = app.test_client()
    sign_in(client, north.worker)
    sign_in(other, second_worker)
    client.get("/triage")
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        html = other.get("/triage").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert _count(html, "awaiting-a-decision") == 1
    assert not [s for s in statements if "triage_item" in s]
