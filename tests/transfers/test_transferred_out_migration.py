"""Migration 0011 gives every pupil record already transferred out its `transferred_out_at`, from
the transfer the receiving school accepted; nothing else is marked."""

from __future__ import annotations

from datetime import date, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from portal import create_app
from portal.auth.roles import Role
from portal.db import db, utcnow
from portal.pupils.models import Pupil
from portal.transfers.models import Transfer, TransferStatus
from tests.factories import make_la, make_pupil, make_school, make_user
from tests.conftest import environ_for_tests
from tests.databases import throwaway_database


def _transfer(pupil, from_school, to_school, by, status, accepted_at=None) -> Transfer:
    transfer = Transfer(
        pupil_id=pupil.id, from_school_id=from_school.id, to_school_id=to_school.id, destination_kind="school",
        status=status, leaving_date=date(2026, 11, 2), due_date=date(2026, 11, 9), recorded_by_id=by.id,
        accepted_at=accepted_at,
    )
    db.session.add(transfer)
    return transfer


def test_records_already_transferred_out_are_marked_from_their_accepted_transfer(tmp_path):
    with throwaway_database(tmp_path, "backfill") as url:
        app = create_app(environ_for_tests(url, tmp_path))
        with app.app_context():
            upgrade()
            try:
                la = make_la("938", "Northshire")
                oak, river = make_school(la, urn="938001"), make_school(la, urn="938002")
                dsl = make_user(Role.DSL, oak)
                moved = make_pupil(oak, surname="Moved")
                waiting = make_pupil(oak, surname="Waiting")
                received = make_pupil(river, surname="Received")
                first = utcnow().replace(microsecond=0) - timedelta(days=3)
                _transfer(moved, oak, river, dsl, TransferStatus.ACCEPTED, accepted_at=first)
                _transfer(waiting, oak, river, dsl, TransferStatus.PENDING)
                # A record held by another school than the one the transfer left from stays as it is.
                _transfer(received, oak, river, dsl, TransferStatus.ACCEPTED, accepted_at=first)
                db.session.commit()
                ids = {"moved": moved.id, "waiting": waiting.id, "received": received.id}
                db.session.remove()  # no open transaction may hold the table the migration alters

                downgrade(revision="0010")
                upgrade()

                db.session.expire_all()
                marked = dict(db.session.execute(select(Pupil.id, Pupil.transferred_out_at)).all())
                assert marked[ids["moved"]] == first
                assert marked[ids["waiting"]] is None
                assert marked[ids["received"]] is None
            finally:
                db.session.remove()
                db.engine.dispose()
