"""A pupil's contacts from the MIS (portal.pupils.service): replaced as a whole only when they
differ, encrypted at rest, read on the pupil's page by the school's leads only (audited)."""

from __future__ import annotations

from datetime import date

import pytest
from flask_login import login_user
from sqlalchemy import func, select, text

from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.domain_errors import NotFound
from portal.pupils.service import ContactDetails, contacts_of, replace_contacts, view_pupil
from tests.factories import make_la, make_pupil_through_service, make_school, make_user

MUM = ContactDetails("Rosalind Inchbald", "Mother", True, ("Mobile: 07700 900777",))
CARER = ContactDetails("Tam Fairweather", "Carer", None, ())


@pytest.fixture
def signed_in(app):
    def as_user(user):
        context = app.test_request_context("/")
        context.push()
        login_user(user)
        return context
    return as_user


def test_contacts_are_replaced_only_when_they_differ_and_are_ciphertext_at_rest(app, signed_in):
    school = make_school(make_la())
    pupil = make_pupil_through_service(school, forename="Wilf", surname="Inchbald", born=date(2017, 2, 2))
    context = signed_in(make_user(Role.DSL, school))
    try:
        assert replace_contacts(pupil, [MUM, CARER]) is True
        assert replace_contacts(pupil, [MUM, CARER]) is False  # the same: nothing written
        assert contacts_of(pupil) == [MUM, CARER]
        assert replace_contacts(pupil, [CARER]) is True
        assert contacts_of(pupil) == [CARER]
    finally:
        context.pop()
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "pupil.contacts_replace")) == 2
    replace = db.session.execute(text("SELECT name, relationship_to_pupil FROM pupil_contact")).all()
    assert all("Fairweather" not in row[0] and "Carer" not in row[1] for row in replace)


def test_only_the_schools_leads_read_the_contacts(app, signed_in):
    school = make_school(make_la())
    pupil = make_pupil_through_service(school, forename="Wilf", surname="Inchbald", born=date(2017, 2, 2))
    for user in (make_user(Role.SCHOOL_STAFF, school), make_user(Role.DSL, make_school(school.local_authority))):
        context = signed_in(user)
        try:
            with pytest.raises(NotFound):
                view_pupil(user, pupil.id, with_contacts=True)
        finally:
            context.pop()


def test_the_pupils_page_shows_the_contacts_and_audits_both_views(client):
    from tests.signing_in import sign_in

    school = make_school(make_la())
    dsl = make_user(Role.DSL, school)
    pupil = make_pupil_through_service(school, forename="Wilf", surname="Inchbald", born=date(2017, 2, 2))
    context = client.application.test_request_context("/")
    context.push()
    try:
        login_user(make_user(Role.DSL, school))
        replace_contacts(pupil, [MUM, CARER])
    finally:
        context.pop()
    sign_in(client, dsl)
    page = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "Rosalind Inchbald" in page and "Tam Fairweather" in page and "Mobile: 07700 900777" in page
    views = db.session.execute(select(AuditEvent.action, AuditEvent.object_id, AuditEvent.actor_id)
                               .where(AuditEvent.action.in_(("pupil.view", "pupil.contacts_view")))).all()
    assert sorted(action for action, _, _ in views) == ["pupil.contacts_view", "pupil.view"]
    assert all(object_id == str(pupil.id) and actor == dsl.id for _, object_id, actor in views)
