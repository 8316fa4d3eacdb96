"""`make demo`'s single sign-on: Oakfield signs in with its organisation's account (the local
provider), the portal's code still asked; a Hillcrest user is refused. The seeded settings are
the demo's, pointed at this run's provider and its test registration."""

from __future__ import annotations

from sqlalchemy import select

from demo.auth import DEMO_OIDC_CLIENT_ID, DEMO_OIDC_ISSUER, DEMO_TOTP_SECRET
from portal.auth import totp
from portal.auth.models import SecondFactorPolicy, SingleSignOnSettings
from portal.db import db
from portal.orgs.models import School
from tests.oidc.conftest import CLIENT_SECRET, sign_in_with_sso


def _seed_demo(app):
    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    return db.session.execute(select(SingleSignOnSettings)).scalars().all()


def test_the_demo_gives_oakfield_single_sign_on_and_no_other_school(app):
    [settings] = _seed_demo(app)
    assert _seed_demo(app) == [settings]  # idempotent
    assert db.session.get(School, settings.school_id).urn == "938001"
    assert settings.enabled and settings.issuer == DEMO_OIDC_ISSUER and settings.client_id == DEMO_OIDC_CLIENT_ID
    assert settings.domains == ["oakfield.demo"] and settings.second_factor == SecondFactorPolicy.PORTAL_CODE


def test_oakfields_dsl_signs_in_with_the_organisations_account_and_hillcrest_is_refused(app, client, allowed):
    [settings] = _seed_demo(app)
    settings.issuer, settings.client_secret = allowed, CLIENT_SECRET  # this run's provider
    db.session.commit()

    response, _ = sign_in_with_sso(client, "dsl@oakfield.demo")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/code")
    response = client.post("/sign-in/code", data={"code": totp.current_code(DEMO_TOTP_SECRET)})
    assert response.status_code == 302 and client.get("/account").status_code == 200

    other = app.test_client()
    refused = other.post("/sign-in/organisation", data={"email": "dsl@hillcrest.demo"})
    assert refused.status_code in (200, 400, 403)
    assert other.get("/account").status_code != 200
