"""The updates inbox costs the same whatever the number of updates a school has: a page of them,
the same SQL statements for 3 updates as for 30 (each statement counted with SQLAlchemy's
before_cursor_execute event), and later pages reached by the pagination."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from portal.db import db, utcnow
from portal.updates import service as updates
from tests.factories import make_pupil, make_referral_record, referring_school
from tests.factories import make_update
from tests.signing_in import sign_in


def _statements(client, path) -> tuple[list[str], str]:
    """The statements one request for `path` makes (the keyring's cache refreshing on its own
    clock is not the page's), and the page."""
    client.get(path)  # warm: per-process caches filled, as on a served page
    seen = []

    def count(conn, cursor, statement, *_args):
        if "crypto_data_key" not in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert page.status_code == 200
    return seen, page.get_data(as_text=True)


def _school_with_updates(n: int, la=None):
    s = referring_school(la)
    now = utcnow()
    for i in range(n):
        pupil = make_pupil(s.school)
        referral = make_referral_record(s.school, pupil, s.dsl)
        make_update(s.school, pupil, kind="decision", referral=referral, created_at=now - timedelta(minutes=i),
                    commit=False)
    db.session.commit()
    return s


def test_the_inbox_makes_the_same_statements_for_3_updates_as_for_30(client, app):
    few = _school_with_updates(3)
    sign_in(client, few.dsl)
    few_statements, few_page = _statements(client, "/updates")

    many = _school_with_updates(30, few.la)
    other = app.test_client()
    sign_in(other, many.dsl)
    many_statements, many_page = _statements(other, "/updates")

    assert "You have 3 unread updates." in few_page and few_page.count(">Decision</a>") == 3
    assert "You have 30 unread updates." in many_page and many_page.count(">Decision</a>") == 30
    assert "Not about one pupil" not in many_page  # every row names its child
    assert len(many_statements) == len(few_statements), (few_statements, many_statements)


def test_the_inbox_is_paged_newest_first_and_the_unread_count_covers_every_page(client, app):
    s = _school_with_updates(updates.INBOX_PAGE_SIZE + 5)
    newest = db.session.execute(
        db.select(updates.SharedUpdate.id).where(updates.SharedUpdate.school_id == s.school.id)
        .order_by(updates.SharedUpdate.created_at.desc())
    ).scalars().all()
    sign_in(client, s.dsl)
    first = client.get("/updates").get_data(as_text=True)
    assert f"You have {updates.INBOX_PAGE_SIZE + 5} unread updates." in first
    assert f"/updates/{newest[0]}" in first and f"/updates/{newest[-1]}" not in first
    assert f"Showing 1 to {updates.INBOX_PAGE_SIZE} of {updates.INBOX_PAGE_SIZE + 5} updates" in first
    second = client.get("/updates?page=2").get_data(as_text=True)
    assert f"/updates/{newest[-1]}" in second and f"/updates/{newest[0]}" not in second
    # A page past the end shows the last one; nonsense is the first.
    assert f"/updates/{newest[-1]}" in client.get("/updates?page=99").get_data(as_text=True)
    assert f"/updates/{newest[0]}" in client.get("/updates?page=abc").get_data(as_text=True)
