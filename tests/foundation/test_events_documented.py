"""docs/architecture.md lists every event, who raises it and who hears it, in order: kept true
here (the failure message prints the table to paste)."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

from portal import events

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def event_types() -> list[type]:
    return [obj for name, obj in vars(events).items()
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == events.__name__]


def events_table() -> str:
    rows = ["| Event | Raised by | Heard by, in this order |", "|---|---|---|"]
    for event_type in event_types():
        raised_by = re.search(r"Raised by (\w+(?:\.\w+)*)", event_type.__doc__ or "")
        heard_by = "<br>".join(f"`{h.__module__}.{h.__name__}`" for h in events.subscribers_of(event_type))
        rows.append(f"| `{event_type.__name__}` | `{raised_by.group(1) if raised_by else '?'}` | {heard_by or 'nobody yet'} |")
    return "\n".join(rows)


def test_every_event_says_who_raises_it_and_has_a_subscriber(app):
    for event_type in event_types():
        assert re.search(r"Raised by [\w.]+", event_type.__doc__ or ""), event_type.__name__
        assert events.subscribers_of(event_type), f"{event_type.__name__} has no subscriber"


def test_the_architecture_doc_lists_the_events_and_their_subscribers(app):
    text = DOC.read_text()
    documented = text.split("<!-- events-table: generated from portal.events and portal.wiring; the test compares -->\n")[1]
    documented = documented.split("<!-- /events-table -->")[0].strip()
    expected = events_table()
    assert documented == expected, "paste this into docs/architecture.md:\n" + expected
