"""Exact-match lookups through blind indexes.

The index narrows the table to a few candidates (by design several unrelated rows share each
index value); the candidates are then decrypted and compared after normalisation, so callers
only ever get true matches. During a key rotation, values may be indexed under the old or the
new index key, so the lookup asks for both tokens.
"""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.crypto.fields import BlindIndex, keyring, members
from portal.crypto.models import PURPOSE_INDEX
from portal.db import db


def _owner_of(index: BlindIndex, model: type | None) -> type:
    model = model or index.owner
    if not hasattr(model, "__table__"):
        raise TypeError("lookup() needs a mapped model: pass model=TheModel for an index on a mixin")
    return model


def lookup(index: BlindIndex, *values: Any, model: type | None = None, where: Iterable = (),
           session: Session | None = None, **named: Any) -> list:
    """Rows of `model` whose indexed fields equal `values` after normalisation.

    lookup(Pupil.surname_dob_index, "Smith", date(2015, 3, 1), where=[Pupil.school_id == school.id])
    Values are given in the index's field order, or by field name.
    """
    model = _owner_of(index, model)
    if not any(i is index for i in members(model)[1]):
        raise TypeError(f"{index!r} is not a blind index of {model.__name__}")
    if named:
        if values:
            raise TypeError("give the values either in order or by name, not both")
        missing = set(index.field_names) - set(named)
        unknown = set(named) - set(index.field_names)
        if missing or unknown:
            raise TypeError(f"lookup by {index.name} takes exactly: {', '.join(index.field_names)}")
        values = tuple(named[name] for name in index.field_names)
    if len(values) != len(index.fields):
        raise TypeError(f"lookup by {index.name} takes {len(index.fields)} value(s)")
    wanted = index.normalised(values)
    if wanted is None:
        raise ValueError("a blind-index lookup needs every value (None matches nothing)")

    if session is None:

        session = db.session
    connection = session.connection()
    table = model.__table__.name
    tokens = [index.token(key, table, wanted) for key in keyring().readable(PURPOSE_INDEX, connection)]
    if not tokens:
        return []  # no index key yet: nothing has ever been indexed
    candidates = session.execute(
        select(model).where(index.token_column(model).in_(tokens), *where)
    ).scalars().all()
    return [
        row for row in candidates
        if index.normalised([f.read(row, connection) for f in index.fields]) == wanted
    ]
