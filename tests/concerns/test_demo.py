"""Demo concerns: created once, about the demo pupils, visible to the right people."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.auth.signin import find_user
from demo.concerns import DEMO_CONCERNS, seed_demo_concerns
from portal.concerns.models import Concern, ConcernReview
from demo.cli import seed
from portal.db import db
from tests.signing_in import sign_in


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_demo_concerns_are_seeded_once(app, client):
    seed()  # the demo seed makes the concerns (after the pupils)
    assert count(Concern) == len(DEMO_CONCERNS)
    assert seed_demo_concerns() == 0
    db.session.commit()
    assert count(Concern) == len(DEMO_CONCERNS)
    assert count(ConcernReview) == 3
    sign_in(client, find_user("dsl@oakfield.demo"))
    queue = client.get("/concerns/review").text
    assert "Zara Okonkwo" in queue
    assert 'data-concerns-awaiting="1"' in client.get("/home").text
    listing = client.get("/concerns").text
    assert "Millie Hartley-Nkemelu" in listing and "Kai" not in listing
