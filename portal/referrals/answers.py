"""The referral's answers as rows for GOV.UK summary lists (check your answers, the referral page,
the council's triage page), as the form definition says each answer is shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from portal.referrals import form_definition
from portal.referrals.form_definition import Section


@dataclass
class Row:
    key: str
    value: Markup
    change: str | None = None  # the endpoint that changes it, when it can change


@dataclass
class SectionAnswers:
    section: Section
    rows: list[Row] = field(default_factory=list)
    status: str | None = None
    # A list section (household members) comes as summary cards, one per person.
    cards: list[tuple[str, list[Row]]] = field(default_factory=list)


def _lines(value) -> Markup:
    if value in (None, "", []):
        return Markup('<span class="govuk-hint govuk-!-margin-0">Not given</span>')
    return Markup("<br>").join(escape(line) for line in str(value).splitlines())


def _rows(fields, answers: dict) -> list[Row]:
    return [Row(f.answer, _lines(f.shown(answers))) for f in fields if f.answer is not None]


def section_answers(form: dict, concern_labels: list[str], sections=None) -> list[SectionAnswers]:
    """Every section's rows, for a school's referral or (`sections`: AGENCY_SECTIONS) a partner
    agency's."""
    out = []
    for section in sections or form_definition.SECTIONS:
        answers = form.get(section.key) or {}
        result = SectionAnswers(section, status=form_definition.section_status(form, section.key))
        if section.list_of is not None:
            for item in answers.get(section.list_of) or []:
                result.cards.append((item.get("name") or "", _rows(section.fields, item)))
            if not result.cards:
                result.rows = [Row("People", _lines(""))]
        else:
            result.rows = _rows(section.fields, answers)
        if section.links_concerns:
            result.rows.append(Row("Linked concerns", _lines("\n".join(concern_labels))))
        for row in result.rows:
            row.change = section.endpoint
        out.append(result)
    return out
