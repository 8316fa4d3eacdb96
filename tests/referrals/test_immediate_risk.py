"""'Immediate risk: yes' tells the DSL to phone 999 and the LA's duty line before anything else,
and flags the referral urgent."""

from __future__ import annotations

from portal.db import db
from portal.referrals import service as referrals
from tests.factories import make_la, make_referral, referring_school
from tests.signing_in import sign_in


def test_starting_a_referral_asks_about_immediate_risk_first(client, app):
    s = referring_school()
    sign_in(client, s.dsl)
    response = client.post(f"/referrals/new?pupil={s.pupil.id}", data={"start_token": "t1"})
    assert response.headers["Location"].endswith("/immediate-risk")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Is the child at immediate risk of significant harm?" in page


def test_yes_shows_the_call_999_page_at_once_and_flags_the_referral_urgent(client, app):
    s = referring_school()  # LA 938, Northshire: its duty line is in portal.referrals.duty
    referral = make_referral(s)
    sign_in(client, s.dsl)
    response = client.post(f"/referrals/{referral.id}/immediate-risk", data={"immediate_risk": "yes"})
    assert response.headers["Location"] == f"/referrals/{referral.id}/immediate-risk/call-now"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    main = page.split('id="main-content"')[1]
    assert main.index("999") < main.index("01632 960 938") < main.index("I have phoned")
    db.session.expire_all()
    assert referral.urgent is True

    # Every later page of the referral puts the message before anything else.
    for path in ("/task-list", "/child", "/reasons"):
        main = client.get(f"/referrals/{referral.id}{path}").get_data(as_text=True).split('id="main-content"')[1]
        assert "immediate-risk-warning" in main and "999" in main
        assert main.index("immediate-risk-warning") < main.index("<h1") or main.index("immediate-risk-warning") < main.index("<legend"), path
    assert "Urgent" in client.get("/referrals").get_data(as_text=True)


def test_no_keeps_the_referral_routine(client, app):
    s = referring_school()
    referral = make_referral(s)
    sign_in(client, s.dsl)
    client.post(f"/referrals/{referral.id}/immediate-risk", data={"immediate_risk": "yes"})
    response = client.post(f"/referrals/{referral.id}/immediate-risk", data={"immediate_risk": "no"})
    assert response.headers["Location"].endswith("/task-list")
    db.session.expire_all()
    assert referral.urgent is False
    assert "immediate-risk-warning" not in client.get(f"/referrals/{referral.id}/task-list").get_data(as_text=True)


def test_an_la_without_a_recorded_duty_line_shows_no_invented_number(client, app):
    s = referring_school(make_la(code="801", name="Elsewhere"))
    referral = make_referral(s)
    sign_in(client, s.dsl)
    client.post(f"/referrals/{referral.id}/immediate-risk", data={"immediate_risk": "yes"})
    page = client.get(f"/referrals/{referral.id}/immediate-risk/call-now").get_data(as_text=True)
    assert "999" in page and "Elsewhere’s children’s services duty line" in page and "01632" not in page


def test_an_urgent_referral_stays_urgent_when_submitted(client, app):
    s = referring_school()
    referral = referrals.submit_referral(make_referral(s, complete=True, urgent=True), s.dsl)
    assert referral.urgent is True
    sign_in(client, s.dsl)
    page = client.get(f"/referrals/{referral.id}/confirmation").get_data(as_text=True)
    assert "marked urgent" in page and "01632 960 938" in page
