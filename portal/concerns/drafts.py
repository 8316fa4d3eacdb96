"""Drafts: what a user has typed into the concern flow (or a correction), kept server-side and
encrypted, so that nothing typed is lost to an expired session, a lost connection or a closed tab.

A draft holds raw form fields exactly as typed (a dict of field name -> text or list of texts),
not validated answers: every step saves what was posted, valid or not, and autosave saves as the
user types. Check your answers validates everything again before a concern is made.

    draft = drafts.draft_for(user)                 # the user's new-concern draft (made if none)
    drafts.save_step(draft, "what", request.form)  # a step's fields, replaced as posted
    drafts.fields(draft)                           # {"account": "...", ...}
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any, Mapping

from sqlalchemy import select

from portal.concerns import forms
from portal.concerns.models import Concern, ConcernDraft
from portal.db import utcnow
from portal.db import db

CORRECTION_STEP = "correct"
# Fields that hold several values (checkboxes, the three boxes of a date).
LIST_FIELDS = frozenset({"categories", "extras", "body_regions", "occurred_date"})
MAX_LIST_ITEMS = 40
MAX_VALUE_CHARS = 25000


def _step_fields() -> dict[str, frozenset[str]]:
    steps = {name: frozenset(forms.field_names(cls) - {"csrf_token"}) for name, cls in forms.STEP_FORMS.items()}
    steps.pop("attachments")  # files are kept as stored files, not as fields
    steps[CORRECTION_STEP] = frozenset(
        (forms.field_names(forms.CorrectionForm) | forms.field_names(forms.BodyMapForm)) - {"csrf_token"}
    )
    return steps


STEP_FIELDS = _step_fields()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def draft_for(user, *, concern: Concern | None = None, create: bool = True) -> ConcernDraft | None:
    """The user's latest draft of a new concern (or of a correction to `concern`)."""
    query = select(ConcernDraft).where(ConcernDraft.user_id == user.id, ConcernDraft.school_id == user.school_id)
    if concern is None:
        query = query.where(ConcernDraft.concern_id.is_(None))
    else:
        query = query.where(ConcernDraft.concern_id == concern.id)
    draft = db.session.execute(query.order_by(ConcernDraft.updated_at.desc()).limit(1)).scalar_one_or_none()
    if draft is None and create:
        draft = _new_draft(user.id, user.school_id, concern.id if concern is not None else None)
    return draft


def _new_draft(user_id: uuid.UUID, school_id: uuid.UUID, concern_id: uuid.UUID | None) -> ConcernDraft:
    draft = ConcernDraft(user_id=user_id, school_id=school_id, concern_id=concern_id)
    draft.data = {"token": new_token(), "fields": {}, "others": []}
    draft.stored_file_ids = []
    db.session.add(draft)
    db.session.flush()
    return draft


def data(draft: ConcernDraft) -> dict[str, Any]:
    value = draft.data or {}
    value.setdefault("fields", {})
    value.setdefault("others", [])
    value.setdefault("token", new_token())
    return value


def fields(draft: ConcernDraft) -> dict[str, Any]:
    return data(draft)["fields"]


def token(draft: ConcernDraft) -> str:
    return data(draft)["token"]


def _clean(name: str, values: list) -> Any:
    texts = [str(v)[:MAX_VALUE_CHARS] for v in values if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    if name in LIST_FIELDS:
        return texts[:MAX_LIST_ITEMS]
    return texts[0] if texts else ""


def posted_fields(step: str, posted: Mapping, *, only_sent: bool = False) -> dict[str, Any]:
    """The step's own fields out of a form post (a MultiDict) or an autosave (a dict of lists).

    A form post replaces all the step's fields (an unticked checkbox is sent as nothing);
    `only_sent` (autosave) keeps the fields it did not send as they were.
    """
    allowed = STEP_FIELDS.get(step)
    if allowed is None:
        return {}
    result = {}
    for name in allowed:
        if only_sent and name not in posted:
            continue
        if hasattr(posted, "getlist"):
            values = posted.getlist(name)
        else:
            raw = posted.get(name)
            values = raw if isinstance(raw, list) else ([] if raw is None else [raw])
        result[name] = _clean(name, values)
    return result


def save_step(draft: ConcernDraft, step: str, posted: Mapping, *, only_sent: bool = False) -> None:
    """Replace the step's fields with what was posted (see posted_fields)."""
    update_fields(draft, posted_fields(step, posted, only_sent=only_sent))


def update_fields(draft: ConcernDraft, values: dict[str, Any]) -> None:
    current = data(draft)
    current["fields"].update(values)
    draft.data = current  # JSON fields are copies: assign to save
    draft.updated_at = utcnow()


def set_value(draft: ConcernDraft, key: str, value: Any) -> None:
    current = data(draft)
    current[key] = value
    draft.data = current
    draft.updated_at = utcnow()


def pop_value(draft: ConcernDraft, key: str, default: Any = None) -> Any:
    current = data(draft)
    value = current.pop(key, default)
    draft.data = current
    return value


def park(user, step: str, concern: Concern | None, posted: Mapping) -> None:
    """Keep a form posted after the session expired, in that user's draft, for after sign-in."""
    if step == "submit":
        return
    draft = draft_for(user, concern=concern)
    save_step(draft, step, posted, only_sent=not hasattr(posted, "getlist"))
    set_value(draft, "kept_after_sign_out", True)


def file_ids(draft: ConcernDraft) -> list[uuid.UUID]:
    return [uuid.UUID(value) for value in draft.stored_file_ids or []]


def add_file(draft: ConcernDraft, stored_file_id: uuid.UUID) -> None:
    draft.stored_file_ids = [*(draft.stored_file_ids or []), str(stored_file_id)]


def remove_file(draft: ConcernDraft, stored_file_id: uuid.UUID) -> bool:
    current = draft.stored_file_ids or []
    if str(stored_file_id) not in current:
        return False
    draft.stored_file_ids = [value for value in current if value != str(stored_file_id)]
    return True
