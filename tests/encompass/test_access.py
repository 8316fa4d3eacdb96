"""Every Encompass page refuses another organisation (404 for a record: it must not learn that it
exists), another council, every school role other than the school's leads, the police's other
roles, and other agencies' professionals (403 for the area)."""

from __future__ import annotations

import pytest

from portal.notify.outbox import send_due
from tests.encompass.conftest import KNOWN, SIBLING, add_child, as_user, child_form, children_of, record_notice, start_notice

NOBODY_ELSE = ["police lead", "police professional", "gp", "oakfield staff", "worker", "admin", "cme"]


@pytest.fixture
def notices(client, world):
    as_user(client, world.people["notifier"])
    sent = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"]),
                                  child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"])])
    draft = start_notice(client)
    add_child(client, draft, child_form("Ivo", "Stanmore", KNOWN["born"]))
    send_due()
    delivered, held = children_of(sent)
    return {"sent": sent, "draft": draft, "delivered": str(delivered.id), "held": str(held.id)}


# (method, path, who may, who gets 404 because the record is another organisation's)
ROUTES = [
    ("get", "/encompass/", {"notifier", "notifier2", "southmoor notifier"}, set()),
    ("get", "/encompass/new", {"notifier", "notifier2", "southmoor notifier"}, set()),
    ("get", "/encompass/notices/{sent}", {"notifier", "notifier2"}, {"southmoor notifier"}),
    ("post", "/encompass/notices/{sent}/same-address", {"notifier", "notifier2"}, {"southmoor notifier"}),
    ("get", "/encompass/drafts/{draft}/check", {"notifier"}, {"notifier2", "southmoor notifier"}),
    ("get", "/encompass/drafts/{draft}/incident", {"notifier"}, {"notifier2", "southmoor notifier"}),
    ("get", "/encompass/drafts/{draft}/children/new", {"notifier"}, {"notifier2", "southmoor notifier"}),
    ("post", "/encompass/drafts/{draft}/send", {"notifier"}, {"notifier2", "southmoor notifier"}),
    ("get", "/encompass/school", {"oakfield dsl", "oakfield deputy", "riverside dsl", "hillcrest dsl"}, set()),
    ("get", "/encompass/school/{delivered}", {"oakfield dsl", "oakfield deputy"}, {"riverside dsl", "hillcrest dsl"}),
    ("post", "/encompass/school/{delivered}/concern", {"oakfield dsl", "oakfield deputy"}, {"riverside dsl", "hillcrest dsl"}),
    ("post", "/encompass/school/{delivered}/pupil", {"oakfield dsl", "oakfield deputy"}, {"riverside dsl", "hillcrest dsl"}),
    ("get", "/encompass/council", {"key contact", "manager", "southmoor key contact"}, set()),
    ("get", "/encompass/council/{held}", {"key contact"}, {"southmoor key contact"}),
    ("post", "/encompass/council/{held}/route", {"key contact"}, {"southmoor key contact"}),
    ("post", "/encompass/council/{held}/outside", {"key contact"}, {"southmoor key contact"}),
]
EVERYONE = ["notifier", "notifier2", "southmoor notifier", "oakfield dsl", "oakfield deputy", "riverside dsl",
            "hillcrest dsl", "key contact", "southmoor key contact", "manager", *NOBODY_ELSE]


@pytest.mark.parametrize("method, path, allowed, not_found", ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_who_may_reach_each_page(client, world, notices, method, path, allowed, not_found):
    url = path.format(**notices)
    for name in EVERYONE:
        if name in allowed:
            continue
        as_user(client, world.people[name])
        response = getattr(client, method)(url, data={}) if method == "post" else client.get(url)
        expected = 404 if name in not_found else 403
        assert response.status_code == expected, f"{name} {method} {url}: {response.status_code}"
    for name in allowed:
        as_user(client, world.people[name])
        if method == "get":
            assert client.get(url).status_code == 200, f"{name} {url}"


def test_lists_show_only_the_organisations_own(client, world, notices):
    as_user(client, world.people["southmoor notifier"])
    assert "NP/2026/004417" not in client.get("/encompass/").get_data(as_text=True)
    as_user(client, world.people["southmoor key contact"])
    page = client.get("/encompass/council").get_data(as_text=True)
    assert "Northshire Police" not in page and "Nothing is waiting to be routed" in page
    as_user(client, world.people["riverside dsl"])
    assert "Amelia" not in client.get("/encompass/school").get_data(as_text=True)
    as_user(client, world.people["notifier2"])
    page = client.get("/encompass/").get_data(as_text=True)
    assert "NP/2026/004417" in page and "Draft" not in page  # a colleague's draft is theirs alone


def test_triage_managers_read_the_register_but_do_not_route(client, world, notices):
    as_user(client, world.people["manager"])
    page = client.get("/encompass/council").get_data(as_text=True)
    assert "1 notice to route" in page and f"/encompass/council/{notices['held']}" not in page
    assert client.post(f"/encompass/council/{notices['held']}/route", data={"school_id": str(world.oakfield.id)}).status_code == 403
