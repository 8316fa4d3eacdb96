"""When things break the service still answers like a service: a database outage gets the
"service is unavailable" page with Retry-After, rendered without the database or the signed-in
user; one short log line per failure, bursts summarised; a CSRF failure never turns a refusal
into a 500."""

from __future__ import annotations

import logging

import pytest

from portal import create_app
from portal.auth.roles import Role
from portal.log_bursts import BurstLog
from tests.conftest import environ_for_tests
from tests.factories import make_la, make_school, make_user
from tests.signing_in import sign_in

# Nothing listens on port 1: every connection is refused at once, as in an outage.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/portal?connect_timeout=2"


@pytest.fixture
def app_without_database(tmp_path):
    app = create_app(environ_for_tests(UNREACHABLE, tmp_path))
    with app.app_context():
        yield app


def _signed_in_before_the_outage(app):
    """A browser whose cookie names a server-side session: looking it up needs the database."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "a-session-from-before-the-outage"
        session["_user_id"] = "7b0e5a52-3f0c-4c8e-9d55-0f3c6a1f2b11"
    return client


def test_a_signed_in_page_during_a_database_outage_gets_the_unavailable_page(app_without_database, caplog):
    client = _signed_in_before_the_outage(app_without_database)
    caplog.set_level(logging.INFO)
    response = client.get("/home")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Sorry, the service is unavailable" in page and "govuk-template" in page
    for leak in ("Traceback", "OperationalError", "SELECT", "127.0.0.1", "token_hash"):
        assert leak not in page
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1
    line = failures[0].getMessage()
    assert "unhandled OperationalError" in line and "answered 503" in line
    for leak in ("SELECT", "token_hash", "a-session-from-before-the-outage", "Traceback"):
        assert leak not in caplog.text


def test_a_burst_of_the_same_failure_is_summarised(app_without_database, caplog):
    client = _signed_in_before_the_outage(app_without_database)
    caplog.set_level(logging.ERROR)
    for _ in range(25):
        assert client.get("/home").status_code == 503
    assert len([r for r in caplog.records if "unhandled OperationalError" in r.getMessage()]) == 1


def test_the_burst_log_reports_what_it_held_back_when_the_window_has_passed():
    now = [0.0]
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logger = logging.getLogger("test.bursts")
    logger.addHandler(Collect())
    bursts = BurstLog(logger, window=10, clock=lambda: now[0])
    for second in range(12):
        now[0] = float(second)
        bursts.record("unhandled OperationalError on GET /home", "(request r)")
    assert messages == [
        "unhandled OperationalError on GET /home (request r)",
        "unhandled OperationalError on GET /home: 9 more like it in the last 10 s",
        "unhandled OperationalError on GET /home (request r)",
    ]


def test_a_csrf_failure_on_another_schools_record_answers_as_without_the_token(client):
    dsl = make_user(Role.DSL, make_school(make_la()))
    sign_in(client, dsl)
    response = client.post("/pupils/00000000-0000-4000-8000-000000000000/edit", data={}, csrf=False)
    assert response.status_code == 404


def test_a_malformed_json_body_without_a_token_is_a_bad_request_not_a_crash(client):
    dsl = make_user(Role.DSL, make_school(make_la()))
    sign_in(client, dsl)
    response = client.post("/pupils", data='{"a":', content_type="application/json", csrf=False)
    assert response.status_code == 415  # the portal's pages take forms, not JSON


def test_a_file_posted_in_place_of_a_text_box_is_nothing_typed_on_any_form(client):
    import io

    dsl = make_user(Role.DSL, make_school(make_la()))
    sign_in(client, dsl)
    # The add-pupil form has no file field: a file under a text field's name is not text.
    response = client.post("/pupils/new", data={"legal_forename": (io.BytesIO(b"%PDF-1.4"), "x.pdf"),
                                                "legal_surname": "Quillfeather"},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Enter" in response.get_data(as_text=True)  # re-shown with the first name asked for


def test_readyz_answers_json_during_an_outage_even_with_a_session_cookie(app_without_database):
    client = _signed_in_before_the_outage(app_without_database)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
