"""Each local authority's children's services duty line (its "front door" or MASH).

Shown, with 999, when a school says a child is at immediate risk. Kept here, by LA code, rather
than as an LA setting: the number changes rarely, and a wrong number must be fixed by a reviewed
code change, not by a form. The demo councils' numbers are in Ofcom's range reserved for drama
(01632 960000 to 960999), so nobody real is ever rung from a demonstration.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DutyLine:
    name: str
    phone: str
    out_of_hours: str


DUTY_LINES: dict[str, DutyLine] = {
    "938": DutyLine("Northshire Children’s Services front door", "01632 960 938", "01632 960 939"),
    "939": DutyLine("Southmoor Multi-Agency Safeguarding Hub", "01632 960 440", "01632 960 441"),
}


def duty_line_for(la_code: str | None) -> DutyLine | None:
    """The LA's duty line, or None when none is recorded (the page then says to phone 999 or the
    council's children's services, and never shows a number that might be wrong)."""
    return DUTY_LINES.get(la_code or "")
