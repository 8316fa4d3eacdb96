"""`portalSummaryList`, `portalTable` and `portalTag` (portal/govuk_components.py) write what govuk-frontend-jinja's
govukSummaryList, govukTable and govukTag macros write, for every shape of parameters the components take and
for any text: both are rendered here in the app's own Jinja environment (its finalize and
autoescaping) and compared, the whitespace between and around tags aside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MACRO = ('{% from "govuk_frontend_jinja/components/summary-list/macro.html" import govukSummaryList %}'
         "{{ govukSummaryList(params) }}")
OURS = "{{ portalSummaryList(params) }}"


def _tags_apart(html: str) -> str:
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", re.sub(r"\s+", " ", str(html))).strip()


TAG_MACRO = '{% from "govuk_frontend_jinja/components/tag/macro.html" import govukTag %}{{ govukTag(params) }}'
TAG_OURS = "{{ portalTag(params) }}"


def _both(app, params: dict, library_source: str = MACRO, our_source: str = OURS) -> tuple[str, str]:
    with app.test_request_context():
        library = app.jinja_env.from_string(library_source).render(params=params)
        ours = app.jinja_env.from_string(our_source).render(params=params)
    return library, ours


ACTION = {"href": "/pupils/1/edit", "text": "Change", "visuallyHiddenText": "legal name"}
CASES = {
    "plain rows": {"rows": [
        {"key": {"text": "Legal name"}, "value": {"text": "Ayesha Khan"}},
        {"key": {"text": "Known as"}, "value": {"text": "Not recorded"}},
    ]},
    "html values, one with lines": {"rows": [
        {"key": {"html": "<strong>Status</strong>"}, "value": {"html": '<strong class="govuk-tag">Sent</strong>'}},
        {"key": {"text": "Reasons"}, "value": {"html": "<p class=\"govuk-body\">One</p>\n<p class=\"govuk-body\">Two</p>\n"}},
    ]},
    "classes and attributes": {"classes": "govuk-summary-list--no-border", "attributes": {"id": "summary", "data-x": True},
                               "rows": [{"classes": "app-row", "key": {"text": "K", "classes": "app-key"},
                                         "value": {"text": "V", "classes": "app-value"}}]},
    "attributes as a string and optional ones": {
        "attributes": ' data-module="thing"',
        "rows": [{"key": {"text": "K"}, "value": {"text": "V"},
                  "actions": {"items": [{"href": "/x", "text": "Change",
                                         "attributes": {"hidden": {"value": True, "optional": True},
                                                        "data-gone": {"value": None, "optional": True},
                                                        "aria-label": "Change K"}}]}}]},
    "some rows with an action": {"rows": [
        {"key": {"text": "Legal name"}, "value": {"text": "Ayesha Khan"}, "actions": {"items": [ACTION]}},
        {"key": {"text": "UPN"}, "value": {"text": "A123"}},
    ]},
    "a row with several actions": {"rows": [
        {"key": {"text": "Contact"}, "value": {"text": "Sam"}, "actions": {"classes": "app-actions", "items": [
            {"href": "/a", "text": "Change", "visuallyHiddenText": "contact", "classes": "app-link"},
            {"href": "/b", "html": "<span>Remove</span>"},
        ]}},
    ]},
    "a card with a title and one action": {"card": {"title": {"text": "Details"}, "actions": {"items": [
        {"href": "/pupils/1/edit", "text": "Change"}]}}, "rows": [
        {"key": {"text": "Legal name"}, "value": {"text": "Ayesha Khan"}, "actions": {"items": [ACTION]}},
    ]},
    "a card with an html title, a heading level, classes and several actions": {
        "card": {"classes": "app-card", "attributes": {"id": "card"},
                 "title": {"html": "<span>Household</span>", "headingLevel": 3, "classes": "app-title"},
                 "actions": {"classes": "app-card-actions", "items": [{"href": "/a", "text": "Add"},
                                                                       {"href": "/b", "text": "Remove"}]}},
        "rows": [{"key": {"text": "Adult"}, "value": {"text": "Pat"}}]},
    "a card without actions": {"card": {"title": {"text": "Referral"}, "actions": {"items": []}},
                               "rows": [{"key": {"text": "K"}, "value": {"text": "V"}}]},
    "blank rows, a missing value, None": {"rows": [
        None, {"key": {"text": "Missing"}, "value": {}}, {"key": {"text": "None"}, "value": {"text": None}}, {},
    ][:3]},
    "text to escape and characters that reorder text": {"rows": [
        {"key": {"text": "<script>alert(1)</script>"}, "value": {"text": "O'Brien & \"Sons\" \u202egnp.exe"}},
        {"key": {"text": "Href"}, "value": {"text": "x"}, "actions": {"items": [
            {"href": '/x?a=1&b="2"', "text": "<b>Change</b>", "visuallyHiddenText": "<i>x</i>\u2066"}]}},
    ]},
    "no rows": {"rows": []},
}


@pytest.mark.parametrize("case", list(CASES))
def test_it_writes_what_the_library_macro_writes(app, case):
    library, ours = _both(app, CASES[case])
    assert _tags_apart(ours) == _tags_apart(library)


def test_the_hidden_words_of_an_action_keep_their_space(app):
    """"Change legal name" to a screen reader, not "Changelegal name": a space that the comparison
    above cannot see."""
    _, ours = _both(app, CASES["some rows with an action"])
    assert 'Change<span class="govuk-visually-hidden"> legal name</span></a>' in ours
    _, ours = _both(app, CASES["a card with a title and one action"])
    assert '<span class="govuk-visually-hidden"> legal name (Details)</span>' in ours


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.text(max_size=20), value=st.text(max_size=40), hidden=st.text(max_size=20))
def test_any_text_is_written_as_the_library_writes_it(app, key, value, hidden):
    params = {"card": {"title": {"text": key}}, "rows": [
        {"key": {"text": key}, "value": {"text": value},
         "actions": {"items": [{"href": "/x", "text": "Change", "visuallyHiddenText": hidden}]}},
        {"key": {"text": value}, "value": {"text": key}},
    ]}
    library, ours = _both(app, params)
    assert _tags_apart(ours) == _tags_apart(library)


TAGS = {
    "text": {"text": "Unread"},
    "classes": {"text": "Overdue", "classes": "govuk-tag--red govuk-!-margin-left-1"},
    "html and attributes": {"html": "<span>Sent</span>\n", "attributes": {"id": "status", "data-x": False}},
    "text to escape and characters that reorder text": {"text": "<b>Urgent</b> & \u202eevil"},
    "nothing": {},
}


@pytest.mark.parametrize("case", list(TAGS))
def test_a_tag_is_what_the_library_macro_writes(app, case):
    library, ours = _both(app, TAGS[case], TAG_MACRO, TAG_OURS)
    assert _tags_apart(ours) == _tags_apart(library)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=30))
def test_any_tag_text_is_written_as_the_library_writes_it(app, text):
    library, ours = _both(app, {"text": text, "classes": "govuk-tag--grey"}, TAG_MACRO, TAG_OURS)
    assert _tags_apart(ours) == _tags_apart(library)


TABLE_MACRO = ('{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}'
               "{{ govukTable(params) }}")
TABLE_OURS = "{{ portalTable(params) }}"
TABLES = {
    "head and rows": {"head": [{"text": "School"}, {"text": "From"}, {"text": "To"}],
                      "rows": [[{"text": "Oakfield"}, {"text": "1 September 2020"}, {"text": "Current"}],
                               [{"text": "Riverside"}, {"text": "1 September 2015"}, {"text": "31 July 2020"}]]},
    "caption, classes, attributes": {"caption": "From your MIS", "captionClasses": "govuk-table__caption--s",
                                     "classes": "app-table", "attributes": {"id": "contacts"},
                                     "head": [{"text": "Name", "classes": "app-name", "attributes": {"aria-sort": "none"}}],
                                     "rows": [[{"text": "Sam", "classes": "app-cell", "attributes": {"data-x": "1"}}]]},
    "formats and spans": {"head": [{"text": "Item"}, {"text": "Count", "format": "numeric", "colspan": 2}],
                          "rows": [[{"text": "A"}, {"text": 3, "format": "numeric"}, {"text": "x", "rowspan": 2}]]},
    "first cell a header, html, blank rows": {"firstCellIsHeader": True, "rows": [
        [{"html": "<a href=\"/x\">Ayesha</a>", "classes": "app-first"}, {"text": None}], None, [],
        [{"text": "<b>O'Brien & Co</b> \u202eevil"}, {}]]},
    "no head, no rows": {"rows": []},
}


@pytest.mark.parametrize("case", list(TABLES))
def test_a_table_is_what_the_library_macro_writes(app, case):
    library, ours = _both(app, TABLES[case], TABLE_MACRO, TABLE_OURS)
    assert _tags_apart(ours) == _tags_apart(library)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.text(max_size=20), min_size=1, max_size=4))
def test_any_table_text_is_written_as_the_library_writes_it(app, cells):
    params = {"caption": cells[0], "head": [{"text": c} for c in cells], "rows": [[{"text": c} for c in cells]]}
    library, ours = _both(app, params, TABLE_MACRO, TABLE_OURS)
    assert _tags_apart(ours) == _tags_apart(library)


def test_no_template_uses_the_library_macros_written_here():
    """One of each: a template importing the macro would pay its cost again."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    using = [str(path.relative_to(templates)) for path in templates.rglob("*.html")
             if any(f"components/{name}/macro.html" in path.read_text() for name in ("summary-list", "table", "tag"))]
    assert using == []
