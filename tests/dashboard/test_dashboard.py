"""The council dashboard: triage managers' charts (LA admins read them), with a table beside each
chart, a CSV of the same figures, a period and school filter, and SVG that carries no script."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.db import db, utcnow
from portal.triage.models import DecisionOutcome, ItemState, TriageItem
from tests.factories import council, make_pupil, make_school, submitted_referral
from tests.signing_in import sign_in


def _decide(referral, *, hours: float, outcome=DecisionOutcome.EARLY_HELP):
    item = db.session.execute(select(TriageItem).where(TriageItem.referral_id == referral.id)).scalar_one()
    item.decided_at = item.received_at + timedelta(hours=hours)
    item.outcome = outcome
    item.state = ItemState.DECIDED
    item.open = False
    db.session.commit()
    return item


@pytest.fixture
def northshire(app):
    c = council()
    now = utcnow()
    child = make_pupil(c.school, forename="Agatha", surname="Twice")
    first = submitted_referral(c, child, submitted_at=now - timedelta(days=40))
    _decide(first, hours=3, outcome=DecisionOutcome.NO_FURTHER_ACTION)
    again = submitted_referral(c, child, submitted_at=now - timedelta(days=2))
    _decide(again, hours=200, outcome=DecisionOutcome.SECTION_47_ENQUIRY)
    submitted_referral(c, make_pupil(c.school, forename="Bertram", surname="Waiting"), submitted_at=now - timedelta(days=1))
    return c


def test_a_triage_manager_sees_each_chart_with_its_figures_beside_it(client, northshire):
    sign_in(client, northshire.manager)
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for heading in ("Referrals received per week, by source", "Referrals by source", "Referrals by concern category",
                    "Share decided within one working day, per week", "Median time to decision, per week (hours)",
                    "Outcomes", "Re-referrals within 12 months, per week", "Referrals per school"):
        assert heading in page
    assert page.count('role="img"') == 8 and page.count("<caption") >= 8
    assert page.count("Download these figures (CSV)") == 8
    # The figures: 3 referrals, 2 decided, 1 within one working day, 1 re-referral, by outcome and school.
    assert re.search(r">3</span>referrals received", page)
    assert "50%</span>of 2 decided within one working day" in page
    assert re.search(r">1</span>re-referrals within 12 months", page)
    assert "Strategy discussion / section 47 enquiry" in page and "Awaiting a decision" in page
    assert "Neglect" in page and northshire.school.name in page
    # No child is named anywhere on the dashboard.
    assert "Agatha" not in page and "Bertram" not in page
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "dashboard.view")).scalars().first()


def test_the_charts_are_accessible_svg_with_no_script_or_inline_style(client, northshire):
    sign_in(client, northshire.manager)
    page = client.get("/dashboard").get_data(as_text=True)
    svgs = re.findall(r'<svg[^>]*class="portal-chart".*?</svg>', page, flags=re.S)
    assert len(svgs) == 8
    for svg in svgs:
        assert "<script" not in svg and "<style" not in svg and " style=" not in svg and " on" not in svg.lower().split("<title")[0]
        chart_id = re.search(r'id="(chart-[a-z_]+)"', svg).group(1)
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert f'<title id="{chart_id}-title">' in svg and f'<desc id="{chart_id}-desc">' in svg
    # No inline script anywhere on the page but the template's one, which carries the nonce.
    assert all("nonce=" in tag for tag in re.findall(r"<script(?![^>]*src=)[^>]*>", page))


def test_a_school_name_cannot_put_markup_into_a_chart(client, app):
    c = council(school_name="<script>alert(1)</script> Academy")
    submitted_referral(c)
    sign_in(client, c.manager)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_each_chart_downloads_the_same_figures_as_csv_and_the_export_is_audited(client, northshire):
    sign_in(client, northshire.manager)
    response = client.get("/dashboard/outcomes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert ["Outcome", "Referrals"] in rows
    assert ["No further action", "1"] in rows and ["Awaiting a decision", "1"] in rows
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "dashboard.export")).scalars().first()
    assert client.get("/dashboard/nonsense.csv").status_code == 404


def test_the_school_and_period_filters_narrow_the_figures(client, northshire):
    other = make_school(northshire.la, name="Quiet Fields School")
    sign_in(client, northshire.manager)
    page = client.get(f"/dashboard?school={other.id}").get_data(as_text=True)
    assert re.search(r">0</span>referrals received", page) and "Quiet Fields School" in page
    today = utcnow().date()
    recent = today - timedelta(days=5)
    page = client.get(f"/dashboard?start={recent.day}&start={recent.month}&start={recent.year}"
                      f"&end={today.day}&end={today.month}&end={today.year}").get_data(as_text=True)
    assert re.search(r">2</span>referrals received", page)
    csv_text = client.get(f"/dashboard/schools.csv?start={recent.day}&start={recent.month}&start={recent.year}"
                          f"&end={today.day}&end={today.month}&end={today.year}").get_data(as_text=True)
    assert f"{recent.isoformat()} to {today.isoformat()}" in csv_text


def test_wrong_filters_are_shown_as_errors_not_failures(client, northshire):
    elsewhere = council(code="939", name="Southmoor")
    sign_in(client, northshire.manager)
    for query in (f"school={elsewhere.school.id}", "school=not-a-school", "start=31&start=2&start=2026",
                  "start=1&start=1&start=2020&end=1&end=1&end=2026", "start=2&start=1&start=2026&end=1&end=1&end=2026"):
        response = client.get(f"/dashboard?{query}")
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        assert "govuk-error-summary" in page and elsewhere.school.name not in page, query


def test_an_la_admin_reads_the_dashboard(client, northshire):
    sign_in(client, northshire.admin)
    assert client.get("/dashboard").status_code == 200
    assert client.get("/dashboard/sources.csv").status_code == 200


@pytest.mark.parametrize("who", ["dsl", "staff", "worker"])
def test_every_other_role_is_refused(client, northshire, who):
    sign_in(client, getattr(northshire, who))
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/sources.csv").status_code == 403


def test_another_councils_manager_sees_only_their_own_figures(client, northshire):
    southmoor = council(code="939", name="Southmoor")
    sign_in(client, southmoor.manager)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Southmoor" in page and re.search(r">0</span>referrals received", page)
    assert northshire.school.name not in page


def test_signed_out_people_are_sent_to_sign_in(client, northshire):
    assert client.get("/dashboard").status_code in (302, 401)
