"""The dashboard counts referrals by source (schools, and partner agencies by sector), and a
partner agency's referral about a child a school referred earlier is a re-referral (matched by
surname and date of birth, as the referrers gave them)."""

from __future__ import annotations

from flask_login import login_user

from portal.auth.roles import Role
from portal.dashboard import service as dashboard
from portal.orgs.models import AgencyKind
from portal.referrals import service as referrals
from tests.factories import (REFERRAL_PUPIL, agency_referral, agency_user, make_agency, make_referral, make_user,
                             referring_school)


def test_a_gp_s_referral_after_the_school_s_counts_by_source_and_as_a_re_referral(app):
    school = referring_school()
    referrals.submit_referral(make_referral(school, complete=True), school.dsl)
    surgery = make_agency(school.la, kind=AgencyKind.GP_PRACTICE, name="Elm Street Surgery")
    police = make_agency(school.la, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    child = {"forename": REFERRAL_PUPIL["forename"], "surname": REFERRAL_PUPIL["surname"].upper(),
             "born": REFERRAL_PUPIL["born"]}
    agency_referral(agency_user(surgery, Role.AGENCY_PROFESSIONAL), child=child)
    agency_referral(agency_user(police, Role.AGENCY_LEAD))  # another child
    manager = make_user(Role.TRIAGE_MANAGER, school.la)
    with app.test_request_context():
        login_user(manager)
        board = dashboard.dashboard_for(manager)
    assert board.total == 3
    assert board.re_referrals == 1  # the GP's, about the child the school referred
    assert dict((row[0], row[1]) for row in board.tables["sectors"].rows) == {"Schools": 1, "Health": 1, "Police": 1}
    sources = board.tables["sources"]
    assert sources.series == ["A school in the area", "Sent on by another local authority", "A partner agency"]
    assert sum(row[3] for row in sources.rows) == 2
    # A partner agency is not a school: the per-school table counts the school's one referral.
    assert [row[:2] for row in board.tables["schools"].rows] == [[school.school.name, 1]]
