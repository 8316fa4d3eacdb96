"""The roll a page at a time, and name searches that stop at a page."""

from tests.factories import make_la, make_pupil, make_school, make_user
from portal.auth.roles import Role
from tests.signing_in import sign_in


def _dsl():
    return make_user(Role.DSL, make_school(make_la(code="938")))


def test_the_roll_is_shown_a_page_at_a_time_in_surname_order(client):
    dsl = _dsl()
    surnames = [f"Pupil{n:03d}" for n in range(57)]
    for surname in reversed(surnames):
        make_pupil(dsl.school, forename="Kit", surname=surname)
    make_pupil(dsl.school, forename="Gone", surname="Aaron", on_roll=False)
    sign_in(client, dsl)
    first = client.get("/pupils").get_data(as_text=True)
    assert "Current pupils (57)" in first
    assert "Showing 1 to 50 of 57 pupils" in first
    shown = [s for s in surnames if f"{s}, Kit" in first]
    assert shown == surnames[:50]
    assert "Aaron" not in first
    assert 'href="/pupils?page=2"' in first
    second = client.get("/pupils?page=2").get_data(as_text=True)
    assert [s for s in surnames if f"{s}, Kit" in second] == surnames[50:]
    assert "Showing 51 to 57 of 57 pupils" in second
    # A page past the end shows the last page; nonsense shows the first.
    assert "Showing 51 to 57" in client.get("/pupils?page=9").get_data(as_text=True)
    assert "Showing 1 to 50" in client.get("/pupils?page=x").get_data(as_text=True)


def test_a_name_search_matching_more_than_a_page_shows_the_first_page_and_says_so(client):
    dsl = _dsl()
    for n in range(53):
        make_pupil(dsl.school, forename="Rowan", surname=f"Ash{n:03d}")
    make_pupil(dsl.school, forename="Left", surname="Ashby", on_roll=False)
    sign_in(client, dsl)
    page = client.post("/pupils", data={"name-name": "ash", "name-submit": "Search"}).get_data(as_text=True)
    assert "Search results (54)" in page
    assert "54 pupils match; the first 50 are shown" in page
    assert "Ash000, Rowan" in page and "Ash049, Rowan" in page and "Ash050" not in page
