"""Demo data for development and demonstrations. Invented organisations and people only.

`flask --app portal demo seed` is idempotent: running it twice changes nothing. It refuses to
run in production.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from demo.agency_referrals import seed_demo_agency_referrals
from demo.auth import seed_demo_agencies, seed_demo_single_sign_on, seed_demo_users
from demo.concerns import seed_demo_concerns
from demo.ctf import seed_demo_upns
from demo.encompass import seed_demo_encompass
from demo.pupils import seed_demo_pupils
from demo.referrals import seed_demo_referrals
from demo.school_calendar import seed_demo_school_calendar
from demo.transfers import seed_demo_transfers
from demo.triage import seed_demo_triage
from portal.orgs import service as orgs
from portal.transaction import transactional

demo_cli = AppGroup("demo", help="Demo data (development only).")

LOCAL_AUTHORITIES = [
    ("938", "Northshire"),
    ("939", "Southmoor"),
]

# (LA code, URN, establishment number, name, phase)
SCHOOLS = [
    ("938", "938001", "2001", "Oakfield Primary School", "Primary"),
    ("938", "938002", "4001", "Riverside Academy", "Secondary"),
    ("939", "939001", "4002", "Hillcrest High School", "Secondary"),
]


class DemoRefused(click.ClickException):
    pass


@transactional
def seed() -> None:
    """The whole demo in one unit of work: all of it, or (if any part fails) none of it."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise DemoRefused("Demo data is refused when PORTAL_ENV=production: it contains known passwords.")
    las = {code: orgs.ensure_local_authority(code, name) for code, name in LOCAL_AUTHORITIES}
    for la_code, urn, number, name, phase in SCHOOLS:
        if orgs.get_school_by_urn(urn) is None:
            orgs.add_school(las[la_code], orgs.SchoolDetails(urn, number, name, phase), audited=False)
    # Each area that has demo data adds one call here, in dependency order.
    seed_demo_school_calendar()  # Northshire's and Southmoor's 2026/27 term holidays: the school-day clocks
    seed_demo_agencies()
    seed_demo_users()
    seed_demo_single_sign_on()
    seed_demo_pupils()
    seed_demo_concerns()
    seed_demo_referrals()
    seed_demo_triage()
    seed_demo_agency_referrals()  # Northshire Police refers Kai Whitfield: Source: Police in the queue
    seed_demo_upns()  # the UPNs Oakfield's MIS holds: its demo CTF matches them
    seed_demo_transfers()
    seed_demo_encompass()  # a notice for two children: one at Riverside, one held for the key contact


@demo_cli.command("seed")
def seed_command():
    """Create the demo councils, schools and users (idempotent)."""
    seed()
    click.echo("Demo data is in place: Northshire (938) and Southmoor (939) with their schools.")
