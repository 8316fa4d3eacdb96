"""Test factories: plain functions that make valid records with invented details."""

from __future__ import annotations

import itertools

from portal.auth.models import User
from portal.auth.roles import Role
from portal.db import db
from portal.orgs.models import LocalAuthority, School

_counter = itertools.count(1)


def make_la(code: str | None = None, name: str | None = None) -> LocalAuthority:
    n = next(_counter)
    la = LocalAuthority(code=code or f"{800 + n % 100:03d}", name=name or f"Testshire {n}")
    db.session.add(la)
    db.session.commit()
    return la


def make_school(la: LocalAuthority | None = None, **fields) -> School:
    la = la or make_la()
    n = next(_counter)
    number = fields.pop("establishment_number", f"{2000 + n:04d}")
    school = School(
        urn=fields.pop("urn", f"{100000 + n:06d}"),
        local_authority_id=la.id,
        establishment_number=number,
        laestab=f"{la.code}{number}",
        name=fields.pop("name", f"Test School {n}"),
        phase=fields.pop("phase", "Primary"),
        **fields,
    )
    db.session.add(school)
    db.session.commit()
    return school


def make_user(role: Role | str, organisation: School | LocalAuthority | None = None, **fields) -> User:
    role = Role(role)
    n = next(_counter)
    if organisation is None:
        organisation = make_school() if role.is_school_role else make_la()
    user = User(
        email=fields.pop("email", f"user{n}@example.test"),
        display_name=fields.pop("display_name", f"Test User {n}"),
        role=role.value,
        school_id=organisation.id if isinstance(organisation, School) else None,
        local_authority_id=organisation.id if isinstance(organisation, LocalAuthority) else None,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user
