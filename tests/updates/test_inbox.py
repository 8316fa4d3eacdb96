"""The shared updates inbox: updates from the LA for the school's DSLs, unread counts per person,
newest first, read when opened, emailed without child details, and nobody else's."""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.notify import outbox_path
from portal.transaction import unit_of_work
from portal.updates import service as updates
from portal.updates.models import SharedUpdate
from tests.factories import REFERRAL_FORENAME, REFERRAL_PUPIL, make_pupil, make_user, referring_school
from tests.signing_in import sign_in


@pytest.fixture
def mailbox(app):
    folder = outbox_path()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    return folder


def _emails(folder):
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def _update(s, title="Decision on your referral", *, pupil=None, minutes_ago=0, **content):
    update = updates.create_shared_update(
        school_id=s.school.id, local_authority_id=s.la.id, kind="decision",
        content={"title": title, "body": f"{REFERRAL_FORENAME} will be offered early help.", **content},
        pupil_id=pupil.id if pupil else None,
    )
    update.created_at = update.created_at - timedelta(minutes=minutes_ago)
    db.session.commit()
    return update


def test_unread_counts_are_per_person_and_opening_an_update_reads_it(client, app, mailbox):
    s = referring_school()
    older = _update(s, "Acknowledged", minutes_ago=10)
    newer = _update(s, "Decision", pupil=s.pupil)
    assert updates.unread_count(s.dsl) == updates.unread_count(s.deputy) == 2

    sign_in(client, s.dsl)
    home = client.get("/home").get_data(as_text=True)
    assert "You have 2 unread updates from the local authority" in home and "Updates (2 unread)" in home
    inbox = client.get("/updates").get_data(as_text=True)
    assert inbox.index(str(newer.id)) < inbox.index(str(older.id))  # newest first
    assert REFERRAL_FORENAME in inbox  # each row names its child, so a DSL need not open each one

    page = client.get(f"/updates/{newer.id}").get_data(as_text=True)
    assert "Decision" in page and f"{REFERRAL_FORENAME} will be offered early help." in page
    assert s.pupil.display_name in page
    assert "Updates (1 unread)" in page
    client.get(f"/updates/{newer.id}")  # twice: still one read
    assert updates.unread_count(s.dsl) == 1
    assert updates.unread_count(s.deputy) == 2  # the deputy has not read it
    views = db.session.execute(select(AuditEvent).where(AuditEvent.action == "update.view")).scalars().all()
    assert [v.object_id for v in views] == [str(newer.id)] * 2


def test_creating_an_update_emails_the_schools_leads_after_commit_with_no_child_details(app, mailbox):
    s = referring_school()
    s.dsl.password_hash = s.deputy.password_hash = "$argon2id$placeholder"
    db.session.commit()
    with unit_of_work():  # the update joins a larger unit of work (as a triage decision's does)
        update = updates.create_shared_update(school_id=s.school.id, local_authority_id=s.la.id, kind="decision",
                                              content={"title": f"Decision about {REFERRAL_FORENAME}", "body": REFERRAL_FORENAME})
        assert _emails(mailbox) == []  # not before the update exists for good
    sent = _emails(mailbox)
    assert sorted(m["To"] for m in sent) == sorted([s.dsl.email, s.deputy.email])  # not staff
    for message in sent:
        body = message.get_payload()
        assert REFERRAL_FORENAME not in body and REFERRAL_FORENAME not in message["Subject"]
        assert f"/updates/{update.id}" in body


def test_a_rolled_back_update_sends_nothing(app, mailbox):
    s = referring_school()
    s.dsl.password_hash = "$argon2id$placeholder"
    db.session.commit()
    with pytest.raises(RuntimeError), unit_of_work():
        _ = updates.create_shared_update(school_id=s.school.id, local_authority_id=s.la.id, kind="note",
                                         content={"title": "Note"})
        raise RuntimeError("the rest of the unit of work failed")
    db.session.commit()
    assert _emails(mailbox) == []


def test_an_update_cannot_reach_a_school_it_was_not_meant_for(app):
    ours, theirs = referring_school(), None
    theirs = referring_school(ours.la)
    with pytest.raises(updates.UpdateRefused):
        updates.create_shared_update(school_id=theirs.school.id, local_authority_id=ours.la.id, kind="note",
                                     content={"title": "x"}, pupil_id=ours.pupil.id)
    with pytest.raises(updates.UpdateRefused):
        updates.create_shared_update(school_id=ours.school.id, local_authority_id=ours.la.id, kind="gossip",
                                     content={"title": "x"})
    with pytest.raises(updates.UpdateRefused):
        updates.create_shared_update(school_id=ours.school.id, local_authority_id=ours.la.id, kind="note", content={})


def test_another_schools_dsl_gets_not_found_and_sees_nothing(client, app):
    ours = referring_school()
    theirs = referring_school(ours.la)
    update = _update(ours, pupil=ours.pupil)
    sign_in(client, theirs.dsl)
    assert client.get(f"/updates/{update.id}").status_code == 404
    assert str(update.id) not in client.get("/updates").get_data(as_text=True)
    assert updates.unread_count(theirs.dsl) == 0
    assert updates.unread_count(ours.dsl) == 1  # their attempt read nothing


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.TRIAGE_WORKER, Role.LA_ADMIN])
def test_staff_and_la_users_are_refused(client, app, role):
    s = referring_school()
    update = _update(s)
    sign_in(client, make_user(role, s.school if role == Role.SCHOOL_STAFF else s.la))
    assert client.get("/updates").status_code == 403
    assert client.get(f"/updates/{update.id}").status_code == 403
    page = client.get("/home").get_data(as_text=True)
    assert "unread" not in page


def test_update_content_is_encrypted(app):
    s = referring_school()
    update = _update(s, pupil=make_pupil(s.school, **(REFERRAL_PUPIL | {"forename": "Ysolde"})))
    from sqlalchemy import text

    key = update.id.hex if db.engine.dialect.name == "sqlite" else update.id
    raw = db.session.execute(text("SELECT content FROM shared_update WHERE id = :id"), {"id": key}).scalar_one()
    assert raw.startswith("v1:") and REFERRAL_FORENAME not in raw
    assert db.session.get(SharedUpdate, update.id).content["body"].startswith(REFERRAL_FORENAME)
