from sqlalchemy import func, select

from portal.auth import passwords
from demo.auth import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS
from portal.auth.models import User
from portal.db import db
from tests.auth.conftest import code_now


def test_demo_seed_creates_every_listed_account_once(app, clock):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0  # idempotent
    emails = {email for email, *_ in DEMO_USERS}
    assert {
        "dsl@oakfield.demo", "staff@oakfield.demo", "dsl@riverside.demo", "dsl@hillcrest.demo",
        "triage@northshire.demo", "manager@northshire.demo", "admin@northshire.demo",
        "triage@southmoor.demo", "admin@southmoor.demo", "encompass@northshire.demo",
        "notifier@northshire-police.demo", "lead@northshire-police.demo", "gp@elmstreet.demo",
        "lead@elmstreet.demo",
    } <= emails
    users = db.session.execute(select(User).where(User.email.in_(emails))).scalars().all()
    assert len(users) == len(DEMO_USERS) == len(emails)
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == len(DEMO_USERS)
    oakfield_dsl = next(u for u in users if u.email == "dsl@oakfield.demo")
    assert oakfield_dsl.school.urn == "938001" and oakfield_dsl.role == "dsl"
    assert next(u for u in users if u.email == "admin@southmoor.demo").local_authority.code == "939"
    notifier = next(u for u in users if u.email == "notifier@northshire-police.demo")
    assert notifier.agency.name == "Northshire Police" and notifier.agency.kind_enum.is_police
    assert notifier.home_local_authority_id == oakfield_dsl.school.local_authority_id
    gp = next(u for u in users if u.email == "gp@elmstreet.demo")
    assert gp.agency.ods_code == "A81001" and gp.role == "agency_professional"
    for user in users:
        assert passwords.verify_password(user.password_hash, DEMO_PASSWORD)
        assert user.totp_secret == DEMO_TOTP_SECRET


def test_demo_account_signs_in_through_the_real_pages(app, client, clock):
    app.test_cli_runner().invoke(args=["demo", "seed"])
    client.post("/sign-in", data={"email": "admin@northshire.demo", "password": DEMO_PASSWORD})
    assert client.post("/sign-in/code", data={"code": code_now(DEMO_TOTP_SECRET)}).status_code == 302
    assert "Users" in client.get("/home").get_data(as_text=True)
    assert client.get("/admin/users").status_code == 200


def test_demo_accounts_are_refused_in_production(app):
    app.config["PORTAL_ENV"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
    finally:
        app.config["PORTAL_ENV"] = "test"
    assert result.exit_code != 0
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_the_readme_lists_every_demo_account():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert [email for email, *_ in DEMO_USERS if f"| {email} |" not in readme] == []
