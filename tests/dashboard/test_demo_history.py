"""The demo gives the council dashboard twelve weeks to show: referrals received, decided (most
within one working day, some not), with their outcomes, re-referrals and a few sent on by another
council, spread over every week of the default period; and seeding again changes nothing."""

from __future__ import annotations

from flask_login import login_user
from sqlalchemy import func, select

from portal.auth.models import User
from portal.dashboard import service as dashboard
from portal.db import db
from portal.referrals.models import Referral
from portal.triage.models import TriageDecision, TriageItem
from portal.updates.models import SharedUpdate


def _counts():
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (Referral, TriageItem, TriageDecision, SharedUpdate))


def test_the_demo_spreads_referrals_decisions_and_outcomes_over_twelve_weeks(app):
    from demo.cli import seed

    seed()
    before = _counts()
    seed()
    assert _counts() == before  # idempotent

    manager = db.session.execute(select(User).where(User.email == "manager@northshire.demo")).scalar_one()
    with app.test_request_context():
        login_user(manager)
        board = dashboard.dashboard_for(manager)
    weeks = board.tables["sources"].rows
    assert len(weeks) == 12
    received = [row[-1] for row in weeks]
    assert sum(1 for n in received if n) >= 11, received  # every week but perhaps one has referrals
    assert sum(row[2] for row in weeks) >= 1  # some were sent on by another council
    decided = [row[1] for row in board.tables["timeliness"].rows]
    assert sum(1 for n in decided if n) >= 11, decided
    assert 0 < board.on_time < board.decided  # most on time, not all
    assert board.median_hours is not None
    assert len(board.tables["outcomes"].rows) >= 5  # several outcomes, and those still awaiting one
    assert board.re_referrals >= 1
    assert len(board.tables["schools"].rows) >= 3

    # The school's weeks-old news has been read; only the recent is waiting.
    dsl = db.session.execute(select(User).where(User.email == "dsl@oakfield.demo")).scalar_one()
    from portal.updates.service import unread_count

    assert unread_count(dsl) < 15
