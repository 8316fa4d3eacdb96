"""Knowing when a school's pupils have changed, so that the roll's kept names
(portal/pupils/roll_names.py) are never used once a change to them is committed.

Every change to a pupil (added, edited, taken off or put back on the roll, moved, destroyed) adds
one to its school's `School.roll_version`, in the same transaction, just before the commit
(portal/change_versions.py, as the triage queue's version). The signed-in user's school comes with
the session check on every page, `roll_version` with it, so a page checks its copy's freshness
without a statement of its own. Bulk `update(Pupil)` / `delete(Pupil)` statements (or on the
`pupil` table) must name the school or schools whose pupils they change,
`.execution_options(roll_of=school_id)`, or they raise. Re-encrypting values under a new key
(`flask keys rotate`) changes no plaintext and runs on a connection of its own, outside the
session: it moves no version and needs none.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from portal.change_versions import ChangeVersion
from portal.orgs.models import School
from portal.pupils.models import Pupil


class UndeclaredRollChange(RuntimeError):
    """A bulk statement on pupils did not say whose roll it changes."""


ROLL_VERSION = ChangeVersion(owned=Pupil, owner_attribute="school_id", owner_table=School.__table__,
                             version_column="roll_version", option="roll_of", error=UndeclaredRollChange)


def changed_in(session: Session, school_id: uuid.UUID) -> bool:
    """Whether this transaction has changed the school's pupils (flushed, not yet committed)."""
    return ROLL_VERSION.changed_in(session, school_id)
