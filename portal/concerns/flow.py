"""The order of the concern flow's steps, and turning a draft into checked answers.

A simple concern is five short pages (pupil, when and where, categories, what happened, urgency)
and check your answers. The other pupils, body map and attachments pages appear only when the
user asks for them on the urgency page, so the quick path stays quick.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from portal.concerns import drafts, forms, options
from portal.concerns.models import ConcernDraft
from portal.db import db
from portal.files.models import StoredFile
from portal.policy import can
from portal.pupils.models import Pupil

BASE_STEPS = ("pupil", "when", "categories", "what", "more")
OPTIONAL_STEPS = ("others", "body_map", "attachments")
CHECK = "check"
SEARCH_LIMIT = 20
UPN_SHAPE = re.compile(r"^[A-Za-z]\d{11}[A-Za-z0-9]$")


def steps_for(fields: dict) -> list[str]:
    chosen = set(fields.get("extras") or [])
    return list(BASE_STEPS) + [step for step in OPTIONAL_STEPS if step in chosen]


def next_step(step: str, fields: dict) -> str:
    steps = steps_for(fields)
    if step not in steps:
        return CHECK
    index = steps.index(step)
    return steps[index + 1] if index + 1 < len(steps) else CHECK


def previous_step(step: str, fields: dict) -> str | None:
    steps = steps_for(fields) + [CHECK]
    if step not in steps:
        return None
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


# --- pupils -----------------------------------------------------------------------------------


def pupil_for(user, value) -> Pupil | None:
    """A pupil of the user's school that they may pick, from a submitted id (else None)."""
    try:
        pupil_id = uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or not can(user, "pupils:pick", pupil):
        return None
    return pupil


def search_pupils(user, query: str) -> tuple[list[Pupil], bool]:
    """The user's school's pupils matching a name fragment or a UPN (and whether there were more)."""
    from portal.pupils import service as pupils

    query = (query or "").strip()
    school = user.school
    if not query or school is None:
        return [], False
    compact = re.sub(r"\s+", "", query)
    if UPN_SHAPE.match(compact):
        found = pupils.find_by_identifiers(school, upn=compact.upper())
    else:
        found = pupils.school_roll(school, text=query)
    return found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT


# --- checking a whole draft -------------------------------------------------------------------


@dataclass
class Answers:
    pupil: Pupil
    occurred_at: datetime
    urgent: bool
    content: dict
    others: list[tuple[Pupil, str]] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)


class Incomplete(Exception):
    """The draft cannot be submitted yet: `step` is the first page that needs attention."""

    def __init__(self, step: str):
        super().__init__(step)
        self.step = step


def other_pupils(user, draft: ConcernDraft) -> list[tuple[Pupil, str]]:
    """The other pupils added so far, each with their role (dropping any no longer allowed)."""
    result = []
    for item in drafts.data(draft)["others"]:
        pupil = pupil_for(user, item.get("pupil_id"))
        if pupil is not None and item.get("role") in options.ROLE_LABELS:
            result.append((pupil, item["role"]))
    return result


def draft_files(user, draft: ConcernDraft) -> list[StoredFile]:
    ids = drafts.file_ids(draft)
    if not ids:
        return []
    files = db.session.execute(
        select(StoredFile).where(StoredFile.id.in_(ids), StoredFile.uploaded_by_id == user.id)
    ).scalars()
    by_id = {f.id: f for f in files}
    return [by_id[i] for i in ids if i in by_id]


def content_of(when: forms.WhenWhereForm, categories: forms.CategoriesForm, what: forms.WhatForm,
               body_map: list[dict]) -> tuple[datetime, dict]:
    occurred_at = when.occurred_at().astimezone(timezone.utc)
    chosen = [key for key, _label in options.CATEGORIES if key in (categories.categories.data or [])]
    content = {
        "occurred_at": occurred_at.isoformat(),
        "location": when.location.data,
        "categories": chosen,
        "other_category": categories.other_category.data if "other" in chosen else None,
        "account": what.account.data,
        "action_taken": what.action_taken.data,
        "people_informed": what.people_informed.data or None,
        "body_map": body_map,
    }
    return occurred_at, content


def answers(user, draft: ConcernDraft) -> Answers:
    """Every step checked again over the draft; raises Incomplete naming the first bad step."""
    fields = drafts.fields(draft)
    pupil = pupil_for(user, fields.get("pupil_id"))
    if pupil is None:
        raise Incomplete("pupil")
    checked = {}
    for step in ("when", "categories", "what", "more"):
        form = forms.form_over(forms.STEP_FORMS[step], fields)
        if not form.validate():
            raise Incomplete(step)
        checked[step] = form
    chosen = steps_for(fields)
    body_map: list[dict] = []
    if "body_map" in chosen:
        form = forms.form_over(forms.BodyMapForm, fields)
        if not form.validate():
            raise Incomplete("body_map")
        body_map = form.marks()
    others = other_pupils(user, draft) if "others" in chosen else []
    others = [(p, role) for p, role in others if p.id != pupil.id]
    files = draft_files(user, draft) if "attachments" in chosen else []
    occurred_at, content = content_of(checked["when"], checked["categories"], checked["what"], body_map)
    return Answers(
        pupil=pupil,
        occurred_at=occurred_at,
        urgent=checked["more"].urgent.data == "yes",
        content=content,
        others=others,
        files=files,
    )


def fields_from_content(content: dict) -> dict:
    """A version's content as form fields, to start a correction from what the concern says now."""
    from portal.templating import UK

    when = datetime.fromisoformat(content["occurred_at"]).astimezone(UK)
    result = {
        "occurred_date": [str(when.day), str(when.month), str(when.year)],
        "occurred_time": f"{when:%H:%M}",
        "location": content.get("location") or "",
        "categories": list(content.get("categories") or []),
        "other_category": content.get("other_category") or "",
        "account": content.get("account") or "",
        "action_taken": content.get("action_taken") or "",
        "people_informed": content.get("people_informed") or "",
        "body_regions": [mark["region"] for mark in content.get("body_map") or []],
        "change_reason": "",
    }
    for mark in content.get("body_map") or []:
        result[f"note_{mark['region']}"] = mark.get("note") or ""
    return result
