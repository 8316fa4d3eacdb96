"""The parts of every page that are built once and reused (portal.templating, portal.security,
portal.auth.session_store, portal.extensions): each page must still be right for the person looking."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from sqlalchemy import inspect

from portal import create_app
from portal.auth import session_store
from portal.auth.models import User
from portal.auth.roles import Role
from portal.extensions import limiter
from tests.conftest import environ_for_tests
from tests.factories import make_la, make_school, make_user
from tests.signing_in import sign_in

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _page(client, path="/home") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_csrf_token_on_a_page_is_the_same_for_the_whole_session_and_is_accepted(client):
    sign_in(client, make_user(Role.DSL, make_school()))
    first, second = TOKEN.findall(_page(client)), TOKEN.findall(_page(client))
    assert first and set(first) == set(second) and len(set(first)) == 1
    # The token the page gave signs the person out (a POST checked by Flask-WTF).
    response = client.post("/sign-out", data={"csrf_token": first[0]}, csrf=False)
    assert response.status_code == 302
    assert client.get("/home").status_code == 302  # signed out: sent to sign in


def test_another_session_gets_another_csrf_token_and_cannot_use_the_first(app, client):
    school = make_school()
    sign_in(client, make_user(Role.DSL, school))
    theirs = TOKEN.findall(_page(client))[0]
    other = app.test_client()
    sign_in(other, make_user(Role.DEPUTY_DSL, school, email="deputy@example.org"))
    mine = TOKEN.findall(_page(other))[0]
    assert mine != theirs
    assert other.post("/sign-out", data={"csrf_token": theirs}, csrf=False).status_code == 400


def test_each_person_sees_their_own_organisation_in_the_navigation_and_nobody_elses(app, client):
    oakfield = make_school(name="Oakfield Primary")
    southmoor = make_la(code="939", name="Southmoor")
    sign_in(client, make_user(Role.DSL, oakfield, display_name="Dana Hartley"))
    other = app.test_client()
    sign_in(other, make_user(Role.TRIAGE_WORKER, southmoor, email="worker@example.org"))
    for _ in range(2):  # the second time from the shared, already rendered navigation
        school_page, council_page = _page(client), _page(other)
        assert "Oakfield Primary" in school_page and "Southmoor" not in school_page
        assert "Southmoor" in council_page and "Oakfield Primary" not in council_page
        for page in (school_page, council_page):
            assert page.count('class="govuk-service-navigation__list"') == 1
            assert page.count('govuk-service-navigation__link">Sign out</button>') == 1
            assert page.count('class="govuk-template__header"') == 1
            assert page.count('class="govuk-template__footer"') == 1


def test_a_signed_out_page_has_the_service_name_and_no_empty_navigation(client):
    page = _page(client, "/sign-in")
    assert "Safeguard Portal" in page
    assert "govuk-service-navigation__list" not in page
    assert "Sign out" not in page


def test_links_follow_the_path_the_portal_is_mounted_at(app):
    template = "{{ url_for('home.index') }} {{ url_for('static', filename='portal.css') }}"
    for _ in range(2):  # built, then remembered
        with app.test_request_context("/"):
            assert render_template_string(template) == "/ /static/portal.css"
        with app.test_request_context("/", base_url="http://localhost/portal"):
            assert render_template_string(template) == "/portal/ /portal/static/portal.css"


def test_links_in_a_template_rendered_outside_a_request_are_built_as_flask_builds_them(app):
    app.config["SERVER_NAME"] = "portal.example.gov.uk"
    try:
        with app.app_context():  # a command's context: no request
            assert render_template_string("{{ url_for('home.index') }}") == "http://portal.example.gov.uk/"
    finally:
        app.config["SERVER_NAME"] = None


def test_a_template_global_added_after_the_app_is_built_is_refused(app):
    with pytest.raises(TypeError, match="fixed once the app is built"):
        app.jinja_env.globals["late"] = "too late"


def test_an_app_wide_rate_limit_stops_the_app_starting_rather_than_go_unchecked(_database, tmp_path):
    try:
        with pytest.raises(RuntimeError, match="rate limit"):
            create_app(environ_for_tests(_database, tmp_path), RATELIMIT_DEFAULT="100 per minute")
    finally:
        limiter.limit_manager.set_default_limits([])  # the limiter is shared by every app


def test_the_session_check_does_not_load_the_password_hash_or_totp_secrets(app, client):
    sign_in(client, make_user(Role.DSL, make_school(), password_hash="$argon2id$stand-in"))
    with client.session_transaction() as cookie_session:
        token = cookie_session[session_store.SESSION_KEY]
    from portal.db import db

    db.session.expunge_all()
    with app.test_request_context():
        found = session_store._find(token).user
        unloaded = inspect(found).unloaded
        assert {"password_hash", User.totp_secret.attr, User.totp_pending_secret.attr} <= unloaded
        assert found.password_hash == "$argon2id$stand-in"  # still there when a page asks for it
