"""The signed-in user, organisation and session row stay loaded across a page's own commits
(portal/auth/identity_kept.py), unless something has written to them since the session check."""

import pytest
from sqlalchemy import event, update

from portal import audit
from portal.auth import identity_kept
from portal.auth.models import User
from portal.auth.roles import Role
from portal.db import db
from portal.orgs.models import School
from tests.factories import make_la, make_pupil, make_school, make_user
from tests.signing_in import sign_in


class Statements:
    def __init__(self):
        self.seen = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._hook)

    def _hook(self, conn, cursor, statement, *args):
        self.seen.append(" ".join(statement.split()))


def test_an_audited_page_does_not_load_the_user_and_their_organisation_again_after_its_commit(client):
    dsl = make_user(Role.DSL, make_school(make_la()))
    pupil = make_pupil(dsl.school)
    sign_in(client, dsl)
    client.get(f"/pupils/{pupil.id}")
    with Statements() as statements:
        page = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert dsl.school.name in page  # the header names the organisation, read after the commit
    audit = next(i for i, s in enumerate(statements.seen) if "INSERT INTO audit_event" in s)
    after = statements.seen[audit + 1:]
    for table in ("user_account", "school", "local_authority", "user_session"):
        assert not any(f"FROM {table} " in s for s in after), table


def test_after_a_write_to_the_user_they_are_read_again(app):
    user = make_user(Role.DSL, make_school(make_la()), display_name="Ayesha Khan")
    with app.test_request_context():
        db.session.refresh(user)  # loaded, as the session check loads them
        identity_kept.keep(user, user.school)
        db.session.execute(update(User).where(User.id == user.id).values(display_name="Ayesha Okafor"))
        db.session.commit()
        assert user.display_name == "Ayesha Okafor"


def test_a_write_on_another_connection_counts_too(app):
    user = make_user(Role.DSL, make_school(make_la()))
    with app.test_request_context():
        db.session.refresh(user)  # loaded, as the session check loads them
        identity_kept.keep(user, user.school)
        with db.engine.begin() as other:
            other.execute(update(School).where(School.id == user.school_id).values(name="Renamed Academy"))
        db.session.commit()
        assert user.school.name == "Renamed Academy"


def test_without_a_write_to_them_their_values_come_back_after_a_commit_with_no_statement(app):
    user = make_user(Role.DSL, make_school(make_la()), display_name="Ayesha Khan")
    school_name = user.school.name
    with app.test_request_context():
        db.session.refresh(user)  # loaded, as the session check loads them
        identity_kept.keep(user, user.school)
        audit.record("pupil.roll_view", object_type="school", object_id=user.school_id, actor=user)
        db.session.commit()  # as a page's audit commits
        with Statements() as statements:
            assert user.display_name == "Ayesha Khan"
            assert user.school.name == school_name
        assert statements.seen == []


def test_a_change_rolled_back_is_undone_without_reading_again(app):
    user = make_user(Role.DSL, make_school(make_la()), display_name="Ayesha Khan")
    with app.test_request_context():
        db.session.refresh(user)  # loaded, as the session check loads them
        identity_kept.keep(user)
        user.display_name = "Not saved"
        db.session.rollback()
        with Statements() as statements:
            assert user.display_name == "Ayesha Khan"
        assert statements.seen == []


def test_nothing_is_kept_from_one_request_to_the_next(app):
    user = make_user(Role.DSL, make_school(make_la()))
    with app.test_request_context():
        db.session.refresh(user)  # loaded, as the session check loads them
        identity_kept.keep(user)
    with app.test_request_context():
        db.session.commit()
        with Statements() as statements:
            user.display_name
        assert statements.seen  # read again: the earlier request's copy was dropped at its end


def test_the_pupils_page_and_chronology_do_not_read_the_pupil_again_after_their_audit_commit(client):
    dsl = make_user(Role.DSL, make_school(make_la()))
    pupil = make_pupil(dsl.school, legal_forename="Amara")
    sign_in(client, dsl)
    for path in (f"/pupils/{pupil.id}", f"/pupils/{pupil.id}/chronology"):
        client.get(path)
        with Statements() as statements:
            page = client.get(path).get_data(as_text=True)
        assert "Amara" in page  # the page names the pupil after its audit commit
        audit_insert = next(i for i, s in enumerate(statements.seen) if "INSERT INTO audit_event" in s)
        assert not any("FROM pupil " in s for s in statements.seen[audit_insert + 1:]), path


@pytest.fixture
def kept_pupil(app):
    """A pupil loaded and kept by their page's service, inside a request whose session check has
    kept the signed-in DSL."""
    dsl = make_user(Role.DSL, make_school(make_la()))
    pupil = make_pupil(dsl.school)
    with app.test_request_context():
        db.session.refresh(dsl)
        identity_kept.keep(dsl, dsl.school)
        db.session.refresh(pupil)
        identity_kept.keep_also(pupil)
        yield pupil


def test_after_a_write_to_the_pupil_it_is_read_again(kept_pupil):
    from portal.pupils.models import Pupil

    db.session.execute(update(Pupil).where(Pupil.id == kept_pupil.id).values(on_roll=False)
                       .execution_options(roll_of=(kept_pupil.school_id,)))
    db.session.commit()
    assert kept_pupil.on_roll is False


def test_a_write_to_a_table_whose_name_begins_with_the_pupils_does_not_count(kept_pupil):
    """`pupil_contact` is not `pupil`: the kept pupil comes back with no statement."""
    from portal.pupils.models import PupilContact

    db.session.execute(update(PupilContact).where(PupilContact.pupil_id == kept_pupil.id).values(position=1))
    db.session.commit()
    with Statements() as statements:
        assert kept_pupil.on_roll is True
    assert statements.seen == []
