"""The issue's journey, through the pages: a police user records one notice for two children at
one address, one of them at Oakfield; the Oakfield DSL sees it on the home page and reads it (the
police see when); the other child's notice reaches Northshire's key contact, who routes it."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.db import db
from portal.encompass.models import Routing
from portal.notify.models import MailMessage
from portal.notify.outbox import send_due
from tests.encompass.conftest import (
    DISCLOSURE,
    KNOWN,
    SIBLING,
    as_user,
    child_form,
    children_of,
    record_notice,
    statuses,
)


def test_two_children_one_at_oakfield_one_routed_by_the_key_contact(client, world):
    people = world.people
    as_user(client, people["notifier"])
    notice_id = record_notice(client, [
        child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"], disclosure=DISCLOSURE, exposure=["present", "saw"]),
        child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"]),
    ])
    page = client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)
    assert "Notice sent" in page and statuses(page) == ["Being passed on", "Being passed on"]

    # The mail worker routes each child (through the blind indexes) before its pass.
    send_due()
    amelia, theodric = children_of(notice_id)
    assert amelia.routing == Routing.DELIVERED and amelia.school_id == world.oakfield.id
    assert amelia.pupil_id == world.pupil.id and amelia.due_at is not None
    assert theodric.routing == Routing.HELD and theodric.school_id is None

    page = client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)
    assert statuses(page) == ["Delivered to the school", "Held by the council"]
    assert "Oakfield" not in page and "Riverside" not in page
    assert page.count("Not yet") == 2

    # Oakfield's DSL: on the home page, then the notice.
    as_user(client, people["oakfield dsl"])
    home = client.get("/home").get_data(as_text=True)
    assert 'id="worklist-encompass"' in home and "Amelia Hartley-Nkemelu" in home
    notice_page = client.get(f"/encompass/school/{amelia.id}").get_data(as_text=True)
    assert DISCLOSURE in notice_page and "NP/2026/004417" in notice_page
    assert "Theodric" not in notice_page  # the other child is not this school's
    [read] = children_of(notice_id)[:1]
    assert read.first_read_at is not None and read.first_read_by_id == people["oakfield dsl"].id
    first = read.first_read_at
    client.get(f"/encompass/school/{amelia.id}")
    assert children_of(notice_id)[0].first_read_at == first  # the first read stays the first
    home = client.get("/home").get_data(as_text=True)
    assert 'id="worklist-encompass"' not in home

    # The police see when it was first read, still not where.
    as_user(client, people["notifier"])
    page = client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)
    assert page.count("Not yet") == 1 and "Oakfield" not in page

    # Northshire's key contact routes the other child to Riverside.
    as_user(client, people["key contact"])
    register = client.get("/encompass/council").get_data(as_text=True)
    assert "1 notice to route" in register and "Oakfield Primary School" in register
    page = client.get(f"/encompass/council/{theodric.id}").get_data(as_text=True)
    assert "Theodric Hartley-Nkemelu" in page and "No pupil on a roll in the portal matched" in page
    response = client.post(f"/encompass/council/{theodric.id}/route", data={"school_id": str(world.riverside.id)})
    assert response.status_code == 302
    theodric = children_of(notice_id)[1]
    assert theodric.routing == Routing.DELIVERED and theodric.school_id == world.riverside.id
    assert theodric.routed_by_id == people["key contact"].id and theodric.pupil_id is None

    as_user(client, people["riverside dsl"])
    assert "Theodric Hartley-Nkemelu" in client.get("/encompass/school").get_data(as_text=True)
    page = client.get(f"/encompass/school/{theodric.id}").get_data(as_text=True)
    assert "No pupil on your roll in the portal has this name" in page

    as_user(client, people["notifier"])
    page = client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)
    assert statuses(page) == ["Delivered to the school", "Delivered to the school"] and "Riverside" not in page

    # Emails name nobody: a link only.
    messages = db.session.execute(select(MailMessage)).scalars().all()
    recipients = {m.recipient for m in messages}
    assert people["oakfield dsl"].email in recipients and people["oakfield deputy"].email in recipients
    assert people["key contact"].email in recipients and people["riverside dsl"].email in recipients
    for message in messages:
        for secret in ("Amelia", "Theodric", "Hartley", "NP/2026", "XQ-DISCLOSURE"):
            assert secret not in message.body and secret not in message.subject

    actions = [e.action for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    for action in ("encompass.submitted", "encompass.delivered", "encompass.held", "encompass.read",
                   "encompass.council_viewed"):
        assert action in actions


def test_a_double_click_sends_the_notice_once(client, world):
    from tests.encompass.conftest import add_child, start_notice

    as_user(client, world.people["notifier"])
    notice_id = start_notice(client)
    add_child(client, notice_id, child_form("Ivo", "Stanmore", KNOWN["born"]))
    first = client.post(f"/encompass/drafts/{notice_id}/send", data={})
    second = client.post(f"/encompass/drafts/{notice_id}/send", data={})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    submitted = db.session.execute(select(AuditEvent).where(AuditEvent.action == "encompass.submitted")).scalars().all()
    assert len(submitted) == 1
    # The draft's pages are closed once sent.
    assert client.get(f"/encompass/drafts/{notice_id}/check").status_code == 409


def test_the_personal_fields_are_encrypted_at_rest(client, world):
    from sqlalchemy import text

    as_user(client, world.people["notifier"])
    record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"], disclosure=DISCLOSURE)])
    raw = " ".join(str(row) for row in db.session.execute(text("SELECT * FROM encompass_child")).all())
    raw += " ".join(str(row) for row in db.session.execute(text("SELECT * FROM encompass_notice")).all())
    for secret in ("Amelia", "Hartley", "XQ-DISCLOSURE", "NP/2026", "Larkspur", "MASH informed"):
        assert secret not in raw
