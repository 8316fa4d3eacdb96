"""Recording a notice: the question pages' errors (GOV.UK error summary, nothing typed lost),
the portal's rules for free text, check answers, removing a child, and a second notice at the
same address that starts from the household of an earlier one."""

from __future__ import annotations

from datetime import date

from portal.encompass.models import Routing
from tests.encompass.conftest import (
    ADDRESS,
    INCIDENT,
    KNOWN,
    SIBLING,
    add_child,
    as_user,
    child_form,
    children_of,
    notice_of,
    record_notice,
    start_notice,
)


def test_the_incident_page_shows_every_problem_and_keeps_what_was_typed(client, world):
    as_user(client, world.people["notifier"])
    response = client.post("/encompass/new", data={"police_reference": "", "incident_date": ["", "", ""],
                                                    "incident_time": "25:99", "other_agencies": "Told MASH"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page and page.startswith("<!DOCTYPE html>")
    for message in ("Enter the police reference", "Enter the date of the incident",
                    "Enter the time of the incident as hours and minutes"):
        assert message in page
    assert "Told MASH" in page and "<title>Error:" in page
    future = {**INCIDENT, "incident_date": ["1", "1", str(date.today().year + 1)]}
    assert "The incident must be in the past" in client.post("/encompass/new", data=future).get_data(as_text=True)
    hidden = {**INCIDENT, "police_reference": "NP/1\u202e23"}
    assert "must not include hidden characters" in client.post("/encompass/new", data=hidden).get_data(as_text=True)


def test_the_child_page_refuses_hidden_characters_and_strips_nul(client, world):
    as_user(client, world.people["notifier"])
    notice_id = start_notice(client)
    response = client.post(f"/encompass/drafts/{notice_id}/children/new",
                           data=child_form("Ame\u202elia", "Hart", KNOWN["born"], exposure=[], injured=""))
    page = response.get_data(as_text=True)
    assert "must not include hidden characters" in page
    assert "Select whether the child was present, saw it or heard it" in page
    assert "Select whether the child was injured" in page
    bad_upn = client.post(f"/encompass/drafts/{notice_id}/children/new",
                          data=child_form("Ada", "Hart", KNOWN["born"], upn="B801200005002")).get_data(as_text=True)
    assert "check letter does not match" in bad_upn
    old = client.post(f"/encompass/drafts/{notice_id}/children/new",
                      data=child_form("Ada", "Hart", date(1990, 1, 1))).get_data(as_text=True)
    assert "There is a problem" in old
    add_child(client, notice_id, child_form("Ada", "Hart", KNOWN["born"], disclosure="She said\x00 it was loud"))
    [child] = children_of(notice_id)
    assert child.disclosure == "She said it was loud"


def test_check_answers_change_and_remove_a_child(client, world):
    as_user(client, world.people["notifier"])
    notice_id = start_notice(client)
    add_child(client, notice_id, child_form("Ada", "Hart", KNOWN["born"]))
    add_child(client, notice_id, child_form("Bo", "Hart", SIBLING["born"]))
    page = client.get(f"/encompass/drafts/{notice_id}/check").get_data(as_text=True)
    assert "Child 1: Ada Hart" in page and "Child 2: Bo Hart" in page and "Add another child" in page
    # The second child's page offers the household's address.
    assert "Larkspur Close" in client.get(f"/encompass/drafts/{notice_id}/children/new").get_data(as_text=True)
    ada, bo = children_of(notice_id)
    response = client.post(f"/encompass/drafts/{notice_id}/children/{ada.id}",
                           data=child_form("Adaline", "Hart", KNOWN["born"]))
    assert response.status_code == 302
    assert client.post(f"/encompass/drafts/{notice_id}/children/{bo.id}/remove", data={}).status_code == 302
    [only] = children_of(notice_id)
    assert only.forename == "Adaline"
    incident = client.get(f"/encompass/drafts/{notice_id}/incident").get_data(as_text=True)
    assert "NP/2026/004417" in incident and "21:40" in incident


def test_a_notice_without_children_cannot_be_sent(client, world):
    as_user(client, world.people["notifier"])
    notice_id = start_notice(client)
    response = client.post(f"/encompass/drafts/{notice_id}/send", data={})
    assert response.status_code == 400 and "Add the children the notice is about" in response.get_data(as_text=True)
    assert not notice_of(notice_id).submitted


def test_a_second_notice_at_the_same_address_starts_from_the_household(client, world):
    as_user(client, world.people["notifier"])
    first = record_notice(client, [child_form(KNOWN["forename"], KNOWN["surname"], KNOWN["born"]),
                                   child_form(SIBLING["forename"], SIBLING["surname"], SIBLING["born"])])
    # A colleague in the same force records the next incident at the address.
    as_user(client, world.people["notifier2"])
    response = client.post(f"/encompass/notices/{first}/same-address", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/incident")
    draft = response.headers["Location"].split("/")[-2]
    copied = children_of(draft)
    assert [c.forename for c in copied] == ["Amelia", "Theodric"] and all(c.address == ADDRESS for c in copied)
    assert not any(c.answered for c in copied) and notice_of(draft).police_reference is None
    client.post(f"/encompass/drafts/{draft}/incident", data={**INCIDENT, "police_reference": "NP/2026/004999"})
    response = client.post(f"/encompass/drafts/{draft}/send", data={})
    assert response.status_code == 400 and "Say what happened to child 1" in response.get_data(as_text=True)
    for child in copied:
        client.post(f"/encompass/drafts/{draft}/children/{child.id}",
                    data=child_form(child.forename, child.surname, child.date_of_birth, exposure=["heard"]))
    assert client.post(f"/encompass/drafts/{draft}/send", data={}).status_code == 302
    assert all(c.routing == Routing.PENDING for c in children_of(draft))
    # Another force cannot copy it.
    as_user(client, world.people["southmoor notifier"])
    assert client.post(f"/encompass/notices/{first}/same-address", data={}).status_code == 404
