"""The demo's Operation Encompass notice: Kai's delivered to Riverside, Ruby's held for
Northshire's key contact; seeding twice adds nothing; then the README's walkthrough: the demo
notifier records Amelia and her brother, Oakfield's DSL reads Amelia's, the key contact routes."""

from __future__ import annotations

from sqlalchemy import func, select

from demo.cli import seed
from demo.encompass import seed_demo_encompass
from portal.auth.signin import find_user
from portal.db import db
from portal.encompass.models import EncompassChild, Routing
from portal.notify.outbox import send_due
from portal.orgs.service import get_school_by_urn
from tests.encompass.conftest import as_user, child_form, children_of, record_notice, statuses
from datetime import date


def test_the_demo_notice_and_the_readme_walkthrough(app, client):
    seed()
    children = db.session.execute(select(EncompassChild).order_by(EncompassChild.position)).scalars().all()
    assert [c.routing for c in children] == [Routing.DELIVERED, Routing.HELD]
    assert children[0].school_id == get_school_by_urn("938002").id
    seed_demo_encompass()
    assert db.session.execute(select(func.count()).select_from(EncompassChild)).scalar_one() == 2

    as_user(client, find_user("dsl@riverside.demo"))
    assert "Kai Whitfield" in client.get("/home").get_data(as_text=True)

    as_user(client, find_user("notifier@northshire-police.demo"))
    notice_id = record_notice(client, [child_form("Amelia", "Hartley-Nkemelu", date(2014, 3, 9)),
                                       child_form("Jonah", "Hartley-Nkemelu", date(2019, 2, 14))])
    send_due()
    assert statuses(client.get(f"/encompass/notices/{notice_id}").get_data(as_text=True)) == [
        "Delivered to the school", "Held by the council"]
    amelia, jonah = children_of(notice_id)
    as_user(client, find_user("dsl@oakfield.demo"))
    assert "Amelia Hartley-Nkemelu" in client.get("/home").get_data(as_text=True)
    assert client.get(f"/encompass/school/{amelia.id}").status_code == 200
    as_user(client, find_user("encompass@northshire.demo"))
    assert "2 notices to route" in client.get("/encompass/council").get_data(as_text=True)
    response = client.post(f"/encompass/council/{jonah.id}/route", data={"school_id": str(get_school_by_urn("938001").id)})
    assert response.status_code == 302
    assert children_of(notice_id)[1].routing == Routing.DELIVERED
