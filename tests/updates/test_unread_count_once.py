"""The unread count in the navigation is worked out once per page, however many templates the page
renders (each GOV.UK widget renders its own, and each render runs the context processors)."""

from __future__ import annotations

import pytest

from portal.updates import service as updates
from tests.factories import make_pupil, make_update, school_with_people
from tests.signing_in import sign_in


@pytest.fixture
def calls(monkeypatch) -> list:
    """Each time the navigation counted the unread updates with a statement of its own."""
    made = []
    real = updates.unread_count

    def counting(user):
        made.append(user.id)
        return real(user)

    monkeypatch.setattr(updates, "unread_count", counting)
    return made


def test_a_page_with_many_widgets_counts_the_unread_updates_once(client, calls):
    setup = school_with_people()
    pupil = make_pupil(setup.school)
    make_update(setup.school, pupil)
    sign_in(client, setup.dsl)
    page = client.post("/pupils", data={"name-name": "zz", "name-submit": "Search"})  # the name search: a form of widgets
    assert page.status_code == 200
    assert "Updates (1 unread)" in page.get_data(as_text=True)
    assert len(calls) == 1



def test_the_inbox_and_the_dsls_home_give_the_navigation_the_count_they_made_themselves(client, calls):
    setup = school_with_people()
    pupil = make_pupil(setup.school)
    update = make_update(setup.school, pupil)
    make_update(setup.school, pupil)
    sign_in(client, setup.dsl)
    assert "Updates (2 unread)" in client.get("/home").get_data(as_text=True)
    assert "Updates (2 unread)" in client.get("/updates").get_data(as_text=True)
    assert calls == []  # no statement of the navigation's own
    # Reading one changes the count: the update's page does not count, so the navigation does.
    assert "Updates (1 unread)" in client.get(f"/updates/{update.id}").get_data(as_text=True)
    assert len(calls) == 1
    calls.clear()
    assert "Updates (1 unread)" in client.get("/home").get_data(as_text=True)
    assert "Updates (1 unread)" in client.get("/updates").get_data(as_text=True)
    assert calls == []
