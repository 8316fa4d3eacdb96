"""A school with a DSL and a pupil, another school of the same LA, and the LA's own users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from portal.auth.roles import Role
from tests.factories import make_la, make_pupil, make_school, make_user


@dataclass
class World:
    la: object
    school: object
    other_school: object
    dsl: object
    deputy: object
    staff: object
    other_dsl: object
    triage: object
    la_admin: object
    pupil: object


@pytest.fixture
def world(app) -> World:
    la = make_la()
    school = make_school(la, name="Oakfield Primary School")
    other_school = make_school(la, name="Elmbridge Academy")
    pupil = make_pupil(
        school,
        forename="Amelia",
        surname="Hartley-Nkemelu",
        born=date(2014, 3, 9),
        upn="V938123456789",
    )
    return World(
        la=la,
        school=school,
        other_school=other_school,
        dsl=make_user(Role.DSL, school, display_name="Dana Lead"),
        deputy=make_user(Role.DEPUTY_DSL, school, display_name="Dev Deputy"),
        staff=make_user(Role.SCHOOL_STAFF, school, display_name="Sam Staff"),
        other_dsl=make_user(Role.DSL, other_school, display_name="Olu Other"),
        triage=make_user(Role.TRIAGE_WORKER, la, display_name="Tara Triage"),
        la_admin=make_user(Role.LA_ADMIN, la, display_name="Alex Admin"),
        pupil=pupil,
    )
