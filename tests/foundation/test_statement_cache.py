"""Every statement a page sends comes from SQLAlchemy's compiled cache once the page has been seen.

A statement SQLAlchemy cannot cache (a multi-row VALUES, for one) is compiled again on every
request: the audit's multi-row insert cost about a millisecond on every audited page before it was
caught (see README "Performance", session 28). The pages are every home
link of a school's DSL and of each council role, and a pupil's page and chronology."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from portal.db import db
from portal.home import home_links
from tests.factories import (council, make_concern, make_pupil, make_referral_record, make_update,
                             submitted_referral)
from tests.signing_in import sign_in


def _not_from_the_cache(client, path: str) -> list[str] | None:
    """The statements of one request for `path` (seen twice before) compiled afresh; None for a
    link that is not a page (a start link that makes a draft and redirects to it)."""
    for _ in range(2):
        if client.get(path).status_code != 200:
            return None
    missed = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if context is not None and context.compiled is not None and context.cache_hit is not context.dialect.CACHE_HIT:
            missed.append(" ".join(statement.split())[:160])

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return missed


@pytest.fixture
def setup():
    setup = council()
    pupil = make_pupil(setup.school)
    make_concern(setup.school, pupil, setup.staff, commit=False)
    referral = make_referral_record(setup.school, pupil, setup.dsl)
    make_update(setup.school, pupil, kind="decision", referral=referral)
    submitted_referral(setup)  # in the council's queue
    return setup, pupil


@pytest.mark.parametrize("who", ["dsl", "worker", "manager", "admin"])
def test_every_home_page_sends_only_statements_compiled_once(app, client, setup, who):
    setup, pupil = setup
    user = getattr(setup, who)
    sign_in(client, user)
    with app.test_request_context():
        paths = ["/home"] + [link["href"] for link in home_links(user)]
    if who == "dsl":
        paths += [f"/pupils/{pupil.id}", f"/pupils/{pupil.id}/chronology"]
    seen = {path: _not_from_the_cache(client, path) for path in paths}
    assert len([path for path, missed in seen.items() if missed is not None]) >= 2
    assert {path: missed for path, missed in seen.items() if missed} == {}
