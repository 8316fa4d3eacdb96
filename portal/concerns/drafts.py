"""Drafts: what a user has typed into the concern flow (or a correction), kept server-side and
encrypted, so that nothing typed is lost to an expired session, a lost connection or a closed tab.

A draft holds raw form fields exactly as typed (a dict of field name -> text or list of texts),
not validated answers: every step saves what was posted, valid or not, and autosave saves as the
user types. Check your answers validates everything again before a concern is made.

    draft = drafts.open_draft(user)                       # the user's new-concern draft (made if none)
    drafts.save_posted_step(draft, "what", request.form)  # a step's fields, replaced as posted
    drafts.fields(draft)                                  # {"account": "...", ...}

The functions that change a draft for a page (`open_draft`, `save_posted_step`, `autosave`,
`park`, ...) are units of work: each commits what it changed. The small helpers under them
(`draft_for`, `save_step`, `set_value`, ...) only change the draft in the session, for those and
for portal.concerns.service to compose.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select

from portal.concerns import options
from portal.concerns.models import Concern, ConcernDraft
from portal.db import db, utcnow
from portal.files import FileRefused, clean_name, delete_stored, store_upload
from portal.files.models import StoredFile
from portal.templating import UK
from portal.transaction import transactional

CORRECTION_STEP = "correct"
# Fields that hold several values (checkboxes, the three boxes of a date).
LIST_FIELDS = frozenset({"categories", "extras", "body_regions", "occurred_date"})
MAX_LIST_ITEMS = 40
MAX_VALUE_CHARS = 25000

# The fields a draft keeps for each page: the names of that page's form fields (the forms in
# portal.concerns.forms must have exactly these: tests/concerns/test_drafts.py checks). Files are
# kept as stored files, not as fields, so the attachments page has none.
_WHEN = frozenset({"location", "occurred_date", "occurred_time"})
_CATEGORIES = frozenset({"categories", "other_category"})
_WHAT = frozenset({"account", "action_taken", "people_informed"})
_BODY_MAP = frozenset({"body_regions"} | {f"note_{key}" for key, _side, _label in options.BODY_REGIONS})
STEP_FIELDS: dict[str, frozenset[str]] = {
    "pupil": frozenset({"pupil_id", "query"}),
    "when": _WHEN,
    "categories": _CATEGORIES,
    "what": _WHAT,
    "more": frozenset({"extras", "urgent"}),
    "others": frozenset({"other_pupil_id", "other_query", "other_role"}),
    "body_map": _BODY_MAP,
    CORRECTION_STEP: _WHEN | _CATEGORIES | _WHAT | _BODY_MAP | {"change_reason"},
}


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


@transactional
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


# --- units of work for the flow's pages ---------------------------------------------------------


@transactional
def open_draft(user) -> ConcernDraft:
    """The user's draft of a new concern, made (and kept) if they have none."""
    return draft_for(user)


@transactional
def discard(user) -> None:
    """Start again: the user's draft of a new concern is removed."""
    draft = draft_for(user, create=False)
    if draft is not None:
        db.session.delete(draft)


@transactional
def take_kept_flag(draft: ConcernDraft) -> bool:
    """Whether the draft holds a post kept after the session timed out (the page says so once)."""
    return bool(pop_value(draft, "kept_after_sign_out", False))


@transactional
def save_posted_step(draft: ConcernDraft, step: str, posted: Mapping) -> None:
    """A page's fields as posted (valid or not: what was typed is never lost)."""
    save_step(draft, step, posted)


@transactional
def save_pupil_step(draft: ConcernDraft, posted: Mapping, chosen_id: uuid.UUID | None) -> None:
    """The pupil page as posted; a chosen pupil is no longer one of the other pupils."""
    save_step(draft, "pupil", posted)
    if chosen_id is not None:
        set_value(draft, "others", [o for o in data(draft)["others"] if o.get("pupil_id") != str(chosen_id)])


@transactional
def save_others_step(draft: ConcernDraft, posted: Mapping, *, others: list[dict] | None = None,
                     clear_search: bool = False) -> None:
    """The other-pupils page as posted; `others` (if given) replaces the list of other pupils and
    their roles, and `clear_search` empties the search once a pupil was added."""
    save_step(draft, "others", posted)
    if others is not None:
        set_value(draft, "others", others)
    if clear_search:
        update_fields(draft, {"other_query": "", "other_pupil_id": "", "other_role": ""})


@transactional
def attach_files(user, draft: ConcernDraft, uploads) -> list[str]:
    """Keep each upload (encrypted) with the draft. Returns a message for each refused one,
    naming the file as uploaded (cleaned) and never its content."""
    refusals = []
    for upload in uploads:
        try:
            stored = store_upload(upload, uploaded_by=user)
        except FileRefused as refusal:
            refusals.append(f"{clean_name(upload.filename)}: {refusal.message}")
            continue
        db.session.flush()
        add_file(draft, stored.id)
    return refusals


@transactional
def remove_draft_file(user, draft: ConcernDraft, value: str) -> None:
    """Take a file off the draft, and delete it if this user uploaded it."""
    try:
        file_id = uuid.UUID(value)
    except ValueError:
        return
    if remove_file(draft, file_id):
        stored = db.session.get(StoredFile, file_id)
        if stored is not None and stored.uploaded_by_id == user.id:
            delete_stored(stored)


def fields_from_content(content: dict) -> dict:
    """A version's content as form fields, to start a correction from what the concern says now."""
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


def fill_from(draft: ConcernDraft, concern: Concern) -> None:
    """A correction's draft starts from what the concern says now."""
    if not fields(draft):
        update_fields(draft, fields_from_content(concern.latest.content))


@transactional
def open_correction(user, concern: Concern) -> ConcernDraft:
    """The user's draft of a correction to `concern`, made from what it says now if none."""
    draft = draft_for(user, concern=concern)
    fill_from(draft, concern)
    return draft


@transactional
def autosave(user, step: str, values: dict, *, concern: Concern | None = None) -> None:
    """What the user is typing (only the fields sent), into their draft of a new concern or of a
    correction to `concern`."""
    draft = draft_for(user, concern=concern)
    if concern is not None:
        fill_from(draft, concern)
    save_step(draft, step, values, only_sent=True)
