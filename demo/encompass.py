"""Demo Operation Encompass notice (development only, invented people): last night Northshire
Police's notifier sent one notice for two children at one address. Kai Whitfield is on
Riverside Academy's roll, so his notice is waiting, unread, on Riverside's DSL's home page; his
younger sister Ruby is not in the portal, so hers is held for Northshire's Encompass key contact
to route. Amelia Hartley-Nkemelu (Oakfield) is left for the README's walkthrough, in which the
police user records a notice themselves. Idempotent: does nothing if Northshire Police has
sent a notice already. Goes through the real service functions, acting as the demo notifier."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_login import login_user
from sqlalchemy import select

from portal.auth.signin import find_user
from portal.db import db
from portal.encompass import service
from portal.encompass.models import EncompassNotice
from portal.working_days import UK

NOTIFIER_EMAIL = "notifier@northshire-police.demo"
ADDRESS = "27 Wren Street\nNorthtown NN3 2PL"
CHILDREN = [
    service.ChildDetails(
        forename="Kai", surname="Whitfield", date_of_birth=date(2011, 1, 15), address=ADDRESS,
        school_given="Riverside", exposure=["present", "heard"], injured="no",
        disclosure="Kai told officers he had taken his sister upstairs and put headphones on her.",
    ),
    service.ChildDetails(
        forename="Ruby", surname="Whitfield", date_of_birth=date(2019, 5, 3), address=ADDRESS,
        exposure=["heard"], injured="no",
    ),
]


def seed_demo_encompass() -> None:
    if current_app.config["PORTAL_ENV"] == "production":
        raise RuntimeError("demo data is refused in production")
    notifier = find_user(NOTIFIER_EMAIL)
    if notifier is None or notifier.agency_id is None:
        return
    already = db.session.execute(
        select(EncompassNotice.id).where(EncompassNotice.agency_id == notifier.agency_id)
    ).first()
    if already is not None:
        return
    last_night = datetime.combine(datetime.now(UK).date() - timedelta(days=1), time(22, 10), tzinfo=UK)
    # The services check the policy for the signed-in user: act as the notifier.
    with current_app.test_request_context("/"):
        login_user(notifier)
        notice = service.save_incident(notifier, None, service.IncidentDetails(
            police_reference="NP/2026/003981", incident_date=last_night.date(), incident_time="22:10",
            other_agencies="Northshire front door (MASH) told by phone; IDVA referral made"))
        for child in CHILDREN:
            service.save_child(notifier, notice.id, None, child)
        service.submit_notice(notifier, notice.id)
    # The mail worker routes it within seconds in `make demo`; done here so the demo starts routed.
    service.route_waiting()
    db.session.flush()
