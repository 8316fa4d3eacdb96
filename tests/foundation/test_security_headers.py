import re

from portal.auth.roles import Role
from tests.factories import make_la, make_user
from tests.signing_in import sign_in


def _page_paths(app):
    """Every GET route that takes no arguments: the pages a visitor can reach directly."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            yield rule.rule


def _assert_security_headers(response, path):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp, path
    assert "unsafe-inline" not in csp, path
    assert "frame-ancestors 'none'" in csp, path
    assert headers["X-Frame-Options"] == "DENY", path
    assert headers["Referrer-Policy"] == "no-referrer", path
    assert headers["X-Content-Type-Options"] == "nosniff", path


def test_every_page_carries_the_security_headers_and_is_not_cached(app, client):
    sign_in(client, make_user(Role.LA_ADMIN, make_la()))
    paths = list(_page_paths(app)) + ["/no-such-page"]
    assert "/healthz" in paths
    for path in paths:
        response = client.get(path)
        _assert_security_headers(response, path)
        assert response.headers["Cache-Control"] == "no-store", path


def test_static_assets_carry_the_headers_but_may_be_cached(client):
    for path in ("/static/portal.css", "/assets/images/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_security_headers(response, path)
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_inline_script_carries_the_per_request_nonce(client):
    first = client.get("/accessibility")
    second = client.get("/accessibility")
    nonces = []
    for response in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        assert f'<script nonce="{nonce}">' in response.get_data(as_text=True)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_session_cookie_is_httponly_and_samesite_lax(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
