"""A police user who types a known pupil's details learns nothing about the school or the pupil
from the portal's answers: sending a notice answers the same page, with the same statements and
no look-up of pupils at all (the routing is the mail worker's), and the notice page says the same
until the worker has routed it. After routing, "delivered to the school" against "held by the
council" is all that differs: the issue accepts that wording (docs/encompass.md)."""

from __future__ import annotations

import re

from sqlalchemy import event

from portal.db import db
from portal.notify.outbox import send_due
from tests.encompass.conftest import KNOWN, KNOWN_UPN, add_child, as_user, child_form, start_notice, statuses


def _statements_during(fn) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "crypto_data_key" not in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _normalised(page: str) -> str:
    page = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", page)
    page = re.sub(r'nonce="[^"]+"|value="[^"]+"', "", page)
    return re.sub(r"\d{1,2} \w+ \d{4} at [\d:apm]+|midnight|midday", "TIME", page)


def test_a_known_and_an_unknown_child_answer_the_same(client, world):
    pupil_id = str(world.pupil.id)
    as_user(client, world.people["notifier"])
    known = start_notice(client)
    add_child(client, known, child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"], upn=KNOWN_UPN))
    unknown = start_notice(client)
    add_child(client, unknown, child_form("Unknownia", "Nobodyson", KNOWN["born"], upn="B801200005001"))

    answers, statements, pages = {}, {}, {}
    for name, notice_id in (("known", known), ("unknown", unknown)):
        holder = {}
        db.session.expunge_all()  # each request starts from an empty identity map, as in a real server
        statements[name] = _statements_during(
            lambda: holder.setdefault("r", client.post(f"/encompass/drafts/{notice_id}/send", data={})))
        response = holder["r"]
        assert response.status_code == 302
        answers[name] = response.headers["Location"].replace(notice_id, "ID")
        pages[name] = client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)
    assert answers["known"] == answers["unknown"]
    assert statements["known"] == statements["unknown"]
    assert not any(re.search(r"(FROM|JOIN) pupil\b", s) for s in statements["known"])

    assert statuses(pages["known"]) == statuses(pages["unknown"]) == ["Being passed on"]
    assert _normalised(pages["known"]).replace("Amelia", "X").replace("Hartley-Nkemelu", "Y") == \
        _normalised(pages["unknown"]).replace("Unknownia", "X").replace("Nobodyson", "Y")

    # After routing: only the accepted wording differs; never the school, never the pupil's details.
    send_due()
    page = client.get(f"/encompass/notices/{known}").get_data(as_text=True)
    assert statuses(page) == ["Delivered to the school"]
    for secret in ("Oakfield", "938001", "Riverside", "Year", pupil_id):
        assert secret not in page
    assert statuses(client.get(f"/encompass/notices/{unknown}").get_data(as_text=True)) == ["Held by the council"]


def test_probing_with_a_name_matching_two_pupils_is_held_like_no_match(client, world):
    from tests.factories import make_pupil

    make_pupil(world.riverside, **KNOWN)  # the same name and birthday at another school
    as_user(client, world.people["notifier"])
    notice_id = start_notice(client)
    add_child(client, notice_id, child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"]))
    client.post(f"/encompass/drafts/{notice_id}/send", data={})
    send_due()
    assert statuses(client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)) == ["Held by the council"]


def test_a_pupil_in_another_council_is_not_matched(client, world):
    from tests.factories import make_pupil

    make_pupil(world.hillcrest, forename="Orla", surname="Westerby", born=KNOWN["born"])
    as_user(client, world.people["notifier"])
    notice_id = start_notice(client)
    add_child(client, notice_id, child_form("Orla", "Westerby", KNOWN["born"]))
    client.post(f"/encompass/drafts/{notice_id}/send", data={})
    send_due()
    assert statuses(client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)) == ["Held by the council"]


def test_a_pupil_in_a_neighbouring_council_the_police_may_notify_is_matched(client, world):
    from portal.encompass.models import Routing
    from portal.orgs.models import AgencyReferralArea
    from tests.encompass.conftest import children_of
    from tests.factories import make_pupil

    pupil = make_pupil(world.hillcrest, forename="Orla", surname="Westerby", born=KNOWN["born"])
    db.session.add(AgencyReferralArea(agency_id=world.police.id, local_authority_id=world.southmoor.id))
    db.session.commit()
    as_user(client, world.people["notifier"])
    notice_id = start_notice(client)
    add_child(client, notice_id, child_form("Orla", "Westerby", KNOWN["born"]))
    client.post(f"/encompass/drafts/{notice_id}/send", data={})
    send_due()
    [child] = children_of(notice_id)
    assert child.routing == Routing.DELIVERED and child.pupil_id == pupil.id
    assert child.local_authority_id == world.southmoor.id  # on Southmoor's register, not Northshire's
