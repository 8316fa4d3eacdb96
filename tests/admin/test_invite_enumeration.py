"""Inviting an address that already has an account (issue 15, finding 8).

An administrator who can see that account in their own user list is told, as before. For an
account in an organisation they cannot see, the answer is the one every invitation gets: no
"There is already an account", no duplicate account, and the holder is emailed instead.
"""

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.auth.roles import Role
from portal.db import db
from portal.notify.models import MailMessage
from tests.auth.conftest import make_account
from tests.factories import make_la, make_school
from tests.signing_in import sign_in


def _mail_to(address: str) -> list[MailMessage]:
    return [m for m in db.session.execute(select(MailMessage)).scalars() if m.recipient == address]


def _invite(client, email: str, school) -> str:
    response = client.post("/admin/users/invite", data={
        "display_name": "Ann Other", "email": email, "organisation": str(school.id), "role": "school_staff",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_address_held_in_another_organisation_is_answered_as_a_new_invitation(client):
    school = make_school(make_la())
    elsewhere = make_account(Role.TRIAGE_WORKER, make_la())  # another council's worker
    dsl = make_account(Role.DSL, school)
    sign_in(client, dsl)
    taken = _invite(client, elsewhere.email, school)
    fresh = _invite(client, "new.person@example.org", school)
    assert "There is already an account" not in taken
    assert f"An invitation has been sent to {elsewhere.email}. The link works for 72 hours." in taken
    assert "An invitation has been sent to new.person@example.org. The link works for 72 hours." in fresh
    assert db.session.execute(select(func.count()).select_from(User).where(User.email == elsewhere.email)).scalar() == 1
    db.session.refresh(elsewhere)
    assert elsewhere.school_id is None and elsewhere.role == Role.TRIAGE_WORKER
    [told] = _mail_to(elsewhere.email)
    assert "You already have an account" in told.body and "/invitation/" not in told.body
    refused = db.session.execute(select(AuditEvent).where(AuditEvent.detail == "address_in_use_elsewhere")).scalar_one()
    assert refused.action == "auth.invite" and refused.outcome == "failure" and refused.actor_id == dsl.id


def test_an_address_the_inviter_can_see_is_still_named(client):
    school = make_school(make_la())
    colleague = make_account(Role.SCHOOL_STAFF, school)
    sign_in(client, make_account(Role.DSL, school))
    response = client.post("/admin/users/invite", data={
        "display_name": "Ann Other", "email": colleague.email, "organisation": str(school.id), "role": "school_staff",
    })
    assert "There is already an account with this email address" in response.get_data(as_text=True)
    assert _mail_to(colleague.email) == []
