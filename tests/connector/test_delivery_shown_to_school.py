"""The school's referral page says whether the referral has reached the council's case system."""

from portal.connector import outbox
from portal.connector.models import OutboxItem
from portal.db import utcnow
from portal.db import db
from tests.connector.portal_setup import submitted_referral
from tests.factories import referring_school
from tests.signing_in import sign_in


def test_the_schools_referral_page_shows_delivery_and_the_case_reference(app, client):
    setup = referring_school()
    referral = submitted_referral(setup)
    sign_in(client, setup.dsl)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'data-delivery-state="pending"' in page
    assert "Not given yet" in page

    item = db.session.query(OutboxItem).filter_by(referral_id=referral.id).one()
    item.state, item.case_reference, item.delivered_at = "delivered", "CASE-938-000042", utcnow()
    db.session.commit()
    assert outbox.delivery_status(referral.id)["case_reference"] == "CASE-938-000042"
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'data-delivery-state="delivered"' in page
    assert "CASE-938-000042" in page


def test_the_triage_page_shows_delivery_too(app, client):
    from portal.auth.roles import Role
    from tests.factories import make_user

    setup = referring_school()
    referral = submitted_referral(setup)
    worker = make_user(Role.TRIAGE_WORKER, setup.school.local_authority)
    sign_in(client, worker)
    page = client.get(f"/triage/referrals/{referral.id}").get_data(as_text=True)
    assert 'data-delivery-state="pending"' in page
