"""The household section offers the pupil's contacts from the school's MIS (issue #17): a school's
DSL adds a parent with one press (name, relationship, parental responsibility and telephone filled
in), once however often it is pressed; the read is audited; another school, other roles and a
partner agency's referral see none of it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.pupils.models import PupilContact
from portal.referrals import service as referrals
from portal.referrals.models import Referral
from tests.factories import agency_referral, agency_user, make_agency, make_referral, make_user, referring_school
from tests.signing_in import sign_in

MOTHER = "Odette Ravensworth"
CARER = "Bram Ockendon"


@pytest.fixture
def world(app):
    ours = referring_school()
    theirs = referring_school(ours.la)
    ours.pupil.contacts = [
        PupilContact(position=1, name=MOTHER, relationship_to_pupil="Mother", parental_responsibility=True,
                     phones=["Home: 01632 960111", "Mobile: 07700 900111"]),
        PupilContact(position=2, name=CARER, relationship_to_pupil="Carer", parental_responsibility=None,
                     phones=["Work: ext 22"]),
    ]
    db.session.commit()
    referral = make_referral(ours)
    mother, carer = ours.pupil.contacts
    return ours, theirs, referral, mother.id, carer.id


def _members(referral_id) -> list[dict]:
    db.session.expire_all()
    return referrals.household_members(db.session.get(Referral, referral_id))


def _audits(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_the_dsl_sees_the_contacts_and_adds_one_filled_in(client, world):
    ours, _, referral, mother, _ = world
    sign_in(client, ours.dsl)
    page = client.get(f"/referrals/{referral.id}/household").get_data(as_text=True)
    assert "From your MIS" in page and MOTHER in page and CARER in page
    assert "Home: 01632 960111; Mobile: 07700 900111" in page and page.count("Add to the household") == 2
    assert [str(e.object_id) for e in _audits("pupil.contacts_view")] == [str(ours.pupil.id)]

    response = client.post(f"/referrals/{referral.id}/household/from-mis/{mother}")
    [member] = _members(referral.id)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/referrals/{referral.id}/household/{member['id']}/change")
    assert member["name"] == MOTHER and member["relationship"] == "Mother"
    assert member["parental_responsibility"] == "yes" and member["phone"] == "01632 960111"
    assert member["lives_with_child"] is None  # for the DSL to answer

    # The member page shows what came from the MIS; the household page says "Added" and what is missing.
    change = client.get(response.headers["Location"]).get_data(as_text=True)
    assert MOTHER in change and "01632 960111" in change
    page = client.get(f"/referrals/{referral.id}/household").get_data(as_text=True)
    assert "Added" in page and page.count("Add to the household") == 1 and "Answers needed" in page
    assert len(_audits("pupil.contacts_view")) == 3  # two page views and the add


def test_a_member_from_the_mis_must_be_answered_before_the_section_is_complete(client, world):
    ours, _, referral, mother, carer = world
    sign_in(client, ours.dsl)
    client.post(f"/referrals/{referral.id}/household/from-mis/{carer}")
    [member] = _members(referral.id)
    assert member["parental_responsibility"] == "not_known" and member["phone"] == ""  # "ext 22" is not a number
    page = client.post(f"/referrals/{referral.id}/household", data={"complete": "yes"}).get_data(as_text=True)
    assert "Answers needed" in page and "govuk-error-summary" in page
    answered = {"name": CARER, "relationship": "Carer", "age": "52", "lives_with_child": "yes",
                "phone": "", "parental_responsibility": "not_known",
                "date_of_birth-day": "", "date_of_birth-month": "", "date_of_birth-year": ""}
    assert client.post(f"/referrals/{referral.id}/household/{member['id']}/change", data=answered).status_code == 302
    # Changing the person keeps that they came from the MIS: the contact still shows "Added".
    assert _members(referral.id)[0]["from_contact"] == str(carer)
    assert client.post(f"/referrals/{referral.id}/household", data={"complete": "yes"}).status_code == 302
    page = client.get(f"/referrals/{referral.id}/household").get_data(as_text=True)
    assert page.count("Add to the household") == 1 and "Answers needed" not in page


def test_a_double_post_adds_one_member(client, world):
    ours, _, referral, mother, _ = world
    sign_in(client, ours.dsl)
    first = client.post(f"/referrals/{referral.id}/household/from-mis/{mother}")
    second = client.post(f"/referrals/{referral.id}/household/from-mis/{mother}")
    assert first.headers["Location"] == second.headers["Location"]
    assert len(_members(referral.id)) == 1


def test_the_post_needs_the_csrf_token(client, world):
    ours, _, referral, mother, _ = world
    sign_in(client, ours.dsl)
    response = client.post(f"/referrals/{referral.id}/household/from-mis/{mother}", csrf=False)
    assert response.status_code in (302, 400)
    assert _members(referral.id) == []


def test_another_schools_dsl_gets_not_found(client, world):
    ours, theirs, referral, mother, _ = world
    sign_in(client, theirs.dsl)
    assert client.get(f"/referrals/{referral.id}/household").status_code == 404
    assert client.post(f"/referrals/{referral.id}/household/from-mis/{mother}").status_code == 404
    # Their own referral with our pupil's contact: not found either.
    theirs_referral = make_referral(theirs)
    assert client.post(f"/referrals/{theirs_referral.id}/household/from-mis/{mother}").status_code == 404
    assert MOTHER not in client.get(f"/referrals/{theirs_referral.id}/household").get_data(as_text=True)
    assert _members(referral.id) == [] and _members(theirs_referral.id) == []
    assert _audits("pupil.contacts_view") == []


def test_staff_and_the_council_cannot(client, world):
    ours, _, referral, mother, _ = world
    for user in (ours.staff, make_user(Role.TRIAGE_WORKER, ours.la)):
        sign_in(client, user)
        assert client.get(f"/referrals/{referral.id}/household").status_code in (403, 404)
        assert client.post(f"/referrals/{referral.id}/household/from-mis/{mother}").status_code in (403, 404)
    assert _members(referral.id) == []


def test_an_agency_sees_no_contacts_and_cannot_add_one(client, world):
    ours, _, referral, mother, _ = world
    gp = agency_user(make_agency(ours.la), Role.AGENCY_PROFESSIONAL)
    theirs = agency_referral(gp, submit=False)
    sign_in(client, gp)
    page = client.get(f"/referrals/{theirs.id}/household").get_data(as_text=True)
    assert "From your MIS" not in page and MOTHER not in page
    assert client.post(f"/referrals/{theirs.id}/household/from-mis/{mother}").status_code == 404
    assert client.post(f"/referrals/{referral.id}/household/from-mis/{mother}").status_code == 404
    assert len(_members(theirs.id)) == 1 and _members(referral.id) == []
    assert _audits("pupil.contacts_view") == []


def test_two_presses_racing_add_one_member(app, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("two connections adding at the same moment need PostgreSQL's row locks")
    import threading

    from portal.auth.models import User

    ours, _, referral, mother, _ = world
    referral_id, user_ids = referral.id, [ours.dsl.id, ours.deputy.id]
    barrier = threading.Barrier(2)
    added, errors = [], []

    def press(user_id):
        try:
            with app.app_context():
                user, draft = db.session.get(User, user_id), db.session.get(Referral, referral_id)
                assert referrals.household_members(draft) == []
                barrier.wait(timeout=10)
                added.append(referrals.add_household_contact(draft, user, mother))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=press, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(set(added)) == 1 and len(_members(referral_id)) == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "referral.edit",
                                                        AuditEvent.object_id == str(referral_id),
                                                        AuditEvent.detail == "household")) == 1
