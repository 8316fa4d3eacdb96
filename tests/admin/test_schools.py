from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.orgs.models import School
from tests.factories import make_la, make_school, make_user
from tests.signing_in import sign_in


def _admin(la=None):
    return make_user(Role.LA_ADMIN, la or make_la())


def test_la_admin_sees_only_their_own_las_schools(client):
    la = make_la(name="Northshire")
    make_school(la, name="Oakfield Primary School")
    make_school(make_la(), name="Hillcrest High School")
    sign_in(client, _admin(la))
    page = client.get("/admin/schools").get_data(as_text=True)
    assert "Oakfield Primary School" in page
    assert "Hillcrest High School" not in page


def test_la_admin_adds_a_school(client):
    la = make_la(code="938")
    sign_in(client, _admin(la))
    response = client.post(
        "/admin/schools/new",
        data={"name": "Elm Tree Infants", "urn": "938111", "establishment_number": "2111", "phase": "Primary"},
    )
    assert response.status_code == 302
    school = db.session.execute(select(School).where(School.urn == "938111")).scalar_one()
    assert school.laestab == "9382111"
    assert school.local_authority_id == la.id
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "school.add")).scalar_one()


def test_invalid_school_is_reshown_with_what_was_typed_and_clear_errors(client):
    sign_in(client, _admin())
    response = client.post(
        "/admin/schools/new",
        data={"name": "Elm Tree Infants", "urn": "12AB", "establishment_number": "", "phase": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a URN of 6 digits, like 100000" in page
    assert "Enter the establishment number" in page
    assert "Select the phase of education" in page
    assert 'value="Elm Tree Infants"' in page


def test_duplicate_urn_is_refused(client):
    la = make_la()
    make_school(la, urn="938222")
    sign_in(client, _admin(la))
    response = client.post(
        "/admin/schools/new",
        data={"name": "Copy School", "urn": "938222", "establishment_number": "2999", "phase": "Primary"},
    )
    assert "A school with this URN is already registered" in response.get_data(as_text=True)


def test_la_admin_edits_and_deactivates_a_school(client):
    la = make_la()
    school = make_school(la, name="Old Name")
    sign_in(client, _admin(la))
    client.post(
        f"/admin/schools/{school.id}/edit",
        data={"name": "New Name", "urn": school.urn, "establishment_number": school.establishment_number, "phase": "Secondary"},
    )
    db.session.refresh(school)
    assert (school.name, school.phase) == ("New Name", "Secondary")
    assert client.get(f"/admin/schools/{school.id}/deactivate").status_code == 200
    client.post(f"/admin/schools/{school.id}/deactivate")
    db.session.refresh(school)
    assert school.active is False
    client.post(f"/admin/schools/{school.id}/reactivate")
    db.session.refresh(school)
    assert school.active is True


def test_admin_of_another_la_gets_404_for_every_school_page(client):
    school = make_school(make_la())
    sign_in(client, _admin(make_la()))
    for path in ("edit", "deactivate", "reactivate"):
        assert client.get(f"/admin/schools/{school.id}/{path}").status_code == 404
        assert client.post(f"/admin/schools/{school.id}/{path}").status_code == 404
    db.session.refresh(school)
    assert school.active is True


def test_other_roles_are_refused_the_school_admin_pages(client):
    la = make_la()
    school = make_school(la)
    for role, org in [
        (Role.TRIAGE_MANAGER, la),
        (Role.TRIAGE_WORKER, la),
        (Role.DSL, school),
        (Role.SCHOOL_STAFF, school),
    ]:
        sign_in(client, make_user(role, org))
        assert client.get("/admin/schools").status_code == 403
        assert client.get("/admin/schools/new").status_code == 403
        assert client.get(f"/admin/schools/{school.id}/edit").status_code == 403


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/admin/schools")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_deactivated_schools_users_are_refused_at_once(client):
    la = make_la()
    school = make_school(la)
    dsl = make_user(Role.DSL, school)
    sign_in(client, dsl)
    assert client.get("/home").status_code == 200
    school.active = False
    db.session.commit()
    assert client.get("/home").status_code == 302
