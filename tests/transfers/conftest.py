"""Three schools in two LAs (Oakfield and Riverside in Northshire, Hillcrest in Southmoor), their
DSLs, and a pupil at Oakfield with a history: a concern with two attachments, a review, a
referral and an update from the council."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from portal.auth.roles import Role
from portal.concerns.models import ConcernAttachment
from portal.db import utcnow
from portal.db import db
from portal.files import store_upload
from tests.factories import (
    make_concern,
    make_la,
    make_pupil,
    make_referral_record,
    make_review,
    make_school,
    make_update,
    make_user,
)
from tests.signing_in import sign_in

UPN = "B801200005001"
NHS = "9434765919"


@dataclass
class World:
    app: object
    northshire: object
    southmoor: object
    oakfield: object
    riverside: object
    hillcrest: object
    oak_dsl: object
    oak_staff: object
    river_dsl: object
    river_deputy: object
    hill_dsl: object
    pupil: object
    concern: object
    attachments: dict = field(default_factory=dict)  # original name -> sha256 of the bytes uploaded
    clients: dict = field(default_factory=dict)

    def client(self, user):
        """A signed-in test client per user (several people act in one test)."""
        if user.id not in self.clients:
            client = self.app.test_client()
            sign_in(client, user)
            self.clients[user.id] = client
        return self.clients[user.id]


def attach(concern, user, name: str, content: bytes) -> str:
    stored = store_upload(io.BytesIO(content), filename=name, uploaded_by=user)
    db.session.flush()
    db.session.add(ConcernAttachment(concern_id=concern.id, stored_file_id=stored.id, added_by_id=user.id))
    db.session.commit()
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def world(app) -> World:
    northshire = make_la("938", "Northshire")
    southmoor = make_la("939", "Southmoor")
    oakfield = make_school(northshire, name="Oakfield Primary School", urn="938001")
    riverside = make_school(northshire, name="Riverside Academy", urn="938002")
    hillcrest = make_school(southmoor, name="Hillcrest High School", urn="939001")
    oak_dsl = make_user(Role.DSL, oakfield, display_name="Priya Shah", password_hash="x")
    oak_staff = make_user(Role.SCHOOL_STAFF, oakfield, display_name="Tom Baker")
    river_dsl = make_user(Role.DSL, riverside, display_name="Grace Okafor", password_hash="x")
    river_deputy = make_user(Role.DEPUTY_DSL, riverside, display_name="Ravi Deputy", password_hash="x")
    hill_dsl = make_user(Role.DSL, hillcrest, display_name="Daniel Hughes", password_hash="x")
    pupil = make_pupil(
        oakfield, forename="Zara", surname="Okonkwo-Pemberton", born=date(2015, 6, 21),
        upn=UPN, nhs_number=NHS, on_roll=True,
    )
    from portal.pupils.models import Enrolment

    db.session.add(Enrolment(pupil_id=pupil.id, school_id=oakfield.id, start_date=date(2021, 9, 1)))
    db.session.commit()
    happened = utcnow() - timedelta(days=30)
    concern = make_concern(oakfield, pupil, oak_staff, occurred_at=happened,
                           account="Said she had not eaten since Friday lunchtime.")
    make_review(concern, oak_dsl, outcome="early_help", reasons="Family agreed to early help.",
                at=happened + timedelta(hours=2))
    referral = make_referral_record(oakfield, pupil, oak_dsl, submitted_at=happened + timedelta(days=1), concerns=[concern])
    make_update(oakfield, pupil, kind="decision", referral=referral, created_at=happened + timedelta(days=2),
                title="Decision: early help", body="The family has been offered early help.")
    world = World(app=app, northshire=northshire, southmoor=southmoor, oakfield=oakfield, riverside=riverside,
                  hillcrest=hillcrest, oak_dsl=oak_dsl, oak_staff=oak_staff, river_dsl=river_dsl,
                  river_deputy=river_deputy, hill_dsl=hill_dsl, pupil=pupil, concern=concern)
    world.attachments["notes.txt"] = attach(concern, oak_staff, "notes.txt", b"What she said, word for word.\n")
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(200_000)  # bigger than one 64 KiB chunk
    world.attachments["photo.png"] = attach(concern, oak_staff, "photo.png", png)
    return world
