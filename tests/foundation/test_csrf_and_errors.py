from flask import abort

from portal import create_app
from portal.auth.roles import Role
from portal.policy import public
from tests.conftest import environ_for_tests
from tests.factories import make_la, make_user
from tests.signing_in import sign_in


def test_a_form_posted_without_a_csrf_token_is_refused_and_reshown_with_what_was_typed(client):
    sign_in(client, make_user(Role.LA_ADMIN, make_la()))
    response = client.post(
        "/admin/schools/new",
        data={"name": "Elm Tree Infants", "urn": "938111", "establishment_number": "2111", "phase": "Primary"},
        csrf=False,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This page had expired, so your answers were not sent" in page
    assert 'value="Elm Tree Infants"' in page
    assert 'value="938111"' in page


def test_a_post_without_a_csrf_token_elsewhere_gets_the_400_page_and_does_nothing(client):
    response = client.post("/sign-out", csrf=False)
    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in response.get_data(as_text=True)


def test_404_page_is_styled_and_reveals_nothing(client):
    response = client.get("/no-such-page/00000000-0000-0000-0000-000000000000")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in page
    assert "govuk-template" in page


def _app_with_failing_routes(_database, tmp_path):
    app = create_app(environ_for_tests(_database, tmp_path))

    @public
    def explode():
        raise RuntimeError("Amelia Hartley-Nkemelu born 2014-03-09 at /srv/portal/secret.py")

    @public
    def forbidden():
        abort(403)

    @public
    def bad():
        abort(400)

    app.add_url_rule("/explode", view_func=explode)
    app.add_url_rule("/forbidden", view_func=forbidden)
    app.add_url_rule("/bad", view_func=bad)
    return app


def test_500_page_reveals_nothing_internal_and_logs_no_exception_text(_database, tmp_path, caplog):
    app = _app_with_failing_routes(_database, tmp_path)
    response = app.test_client().get("/explode")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    for secret in ("Amelia", "2014-03-09", "secret.py", "RuntimeError", "Traceback"):
        assert secret not in page
    for secret in ("Amelia", "2014-03-09", "secret.py"):
        assert secret not in caplog.text
    assert "unhandled RuntimeError on GET /explode" in caplog.text
    assert "in explode" in caplog.text


def test_403_and_400_pages_are_styled(_database, tmp_path):
    client = _app_with_failing_routes(_database, tmp_path).test_client()
    forbidden = client.get("/forbidden")
    assert forbidden.status_code == 403
    assert "You do not have permission to see this page" in forbidden.get_data(as_text=True)
    bad = client.get("/bad")
    assert bad.status_code == 400
    assert "Sorry, there is a problem with your request" in bad.get_data(as_text=True)
