"""The order of the concern flow's steps, the pupils a user may pick, and the checked answers a
concern is made from (`Answers`; portal.concerns.checking makes them from a draft's fields).

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

from portal.concerns import drafts, options
from portal.concerns.models import ConcernDraft
from portal.db import db
from portal.files.models import StoredFile
from portal.policy import can
from portal.pupils import service as pupils
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
