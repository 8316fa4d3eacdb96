"""Three GOV.UK components written in Python for templates: the summary list (and summary card) as
`portalSummaryList`, the table as `portalTable` and the tag as `portalTag`.

Each takes the same parameters as govuk-frontend-jinja's macro (`govukSummaryList`, `govukTable`,
`govukTag`) and writes the same markup (tests/foundation/test_govuk_components.py renders both,
for every shape of parameters the component documents and for any text, and compares them). Why
not the macros: a summary list of a dozen rows cost about 1 ms of CPU, a table of three rows 0.3
ms and a tag about 40 µs (each imports and calls a macro for its attributes, and trims and indents
every value): a tenth of a pupil's page, and a chronology of 20 entries has 20 tags or more. These
cost a few hundredths of that. The other components are used once or twice a page, where the
macros' cost does not show.

Values are written as the templates write theirs: through the app's finalize
(`templating.shown_plainly`, which removes characters that reorder or hide text), `text` escaped,
`html` as given. The macros also indent multi-line `html` to line up with their own markup; here
it is left as it came (the same page to a browser, as the tests check).
"""

from __future__ import annotations

from typing import Any, Callable

from markupsafe import Markup, escape


def _value(part: Any, finalize: Callable[[Any], Any]) -> Markup:
    """`{{ part.html | safe | trim if part.html else part.text }}`, as the macro writes it."""
    if not isinstance(part, dict):
        return Markup("")
    html = part.get("html")
    if html:
        return Markup(finalize(Markup(str(html).strip())))
    if "text" not in part:
        return Markup("")  # Jinja writes nothing for a missing key, and "None" for None
    return escape(finalize(part["text"]))


def _written(part: dict, key: str, finalize) -> Markup:
    """`{{ part.key }}`: nothing for a missing key."""
    return escape(finalize(part[key])) if key in part else Markup("")


def _classes(base: str, *extra: Any) -> str:
    return "".join([base, *(f" {escape(e)}" for e in extra if e)])


def _attributes(attributes: Any) -> str:
    """govuk-frontend-jinja's govukAttributes: a string as it is, or name/value pairs."""
    if not attributes:
        return ""
    if isinstance(attributes, str):
        return attributes
    out = []
    for name, value in attributes.items():
        if isinstance(value, dict):
            options = value
        else:
            options = {"value": str(value).lower() if isinstance(value, bool) else value, "optional": False}
        given = options.get("value")
        if options.get("optional") is True and given is True:
            out.append(f" {escape(name)}")
        elif options.get("optional") is not True or (given is not None and given is not False):
            out.append(f' {escape(name)}="{escape(given)}"')
    return "".join(out)


def _items(actions: Any) -> list:
    return (actions.get("items") or []) if isinstance(actions, dict) else []


def _action_link(action: dict, card_title: Any, finalize) -> str:
    hidden = ""
    if action.get("visuallyHiddenText") or card_title:
        inside = ""
        if action.get("visuallyHiddenText"):
            inside += f" {_written(action, 'visuallyHiddenText', finalize)}"
        if card_title:
            inside += f" ({_value(card_title, finalize)})"
        hidden = f'<span class="govuk-visually-hidden">{inside}</span>'
    return (f'<a class="{_classes("govuk-link", action.get("classes"))}" href="{_written(action, "href", finalize)}"'
            f'{_attributes(action.get("attributes"))}>{_value(action, finalize)}{hidden}</a>')


def summary_list(params: dict, finalize: Callable[[Any], Any] = lambda value: value) -> Markup:
    rows = [row for row in (params.get("rows") or []) if row]
    any_row_has_actions = any(_items(row.get("actions")) for row in rows)
    card = params.get("card")
    card_title = card.get("title") if isinstance(card, dict) else None
    out = [f'<dl class="{_classes("govuk-summary-list", params.get("classes"))}"{_attributes(params.get("attributes"))}>']
    for row in rows:
        actions = row.get("actions")
        items = _items(actions)
        no_actions = "govuk-summary-list__row--no-actions" if any_row_has_actions and not items else None
        key, value = row.get("key") or {}, row.get("value") or {}
        out.append(f'<div class="{_classes("govuk-summary-list__row", no_actions, row.get("classes"))}">'
                   f'<dt class="{_classes("govuk-summary-list__key", key.get("classes"))}">{_value(key, finalize)}</dt>'
                   f'<dd class="{_classes("govuk-summary-list__value", value.get("classes"))}">{_value(value, finalize)}</dd>')
        if items:
            out.append(f'<dd class="{_classes("govuk-summary-list__actions", actions.get("classes"))}">')
            if len(items) == 1:
                out.append(_action_link(items[0], card_title, finalize))
            else:
                out.append('<ul class="govuk-summary-list__actions-list">')
                out.extend(f'<li class="govuk-summary-list__actions-list-item">{_action_link(a, card_title, finalize)}</li>'
                           for a in items)
                out.append("</ul>")
            out.append("</dd>")
        out.append("</div>")
    out.append("</dl>")
    summary = "".join(out)
    if not card:
        return Markup(summary)
    return Markup(_card(card, summary, finalize))


def _card(card: dict, summary: str, finalize) -> str:
    title = card.get("title")
    out = [f'<div class="{_classes("govuk-summary-card", card.get("classes"))}"{_attributes(card.get("attributes"))}>'
           '<div class="govuk-summary-card__title-wrapper">']
    if title:
        level = (title.get("headingLevel") if isinstance(title, dict) else None) or 2
        out.append(f'<h{level} class="{_classes("govuk-summary-card__title", title.get("classes"))}">'
                   f'{_value(title, finalize)}</h{level}>')
    actions = card.get("actions")
    items = _items(actions)
    if items:
        if len(items) == 1:
            out.append(f'<div class="{_classes("govuk-summary-card__actions", actions.get("classes"))}">'
                       f'{_action_link(items[0], title, finalize)}</div>')
        else:
            out.append(f'<ul class="{_classes("govuk-summary-card__actions", actions.get("classes"))}">')
            out.extend(f'<li class="govuk-summary-card__action">{_action_link(a, title, finalize)}</li>' for a in items)
            out.append("</ul>")
    out.append(f'</div><div class="govuk-summary-card__content">{summary}</div></div>')
    return "".join(out)


def tag(params: dict, finalize: Callable[[Any], Any] = lambda value: value) -> Markup:
    return Markup(f'<strong class="{_classes("govuk-tag", params.get("classes"))}"{_attributes(params.get("attributes"))}>'
                  f'{_value(params, finalize)}</strong>')


def _span(cell: dict) -> str:
    out = ""
    if cell.get("colspan"):
        out += f' colspan="{escape(cell["colspan"])}"'
    if cell.get("rowspan"):
        out += f' rowspan="{escape(cell["rowspan"])}"'
    return out + _attributes(cell.get("attributes"))


def table(params: dict, finalize: Callable[[Any], Any] = lambda value: value) -> Markup:
    out = [f'<table class="{_classes("govuk-table", params.get("classes"))}"{_attributes(params.get("attributes"))}>']
    if params.get("caption"):
        out.append(f'<caption class="{_classes("govuk-table__caption", params.get("captionClasses"))}">'
                   f'{_written(params, "caption", finalize)}</caption>')
    if params.get("head"):
        out.append('<thead class="govuk-table__head"><tr class="govuk-table__row">')
        for item in params["head"]:
            format_ = f"govuk-table__header--{escape(item['format'])}" if item.get("format") else None
            out.append(f'<th scope="col" class="{_classes("govuk-table__header", format_, item.get("classes"))}"'
                       f'{_span(item)}>{_value(item, finalize)}</th>')
        out.append("</tr></thead>")
    out.append('<tbody class="govuk-table__body">')
    header_first = params.get("firstCellIsHeader")
    for row in params.get("rows") or []:
        if not row:
            continue
        out.append('<tr class="govuk-table__row">')
        for index, cell in enumerate(row):
            if index == 0 and header_first:
                out.append(f'<th scope="row" class="{_classes("govuk-table__header", cell.get("classes"))}"'
                           f'{_span(cell)}>{_value(cell, finalize)}</th>')
            else:
                format_ = f"govuk-table__cell--{escape(cell['format'])}" if cell.get("format") else None
                out.append(f'<td class="{_classes("govuk-table__cell", format_, cell.get("classes"))}"'
                           f'{_span(cell)}>{_value(cell, finalize)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))
