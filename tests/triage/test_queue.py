"""The queue: urgent first then oldest first, time left, breaches, filters, counts and paging."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.db import utcnow
from portal.db import db
from portal.triage.models import TriageItem
from portal.triage.queue import QueueFilters, queue_page
from tests.signing_in import sign_in
from tests.factories import TRIAGE_PUPIL, council, make_pupil, submitted_referral


@pytest.fixture
def north(app):
    return council()


def _references(html: str) -> list[str]:
    return re.findall(r"938-2026-\d{6}", html)


def test_urgent_first_then_oldest_first(client, north):
    now = utcnow()
    old = submitted_referral(north, submitted_at=now - timedelta(hours=5))
    new = submitted_referral(north, submitted_at=now - timedelta(hours=1))
    urgent_new = submitted_referral(north, urgent=True, submitted_at=now - timedelta(minutes=10))
    urgent_old = submitted_referral(north, urgent=True, submitted_at=now - timedelta(hours=2))
    sign_in(client, north.worker)
    html = client.get("/triage").get_data(as_text=True)
    assert _references(html) == [r.reference for r in (urgent_old, urgent_new, old, new)]


def test_breached_referrals_are_marked_and_counted(client, north):
    late = submitted_referral(north, submitted_at=utcnow() - timedelta(days=10))
    on_time = submitted_referral(north)
    sign_in(client, north.worker)
    html = client.get("/triage").get_data(as_text=True)
    assert html.count('data-breached="yes"') == 1
    assert "Overdue by" in html and "left" in html
    assert re.search(r'data-count="overdue">1<', html)
    only_late = client.get("/triage?breached=yes").get_data(as_text=True)
    assert _references(only_late) == [late.reference]
    assert on_time.reference not in only_late


def test_filters_status_school_urgency_and_mine(client, north):
    other_school_pupil = make_pupil(_second_school(north), **TRIAGE_PUPIL)
    a = submitted_referral(north)
    b = submitted_referral(north, urgent=True)
    c = submitted_referral(north, other_school_pupil)
    db.session.execute(update(TriageItem).where(TriageItem.referral_id == a.id)
                       .values(assigned_to_id=north.worker.id, state="in_triage")
                       .execution_options(queue_of=north.la.id))
    db.session.commit()
    sign_in(client, north.worker)
    assert _references(client.get("/triage?urgency=urgent").get_data(as_text=True)) == [b.reference]
    assert set(_references(client.get("/triage?urgency=not_urgent").get_data(as_text=True))) == {a.reference, c.reference}
    assert _references(client.get("/triage?mine=yes").get_data(as_text=True)) == [a.reference]
    assert _references(client.get(f"/triage?school={north.school.id}&urgency=not_urgent").get_data(as_text=True)) == [a.reference]
    assert _references(client.get("/triage?status=in_triage").get_data(as_text=True)) == [a.reference]
    assert set(_references(client.get("/triage?status=new").get_data(as_text=True))) == {b.reference, c.reference}
    assert _references(client.get("/triage?status=decided").get_data(as_text=True)) == []
    # Nonsense in the query string is ignored, never an error.
    assert client.get("/triage?status=x&school=nope&page=zz&urgency=1").status_code == 200


def _second_school(north):
    from tests.factories import make_school

    return make_school(north.la, name="Riverside Academy")


def test_counts_and_paging(north):
    for i in range(30):
        submitted_referral(north, submitted_at=utcnow() - timedelta(minutes=60 - i))
    first = queue_page(north.worker, QueueFilters())
    assert first.total == 30 and first.pages == 2 and len(first.rows) == 25
    assert first.counts.open == 30 and first.counts.new == 30 and first.counts.unassigned == 30
    second = queue_page(north.worker, QueueFilters(page=2))
    assert len(second.rows) == 5
    assert {r.item.id for r in first.rows}.isdisjoint({r.item.id for r in second.rows})
    beyond = queue_page(north.worker, QueueFilters(page=99))
    assert beyond.page == 2


def test_only_the_names_on_the_page_are_decrypted(north, monkeypatch):
    for _ in range(30):
        submitted_referral(north)
    from portal.crypto.fields import EncryptedField

    reads = []
    original = EncryptedField.read

    def counting(self, *args, **kwargs):
        reads.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EncryptedField, "read", counting)
    worker_id = north.worker.id
    db.session.expunge_all()
    from portal.auth.models import User

    page = queue_page(db.session.get(User, worker_id), QueueFilters())
    assert len(page.rows) == 25
    assert len(reads) <= 25 * 3, "forename, preferred name and surname of the rows shown, nothing more"


def test_a_huge_filter_result_is_counted_up_to_a_cap(north, monkeypatch):
    import portal.triage.queue as queue

    monkeypatch.setattr(queue, "COUNT_CAP", 5)
    for _ in range(8):
        submitted_referral(north)
    page = queue.queue_page(north.worker, QueueFilters(status="all"), per_page=2)
    assert page.capped and page.total_text == "More than 5 referrals"
    assert len(page.rows) == 2
