"""A school's pupils in the roll's order, with the text a name search matches: decrypted from the
school's name columns only, and kept a short while in the web process, keyed on the school's
`roll_version`.

Why a copy is kept: every name is encrypted, so ordering a roll or finding "smi" in it means
opening the names of every pupil of the school (4,000 to 6,000 values at a secondary school).
Doing that for every page of the roll and every search made both grow with the school (issue 22).
The copy is exact, not merely recent: every committed change to a school's pupils moves its
`roll_version` (portal/pupils/roll_changes.py), which arrives with the signed-in user's school in
the session check, so a changed roll is read afresh on the very next page; and a transaction that
has changed the school's pupils itself reads them afresh, since no copy holds what it has not
committed.

What is kept, and for how long (docs/crypto.md, "The roll's names in memory"): per school, its
pupils' ids in order, whether each is on the roll, and the casefolded names a search matches; no
other field. Only in this process's memory (never Redis, a file or the database, so nothing is
revealed outside the process that already holds the field keys), for at most
`PORTAL_ROLL_NAMES_SECONDS` (default 120: a DSL paging through the roll or refining a search) and
for at most `PORTAL_ROLL_NAMES_SCHOOLS` schools (default 20, least recently used dropped first).
`PORTAL_ROLL_NAMES_SECONDS = 0` keeps nothing. Who may see a roll is decided by the views and
policy before this module is asked; a copy is never shared across schools.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Text, cast, select

from portal.crypto import cipher
from portal.crypto.fields import keyring
from portal.crypto.normalise import normalise_text
from portal.db import db
from portal.orgs.models import School
from portal.pupils import roll_changes
from portal.pupils.models import Pupil, display_name

# The name columns read: the only ones ever decrypted across a school's roll.
NAME_FIELDS = ("legal_forename", "preferred_name", "legal_surname")


@dataclass(frozen=True)
class RollNames:
    """One school's pupils (on and off the roll) sorted by legal surname, then legal forename."""

    ids: tuple[uuid.UUID, ...]
    on_roll: tuple[bool, ...]
    texts: tuple[str, ...]  # what a name search matches: the normalised names, in the same order

    def roll_ids(self) -> list[uuid.UUID]:
        return [pupil_id for pupil_id, on in zip(self.ids, self.on_roll) if on]

    def matching(self, text: str, *, on_roll_only: bool) -> list[uuid.UUID]:
        wanted = normalise_text(text)
        return [pupil_id for pupil_id, on, names in zip(self.ids, self.on_roll, self.texts)
                if wanted in names and (on or not on_roll_only)]


def open_names(*where) -> tuple[tuple, tuple, list, list, list]:
    """The pupils matching `where` as columns: (ids, on roll, legal forenames, preferred names,
    legal surnames). Only the name columns are fetched (a Core statement: no ORM objects), each
    opened in one pass through `cipher.decrypt_column`, which resolves the key and the associated
    data's fixed parts once per column rather than once per value. The same checks as any read:
    a value copied from another row or column fails."""
    fields = [getattr(Pupil, name) for name in NAME_FIELDS]
    table = Pupil.__table__
    ring = keyring()
    db.session.flush()  # as the ORM would before a query: pupils added in this unit of work count
    connection = db.session.connection()
    # PostgreSQL writes a uuid as Python's str() does (the text the ciphertexts are bound to), so
    # it is asked for that too, sparing 2,000 str() calls; SQLite stores it as bare hex.
    as_text = connection.dialect.name == "postgresql"
    id_columns = (table.c.id, cast(table.c.id, Text)) if as_text else (table.c.id,)
    rows = connection.execute(
        select(*id_columns, table.c.on_roll, *(table.c[f.name] for f in fields)).where(*where)
    ).all()
    if not rows:
        return (), (), [], [], []
    ids, *columns = zip(*rows)  # column by column
    if as_text:
        texts, *columns = columns
        row_ids = [text.encode() for text in texts]
    else:
        row_ids = [str(pupil_id).encode() for pupil_id in ids]
    on_roll, *stored_columns = columns
    forenames, preferred, surnames = (
        cipher.decrypt_column(ring, connection, row_ids, stored, table=table.name, column=f.name, loads=f.codec.loads)
        for f, stored in zip(fields, stored_columns))
    return ids, on_roll, forenames, preferred, surnames


def display_names(pupil_ids, school_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The names staff use for these pupils of `school_id` (never another school's records), as
    `Pupil.display_name` gives them: for a page naming a few dozen children in a list (the
    updates inbox, the DSL's home), without loading every column of each."""
    if not pupil_ids:
        return {}
    table = Pupil.__table__
    ids, _, forenames, preferred, surnames = open_names(table.c.id.in_(list(pupil_ids)), table.c.school_id == school_id)
    return {pupil_id: display_name(forename, known_as, surname)
            for pupil_id, forename, known_as, surname in zip(ids, forenames, preferred, surnames)}


def _decrypt(school_id: uuid.UUID) -> RollNames:
    """The school's names in the roll's order (only the name columns: `open_names`)."""
    ids, on_roll, forenames, preferred, surnames = open_names(Pupil.__table__.c.school_id == school_id)
    if not ids:
        return RollNames((), (), ())
    # Ties broken by the id itself: UUIDs order as their text does (fixed-width hex).
    order = sorted(range(len(ids)), key=lambda i: (surnames[i].casefold(), forenames[i].casefold(), ids[i]))
    return RollNames(
        ids=tuple(ids[i] for i in order),
        on_roll=tuple(bool(on_roll[i]) for i in order),
        texts=tuple(normalise_text(" ".join(filter(None, (forenames[i], preferred[i], surnames[i])))) for i in order),
    )


class RollNamesCache:
    """Per process: school id -> (roll version, when read, RollNames), least recently used first."""

    def __init__(self, size: int):
        self._size = size
        self._entries: OrderedDict[uuid.UUID, tuple[int, float, RollNames]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, school_id: uuid.UUID, version: int, seconds: float) -> RollNames | None:
        with self._lock:
            entry = self._entries.get(school_id)
            if entry is None:
                return None
            kept_version, read_at, names = entry
            # A copy kept under a later version (read by a request that began after this one) is
            # newer, committed data: still good for this request.
            if kept_version < version or time.monotonic() - read_at > seconds:
                del self._entries[school_id]  # never kept past its time, even if not asked again
                return None
            self._entries.move_to_end(school_id)
            return names

    def put(self, school_id: uuid.UUID, version: int, names: RollNames) -> None:
        with self._lock:
            self._entries[school_id] = (version, time.monotonic(), names)
            self._entries.move_to_end(school_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def forget_expired(self, seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            for school_id in [k for k, (_, read_at, _) in self._entries.items() if now - read_at > seconds]:
                del self._entries[school_id]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _cache() -> RollNamesCache:
    cache = current_app.extensions.get("roll_names_cache")
    if cache is None:
        cache = current_app.extensions["roll_names_cache"] = RollNamesCache(
            current_app.config.get("PORTAL_ROLL_NAMES_SCHOOLS", 20))
    return cache


def roll_names(school: School) -> RollNames:
    """The school's pupils in the roll's order with their names' search text: the copy kept for
    the school's current roll version when there is one, else read and decrypted (and kept)."""
    seconds = current_app.config.get("PORTAL_ROLL_NAMES_SECONDS", 120)
    db.session.flush()  # as the ORM would before a query: so that this unit of work's changes are seen
    if seconds <= 0 or roll_changes.changed_in(db.session(), school.id):
        return _decrypt(school.id)
    cache = _cache()
    cache.forget_expired(seconds)
    # The version comes with the signed-in user's school, loaded by the session check; it is read
    # before the names, so a copy is never older than the version it is kept under.
    version = school.roll_version
    names = cache.get(school.id, version, seconds)
    if names is None:
        names = _decrypt(school.id)
        cache.put(school.id, version, names)
    return names
