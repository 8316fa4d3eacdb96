"""Every route reaches its view through a policy decision, or is explicitly public.

Two nets: a static walk of every registered route (each view carries `policy_action`, set by
`@requires`, or `policy_public`, set by `@public` and listed below), and a runtime check in
test mode (portal.policy.init_policy) that fails any request a non-public view answered without
`g.policy_checked` being set — so a view that forgets `require()` cannot slip through either.
"""

import pytest
from flask import g

from portal import create_app
from portal.auth.roles import Role
from portal.policy import RULES, can, requires
from tests.conftest import environ_for_tests
from tests.factories import make_la, make_user

# The only pages anyone may reach without signing in, and why.
PUBLIC_ENDPOINTS = {
    "static",  # CSS, JavaScript, images
    "govuk_assets",  # GOV.UK Frontend fonts and images
    "health.healthz",  # load balancer probes
    "health.readyz",
    "home.index",  # redirects to sign-in or home
    "home.accessibility",  # statements every GOV.UK service publishes
    "home.privacy",
    "dashboard.operator_logo",  # the council's logo in every page's header (a static image)
    "auth.sign_in",  # signing in: the steps before a session exists check their own state
    "auth.sign_in_code",
    "auth.sign_in_recovery",
    "auth.enrol",
    "auth.sign_in_organisation",  # single sign-on: the email says which organisation; the answer says nothing of accounts
    "auth.sign_in_organisation_callback",  # the provider's answer: checked against the browser's state and a server-side request
    "auth.sign_out",
    "auth.signed_out",
    "auth.timed_out",
    "auth.forgot_password",
    "auth.reset_sent",
    "auth.reset_password",  # reached with a single-use token from an email
    "auth.accept_invitation",
    "auth.confirm_email_change",  # reached with a single-use token sent to the new address
}


def test_every_route_has_a_policy_check_or_is_listed_as_public(app):
    problems = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        action = getattr(view, "policy_action", None)
        public = getattr(view, "policy_public", False)
        if action:
            if action not in RULES:
                problems.append(f"{rule.endpoint}: action {action!r} has no rule (it would refuse everyone)")
        elif public:
            if rule.endpoint not in PUBLIC_ENDPOINTS:
                problems.append(f"{rule.endpoint} ({rule.rule}) is @public but not listed in PUBLIC_ENDPOINTS")
        else:
            problems.append(f"{rule.endpoint} ({rule.rule}) has neither @requires nor @public")
    assert not problems, "\n".join(problems)


def test_listed_public_endpoints_exist(app):
    assert PUBLIC_ENDPOINTS <= set(app.view_functions)


@pytest.fixture
def bare_app(_database, tmp_path):
    """A separate app, so that test routes can be added to it."""
    app = create_app(environ_for_tests(_database, tmp_path))
    return app


def test_a_view_that_answers_without_a_policy_check_fails_loudly(bare_app):
    bare_app.add_url_rule("/unchecked", "unchecked", lambda: "secret")
    with pytest.raises(AssertionError, match="unchecked answered without a policy check"):
        bare_app.test_client().get("/unchecked")


def test_a_view_that_calls_require_passes_the_runtime_check(bare_app):
    from portal.policy import public

    def checked():
        g.policy_checked = True
        return "ok"

    bare_app.add_url_rule("/checked", "checked", checked)
    bare_app.add_url_rule("/open", "open", public(lambda: "ok"))
    client = bare_app.test_client()
    assert client.get("/checked").status_code == 200
    assert client.get("/open").status_code == 200


def test_requires_refuses_an_action_without_a_rule(bare_app):
    bare_app.add_url_rule("/no-rule", "no_rule", requires("nothing:decides-this")(lambda: "ok"))
    with bare_app.app_context():
        from tests.signing_in import sign_in

        client = bare_app.test_client()
        sign_in(client, make_user(Role.LA_ADMIN, make_la()))
        assert client.get("/no-rule").status_code == 403


def test_deny_by_default_and_inactive_users_are_refused_everything(app):
    user = make_user(Role.LA_ADMIN, make_la())
    assert can(user, "schools:manage")
    assert not can(user, "no-such-action")
    assert not can(None, "home:view")
    user.active = False
    assert not any(can(user, action) for action in RULES)
