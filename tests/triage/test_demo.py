"""Demo data: Northshire's queue has waiting referrals, one overdue and one urgent; Southmoor's none."""

from sqlalchemy import func, select

from portal.db import db
from demo.triage import seed_demo_triage
from portal.triage.models import TriageItem
from portal.triage.queue import QueueFilters, queue_page
from portal.triage.sharing import permitted_summary_fields


def test_demo_triage_is_idempotent_and_fills_northshires_queue(app):
    from portal.auth.models import User
    from demo.cli import seed
    from portal.orgs.service import get_local_authority_by_code

    seed()
    seed_demo_triage()
    db.session.commit()
    count = db.session.execute(select(func.count()).select_from(TriageItem)).scalar_one()
    seed_demo_triage()
    db.session.commit()
    assert db.session.execute(select(func.count()).select_from(TriageItem)).scalar_one() == count
    worker = db.session.execute(select(User).where(User.email == "triage@northshire.demo")).scalar_one()
    page = queue_page(worker, QueueFilters())
    assert page.counts.open >= 3 and page.counts.breached >= 1 and page.counts.urgent >= 1
    assert page.rows[0].item.urgent
    northshire = get_local_authority_by_code("938")
    assert "status" in permitted_summary_fields(northshire.id)
    south = db.session.execute(select(User).where(User.email == "triage@southmoor.demo")).scalar_one()
    assert all(r.item.local_authority_id == south.local_authority_id for r in queue_page(south, QueueFilters()).rows)
