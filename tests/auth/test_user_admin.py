"""User administration: who sees and changes which accounts. Every page is refused to other
roles (403) and to other organisations' administrators (404)."""

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import User, UserSession
from portal.auth.roles import Role
from portal.db import db
from tests.auth.conftest import PASSWORD, code_now, make_account
from tests.factories import make_la, make_school
from tests.signing_in import sign_in


def _audited(action):
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def _reauthenticate(client, clock):
    clock.advance(seconds=30)
    response = client.post("/re-authenticate", data={"password": PASSWORD, "code": code_now()})
    assert response.status_code == 302, response.get_data(as_text=True)


def _object_pages(user_id):
    return [
        ("get", f"/admin/users/{user_id}"),
        ("get", f"/admin/users/{user_id}/role"),
        ("post", f"/admin/users/{user_id}/role"),
        ("get", f"/admin/users/{user_id}/deactivate"),
        ("post", f"/admin/users/{user_id}/deactivate"),
        ("get", f"/admin/users/{user_id}/reactivate"),
        ("post", f"/admin/users/{user_id}/reactivate"),
        ("get", f"/admin/users/{user_id}/reset-2fa"),
        ("post", f"/admin/users/{user_id}/reset-2fa"),
        ("post", f"/admin/users/{user_id}/resend-invitation"),
    ]


def test_la_admin_sees_users_of_their_la_and_its_schools_only(client, clock):
    la = make_la()
    school = make_school(la)
    admin = make_account(Role.LA_ADMIN, la)
    make_account(Role.TRIAGE_WORKER, la, display_name="Tara Triage")
    make_account(Role.SCHOOL_STAFF, school, display_name="Sid Staff")
    make_account(Role.DSL, make_school(make_la()), display_name="Other Council Dsl")
    sign_in(client, admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Tara Triage" in page and "Sid Staff" in page
    assert "Other Council Dsl" not in page


def test_dsl_sees_their_schools_staff_and_deputies_only(client, clock):
    school = make_school(make_la())
    dsl = make_account(Role.DSL, school)
    make_account(Role.SCHOOL_STAFF, school, display_name="Sid Staff")
    make_account(Role.DEPUTY_DSL, school, display_name="Dee Deputy")
    make_account(Role.SCHOOL_STAFF, make_school(school.local_authority), display_name="Next Door Staff")
    sign_in(client, dsl)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Sid Staff" in page and "Dee Deputy" in page and "Next Door Staff" not in page


def test_other_roles_are_refused_every_user_admin_page(client, clock):
    la = make_la()
    school = make_school(la)
    target = make_account(Role.SCHOOL_STAFF, school)
    for role, org in [
        (Role.TRIAGE_WORKER, la),
        (Role.TRIAGE_MANAGER, la),
        (Role.DEPUTY_DSL, school),
        (Role.SCHOOL_STAFF, school),
    ]:
        sign_in(client, make_account(role, org))
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/users/invite").status_code == 403
        assert client.post("/admin/users/invite", data={"email": "x@example.org"}).status_code == 403
        for method, path in _object_pages(target.id):
            assert getattr(client, method)(path).status_code == 403, (role, path)
    db.session.refresh(target)
    assert target.active and target.has_second_factor


def test_other_organisations_admins_get_404_for_every_user_page(client, clock):
    la = make_la()
    school = make_school(la)
    targets = [make_account(Role.TRIAGE_WORKER, la), make_account(Role.SCHOOL_STAFF, school)]
    other_la = make_la()
    other_school = make_school(other_la)
    for admin in (make_account(Role.LA_ADMIN, other_la), make_account(Role.DSL, other_school)):
        sign_in(client, admin)
        _reauthenticate(client, clock)
        for target in targets:
            for method, path in _object_pages(target.id):
                assert getattr(client, method)(path, data={"role": "dsl"}).status_code == 404, (admin.role, path)
    for target in targets:
        db.session.refresh(target)
        assert target.active and target.has_second_factor and target.role in ("triage_worker", "school_staff")


def test_a_dsl_cannot_manage_other_dsls_or_themselves(client, clock):
    school = make_school(make_la())
    dsl = make_account(Role.DSL, school)
    other_dsl = make_account(Role.DSL, school)
    sign_in(client, dsl)
    assert client.get(f"/admin/users/{other_dsl.id}").status_code == 404
    assert client.get(f"/admin/users/{dsl.id}").status_code == 404
    assert client.post(f"/admin/users/{dsl.id}/deactivate").status_code == 404


def test_dsl_invites_staff_but_not_another_dsl(client, clock):
    school = make_school(make_la())
    sign_in(client, make_account(Role.DSL, school))
    page = client.get("/admin/users/invite").get_data(as_text=True)
    assert "Deputy DSL" in page and "Triage worker" not in page
    data = {"display_name": "Ann Other", "email": "ann@example.org", "organisation": str(school.id), "role": "dsl"}
    response = client.post("/admin/users/invite", data=data)
    assert response.status_code == 200  # "dsl" is not one of the choices offered
    assert db.session.execute(select(User).where(User.email == "ann@example.org")).scalar_one_or_none() is None
    data["role"] = "school_staff"
    assert client.post("/admin/users/invite", data=data).status_code == 302
    invited = db.session.execute(select(User).where(User.email == "ann@example.org")).scalar_one()
    assert invited.school_id == school.id and invited.password_hash is None
    assert _audited("auth.invite")


def test_la_admin_invites_la_staff_and_a_schools_dsl_but_not_its_staff(client, clock):
    la = make_la()
    school = make_school(la)
    other_school = make_school(make_la())
    sign_in(client, make_account(Role.LA_ADMIN, la))
    base = {"display_name": "Ann Other", "email": "ann@example.org"}
    response = client.post("/admin/users/invite", data={**base, "organisation": str(school.id), "role": "triage_worker"})
    assert "You cannot invite a Triage worker to" in response.get_data(as_text=True)
    response = client.post("/admin/users/invite", data={**base, "organisation": str(other_school.id), "role": "dsl"})
    assert response.status_code == 200  # another LA's school is not offered
    assert client.post("/admin/users/invite", data={**base, "organisation": str(school.id), "role": "dsl"}).status_code == 302
    response = client.post("/admin/users/invite", data={**base, "organisation": str(la.id), "role": "triage_worker"})
    assert "There is already an account with this email address" in response.get_data(as_text=True)


def test_changing_a_role_needs_recent_reauthentication_and_signs_the_user_out(client, app, clock):
    la = make_la()
    admin = make_account(Role.LA_ADMIN, la)
    worker = make_account(Role.TRIAGE_WORKER, la)
    worker_client = app.test_client()
    sign_in(worker_client, worker)
    sign_in(client, admin)
    clock.advance(minutes=16)
    client.get("/home")
    response = client.get(f"/admin/users/{worker.id}/role")
    assert f"/re-authenticate?next=/admin/users/{worker.id}/role" in response.headers["Location"]
    response = client.post(f"/admin/users/{worker.id}/role", data={"role": "triage_manager"})
    assert "/re-authenticate" in response.headers["Location"]
    db.session.refresh(worker)
    assert worker.role == "triage_worker"
    # Wrong details are refused.
    page = client.post("/re-authenticate", data={"password": "Wrong-password-1", "code": code_now()}).get_data(as_text=True)
    assert "Enter your correct password" in page
    _reauthenticate(client, clock)
    assert client.get(f"/admin/users/{worker.id}/role").status_code == 200
    response = client.post(f"/admin/users/{worker.id}/role", data={"role": "triage_manager"})
    assert response.status_code == 302
    db.session.refresh(worker)
    assert worker.role == "triage_manager"
    assert _audited("user.role_change")[0].detail == "triage_worker_to_triage_manager"
    assert worker_client.get("/home").status_code == 302
    # An LA role cannot be swapped for a school role.
    client.post(f"/admin/users/{worker.id}/role", data={"role": "dsl"})
    db.session.refresh(worker)
    assert worker.role == "triage_manager"


def test_deactivating_a_user_signs_them_out_everywhere(client, app, clock):
    school = make_school(make_la())
    dsl = make_account(Role.DSL, school)
    staff = make_account(Role.SCHOOL_STAFF, school)
    staff_client = app.test_client()
    sign_in(staff_client, staff)
    sign_in(client, dsl)
    assert client.get(f"/admin/users/{staff.id}/deactivate").status_code == 200
    assert client.post(f"/admin/users/{staff.id}/deactivate").status_code == 302
    assert staff_client.get("/home").status_code == 302
    session_row = db.session.execute(select(UserSession).where(UserSession.user_id == staff.id)).scalar_one()
    assert session_row.end_reason == "deactivated"
    client.post(f"/admin/users/{staff.id}/reactivate")
    db.session.refresh(staff)
    assert staff.active
    assert [e.action for e in _audited("user.deactivate") + _audited("user.reactivate")] == ["user.deactivate", "user.reactivate"]


def test_la_admin_resets_a_users_2fa_and_they_enrol_again(client, app, clock):
    la = make_la()
    school = make_school(la)
    dsl = make_account(Role.DSL, school)
    sign_in(client, make_account(Role.LA_ADMIN, la))
    _reauthenticate(client, clock)
    assert client.get(f"/admin/users/{dsl.id}/reset-2fa").status_code == 200
    assert client.post(f"/admin/users/{dsl.id}/reset-2fa").status_code == 302
    db.session.refresh(dsl)
    assert not dsl.has_second_factor
    assert _audited("auth.totp_reset")
    user_client = app.test_client()
    response = user_client.post("/sign-in", data={"email": dsl.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/sign-in/set-up-app")


def test_a_dsl_cannot_reset_2fa(client, clock):
    school = make_school(make_la())
    staff = make_account(Role.SCHOOL_STAFF, school)
    sign_in(client, make_account(Role.DSL, school))
    _reauthenticate(client, clock)
    assert client.get(f"/admin/users/{staff.id}/reset-2fa").status_code == 404
    assert client.post(f"/admin/users/{staff.id}/reset-2fa").status_code == 404


def test_user_pages_send_signed_out_visitors_to_sign_in(client, clock):
    for path in ("/admin/users", "/admin/users/invite", "/account", "/re-authenticate"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
