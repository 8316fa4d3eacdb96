"""The leavers page's name search is a form post (issue 15, finding 9): the name never lands in
a URL or an access log, and no page of the portal searches for personal data with a GET form."""

import re
from pathlib import Path

from tests.factories import make_pupil

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# GET forms that carry no personal data: dates, categories, statuses, a school chosen from a list.
GET_FORMS_WITHOUT_PERSONAL_DATA = {
    "chronology/page.html", "triage/_queue_filters.html", "triage/reports.html", "dashboard/page.html",
}


def test_the_name_search_is_a_post_and_a_name_in_the_url_finds_nothing(world):
    oak = world.client(world.oak_dsl)
    make_pupil(world.oakfield, forename="Yusuf", surname="Abernethy-Clarke")
    page = oak.get("/transfers/leavers").get_data(as_text=True)
    assert 'method="post"' in page and 'method="get"' not in page
    found = oak.post("/transfers/leavers", data={"name": "abernethy"}).get_data(as_text=True)
    assert "Yusuf Abernethy-Clarke" in found and world.pupil.display_name not in found
    # A name in the query string is ignored: the whole roll, as if nothing was typed.
    from_url = oak.get("/transfers/leavers?name=abernethy").get_data(as_text=True)
    assert world.pupil.display_name in from_url


def test_the_search_without_a_token_is_refused_without_searching(world):
    oak = world.client(world.oak_dsl)
    make_pupil(world.oakfield, forename="Yusuf", surname="Abernethy-Clarke")
    response = oak.post("/transfers/leavers", data={"name": "abernethy"}, csrf=False)
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert "Yusuf Abernethy-Clarke" not in page or world.pupil.display_name in page  # no search was run


def test_the_leavers_page_is_refused_to_other_roles(world):
    assert world.client(world.oak_staff).post("/transfers/leavers", data={"name": "a"}).status_code == 403


def test_no_template_searches_with_a_get_form_except_those_without_personal_data():
    found = {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r'<form[^>]*method="get"', path.read_text(), re.IGNORECASE)
    }
    assert found <= GET_FORMS_WITHOUT_PERSONAL_DATA, found - GET_FORMS_WITHOUT_PERSONAL_DATA
