"""Pulling updates: stored once by id, mapped to the pupil's school, only permitted fields kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select, text

from portal.auth.roles import Role
from portal.connector.models import PulledUpdate, PullState
from portal.connector.pull import pull_la
from portal.db import db
from portal.referrals.models import Referral
from portal.triage.sharing import set_sharing_policy
from portal.updates.models import SharedUpdate
from tests.connector.portal_setup import items, point_at, run_worker_once, submitted_referral
from tests.factories import make_la, make_user, referring_school

SECRET_CASE_NOTE = "Xylophone-Marigold risk assessment: father's conviction 2019"
SECRET_WORKER_NOTE = "Private-Quokka supervisor remark"
SECRET_TEAM_FAX = "Fax-Penguin-0199"
PERMITTED_NOTE = "Please invite the school to the review."


@pytest.fixture
def delivered(app, casesim):
    la = make_la(code="938", name="Northshire")
    point_at(casesim, la)
    setup = referring_school(la)
    referral = submitted_referral(setup)
    run_worker_once(pull=False)
    [item] = items()
    assert item.state == "delivered"
    manager = make_user(Role.TRIAGE_MANAGER, la)
    return la, setup, referral, item, manager


def _shared(kind=None):
    query = select(SharedUpdate)
    if kind:
        query = query.where(SharedUpdate.kind == kind)
    db.session.expire_all()
    return list(db.session.execute(query).scalars())


def test_a_case_summary_keeps_only_the_fields_the_policy_permits(app, casesim, delivered):
    la, setup, referral, item, manager = delivered
    set_sharing_policy(manager, la.id, ["status", "allocated_worker", "note_for_school"])
    casesim.admin("POST", "/_admin/summaries", json={
        "la_code": "938", "person_id": item.person_id, "status": "child_protection_plan", "cp_category": "neglect",
        "start_date": "2025-02-01", "allocated_worker": {"name": "Jo Worker", "email": "jo@example.org",
                                                          "supervisor_note": SECRET_WORKER_NOTE},
        "team": {"name": "CP Team North", "fax": SECRET_TEAM_FAX}, "next_review_date": "2025-05-01",
        "note_for_school": PERMITTED_NOTE, "extra": {"case_notes": SECRET_CASE_NOTE},
    }).raise_for_status()
    assert pull_la(la.id, "w1", force=True) == "pulled"
    [update] = _shared("case_summary")
    assert update.school_id == setup.school.id and update.pupil_id == setup.pupil.id
    content = update.content
    assert set(content["summary"]) == {"status", "allocated_worker", "note_for_school"}
    assert content["summary"]["allocated_worker"] == {"name": "Jo Worker", "email": "jo@example.org"}
    assert content["body"] == PERMITTED_NOTE
    flat = repr(content)
    for forbidden in (SECRET_CASE_NOTE, SECRET_WORKER_NOTE, SECRET_TEAM_FAX, "CP Team North", "2025-05-01",
                      "neglect", "1 February 2025"):
        assert forbidden not in flat
    _assert_nowhere_in_the_database(app, [SECRET_CASE_NOTE, SECRET_WORKER_NOTE, SECRET_TEAM_FAX, "CP Team North"])


def _assert_nowhere_in_the_database(app, values):
    """Every column of every table, as stored (and every shared update decrypted), lacks the values."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    for table in metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            stored = " ".join(str(v) for v in row)
            for value in values:
                assert value not in stored, f"found in {table.name}"
    for update in _shared():
        for value in values:
            assert value not in repr(update.content)
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        raw = Path(url.database).read_bytes()
        for value in values:
            assert value.encode() not in raw


def test_a_summary_with_no_permitted_field_reaches_no_school(app, casesim, delivered):
    la, setup, referral, item, manager = delivered
    casesim.admin("POST", "/_admin/summaries", json={
        "la_code": "938", "person_id": item.person_id, "status": "child_in_need", "start_date": "2025-02-01",
        "extra": {"case_notes": SECRET_CASE_NOTE},
    }).raise_for_status()
    pull_la(la.id, "w1", force=True)
    assert _shared("case_summary") == []
    assert db.session.execute(select(PulledUpdate.outcome)).scalar_one() == "nothing_permitted"
    _assert_nowhere_in_the_database(app, [SECRET_CASE_NOTE])


def test_status_updates_move_the_referral_and_tell_the_school_once(app, casesim, delivered):
    la, setup, referral, item, manager = delivered
    casesim.store.set_status(item.case_reference, "acknowledged")
    casesim.store.set_status(item.case_reference, "decided", decision={
        "outcome": "early_help", "rag": "amber", "reasons": "Internal reasons", "feedback_for_school": "Early help offered."})
    assert pull_la(la.id, "w1", force=True) == "pulled"
    # Read the whole feed again from the start: nothing is stored twice.
    db.session.execute(PullState.__table__.update().values(cursor=None))
    db.session.commit()
    assert pull_la(la.id, "w1", force=True) == "pulled"
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "decided"
    assert db.session.execute(select(func.count(PulledUpdate.id))).scalar_one() == 2
    kinds = sorted(u.kind for u in _shared() if u.created_by_id is None and u.kind in ("acknowledgement", "decision"))
    decision = [u for u in _shared("decision") if "Early help offered." in repr(u.content)]
    assert len(decision) == 1
    assert "Internal reasons" not in repr(decision[0].content) and "amber" not in repr(decision[0].content)
    assert {"Case reference", "Decision"} <= {f["label"] for f in decision[0].content["facts"]}
    assert "decision" in kinds


def test_the_worker_pulls_on_its_schedule_and_records_the_last_success(app, casesim, delivered):
    la, setup, referral, item, manager = delivered
    set_sharing_policy(manager, la.id, ["status"])
    casesim.store.add_summary("938", item.person_id, {"status": "open_early_help", "start_date": "2025-02-01"})
    run_worker_once()
    state = db.session.execute(select(PullState)).scalar_one()
    assert state.last_success_at is not None and state.cursor and state.lease_owner is None
    assert len(_shared("case_summary")) == 1


def test_an_update_for_another_las_person_or_unknown_referral_is_not_matched(app, casesim, delivered):
    la, setup, referral, item, manager = delivered
    set_sharing_policy(manager, la.id, ["status"])
    other = make_la(code="939", name="Southmoor")
    from tests.connector.conftest import SECRET_939

    point_at(casesim, other, SECRET_939)
    # A person of Southmoor's feed with Northshire's person id cannot exist; a feed is per LA.
    pull_la(other.id, "w1", force=True)
    assert _shared("case_summary") == []
    db.session.execute(text("SELECT 1"))
