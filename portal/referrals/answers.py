"""The referral's answers as rows for GOV.UK summary lists (check your answers, the referral page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup, escape

from portal.referrals import sections
from portal.templating import uk_date


@dataclass
class Row:
    key: str
    value: Markup
    change: str | None = None  # the endpoint that changes it, when it can change


@dataclass
class SectionAnswers:
    section: sections.Section
    rows: list[Row] = field(default_factory=list)
    status: str | None = None
    # Household members come as a list of their own summary cards.
    cards: list[tuple[str, list[Row]]] = field(default_factory=list)


def _lines(value) -> Markup:
    if value in (None, "", []):
        return Markup('<span class="govuk-hint govuk-!-margin-0">Not given</span>')
    return Markup("<br>").join(escape(line) for line in str(value).splitlines())


def _date(value: str | None) -> str:
    return uk_date(date.fromisoformat(value)) if value else ""


def _rows(pairs) -> list[Row]:
    return [Row(key, _lines(value)) for key, value in pairs]


def section_answers(form: dict, concern_labels: list[str]) -> list[SectionAnswers]:
    out = []
    for section in sections.SECTIONS:
        answers = form.get(section.key) or {}
        result = SectionAnswers(section, status=sections.section_status(form, section.key))
        key = section.key
        if key == "risk":
            result.rows = _rows([("Is the child at immediate risk?", sections.label(answers.get("immediate_risk")))])
        elif key == "child":
            result.rows = _rows([
                ("First name", answers.get("legal_forename")),
                ("Last name", answers.get("legal_surname")),
                ("Preferred name", answers.get("preferred_name")),
                ("Date of birth", _date(answers.get("date_of_birth"))),
                ("Sex", answers.get("sex")),
                ("Gender", answers.get("gender")),
                ("UPN", answers.get("upn")),
                ("NHS number", answers.get("nhs_number")),
                ("Home address", answers.get("address")),
                ("Postcode", answers.get("postcode")),
                ("Ethnicity", answers.get("ethnicity")),
                ("First language", answers.get("first_language")),
                ("Special educational needs", answers.get("sen_status")),
                ("Year group", answers.get("year_group")),
            ])
        elif key == "household":
            for member in answers.get("members") or []:
                result.cards.append((member.get("name") or "", _rows([
                    ("Relationship to the child", member.get("relationship")),
                    ("Date of birth", _date(member.get("date_of_birth"))),
                    ("Age", member.get("age")),
                    ("Lives with the child", sections.label(member.get("lives_with_child"))),
                    ("Address", member.get("address") or ("Same as the child" if member.get("lives_with_child") == "yes" else "")),
                    ("Telephone", member.get("phone")),
                    ("Parental responsibility", sections.label(member.get("parental_responsibility"))),
                ])))
            if not result.cards:
                result.rows = _rows([("People", "")])
        elif key == "referrer":
            result.rows = _rows([
                ("Name", answers.get("name")),
                ("Role", answers.get("role")),
                ("Telephone", answers.get("phone")),
                ("Email", answers.get("email")),
            ])
        elif key == "reasons":
            result.rows = _rows([
                ("Why the child is being referred", answers.get("summary")),
                ("What the school is worried about", "\n".join(
                    sections.label(c, sections.CATEGORY_LABELS) if c != "other" else f"Other: {answers.get('other_category') or ''}"
                    for c in answers.get("categories") or [])),
                ("What the school has done", answers.get("actions_taken")),
                ("Linked concerns", "\n".join(concern_labels)),
            ])
        elif key == "consent":
            reason = sections.label(answers.get("no_consent_reason"), sections.NO_CONSENT_LABELS)
            details = answers.get("no_consent_details")
            result.rows = _rows([
                ("Parents or carers aware", sections.label(answers.get("parents_aware"))),
                ("Consent given", sections.label(answers.get("consent_given"))),
                ("If not, why not", "\n".join(x for x in (reason, details) if x)),
            ])
        elif key == "voice":
            result.rows = _rows([
                ("What the child has said", answers.get("child_voice")),
                ("What the child would like to happen", answers.get("wishes")),
            ])
        elif key == "agencies":
            result.rows = _rows([
                ("Agencies involved", "\n".join(sections.label(c, sections.AGENCY_LABELS) for c in answers.get("involved") or [])),
                ("Names and contact details", answers.get("details")),
            ])
        elif key == "need":
            result.rows = _rows([
                ("Level of need", sections.label(answers.get("level"), sections.LEVEL_LABELS)),
                ("Why", answers.get("why")),
            ])
        for row in result.rows:
            row.change = section.endpoint
        out.append(result)
    return out
