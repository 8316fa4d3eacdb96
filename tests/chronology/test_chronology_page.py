"""The chronology page: what it shows, in which order, to whom, and with which filters."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.db import db
from tests.factories import correct_concern, make_concern, make_pupil, make_referral_record, make_review, make_update
from tests.signing_in import sign_in

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def url(pupil, suffix: str = "") -> str:
    return f"/pupils/{pupil.id}/chronology{suffix}"


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def positions(html: str, *needles: str) -> list[int]:
    found = []
    for needle in needles:
        index = html.find(needle)
        assert index >= 0, f"{needle!r} not on the page"
        found.append(index)
    return found


def entry_blocks(html: str) -> list[str]:
    return re.findall(r'<li class="portal-chronology__entry.*?</li>', html, flags=re.S)


def test_entries_are_newest_first_and_a_backdated_concern_takes_its_place_by_when_it_happened(client, world):
    make_concern(world.school, world.pupil, world.staff, occurred_at=days_ago(1), account="Recent: bruise on arm.")
    make_concern(world.school, world.pupil, world.staff, occurred_at=days_ago(5), account="Middle: no coat in snow.")
    # Logged just now, but about something that happened a week ago.
    make_concern(
        world.school, world.pupil, world.staff, occurred_at=days_ago(7), logged_at=NOW, account="Backdated: told a friend."
    )
    sign_in(client, world.dsl)

    html = page_text(client.get(url(world.pupil)))

    recent, middle, backdated = positions(html, "Recent: bruise", "Middle: no coat", "Backdated: told")
    assert recent < middle < backdated
    assert "3 entries, newest first" in html


def test_every_kind_of_record_appears_with_who_did_it(client, world):
    concern = make_concern(world.school, world.pupil, world.staff, occurred_at=days_ago(10), categories=["neglect"])
    correct_concern(concern, world.dsl, reason="Wrong room recorded", at=days_ago(9), location="Dining hall")
    make_review(concern, world.deputy, outcome="refer_to_la", reasons="Pattern over the term", at=days_ago(8))
    referral = make_referral_record(
        world.school,
        world.pupil,
        world.dsl,
        submitted_at=days_ago(7),
        concerns=[concern],
        events=[("acknowledged", days_ago(6), world.triage), ("decided", days_ago(5), world.triage)],
    )
    make_update(world.school, world.pupil, kind="decision", referral=referral, by=world.triage, created_at=days_ago(5),
                title="Decision on your referral", outcome="early_help", feedback_for_school="Early help offered.")
    make_update(world.school, world.pupil, kind="case_summary", created_at=days_ago(2), title="Case summary",
                status="child_in_need", allocated_worker="R. Social Worker")
    make_referral_record(world.school, world.pupil, world.dsl, status="draft", summary="Unsent draft text")
    sign_in(client, world.dsl)

    html = page_text(client.get(url(world.pupil)))

    for text in (
        "Neglect",  # the concern, by its category
        "Concern corrected",
        "Wrong room recorded",
        "Dining hall",  # the concern shows its latest version
        "Refer to the local authority",
        "Pattern over the term",
        "Referral " + referral.reference + " submitted",
        referral.reference,
        "Referral " + referral.reference + " acknowledged",
        "Referral " + referral.reference + " decided",
        "Decision on your referral",
        "Early help offered.",
        "Case summary",
        "Child in need",
        "R. Social Worker",
        "By Sam Staff",
        "By Dev Deputy",
        # LA staff are named with their organisation; the school's own staff are not.
        f"By Tara Triage ({world.la.name})",
        "By The local authority",
    ):
        assert text in html, text
    # A draft referral has been sent to nobody: it is not part of the record.
    assert "Unsent draft text" not in html
    assert len(entry_blocks(html)) == 8


def test_each_linked_pupil_sees_the_concern_with_their_own_role_only(client, world):
    victim = make_pupil(world.school, forename="Vera")
    perpetrator = make_pupil(world.school, forename="Percy")
    witness = make_pupil(world.school, forename="Wendy")
    make_concern(
        world.school,
        victim,
        world.staff,
        others=[(perpetrator, "alleged_perpetrator"), (witness, "witness")],
        account="Pushed over at break.",
    )
    sign_in(client, world.dsl)
    roles = {
        victim: "Subject of the concern",
        perpetrator: "Alleged perpetrator",
        witness: "Witness",
    }
    for pupil, own in roles.items():
        html = page_text(client.get(url(pupil)))
        assert "Pushed over at break." in html
        assert own in html
        for other in set(roles.values()) - {own}:
            assert other not in html, (own, other)


def test_a_concern_about_another_pupil_is_not_on_this_chronology(client, world):
    someone_else = make_pupil(world.school)
    make_concern(world.school, someone_else, world.staff, account="About someone else entirely.")
    sign_in(client, world.dsl)

    html = page_text(client.get(url(world.pupil)))

    assert "About someone else entirely." not in html
    assert "0 entries" in html
    assert "Nothing has been recorded about this pupil yet." in html


def test_category_filter_keeps_only_entries_about_those_categories(client, world):
    neglect = make_concern(world.school, world.pupil, world.staff, occurred_at=days_ago(3), categories=["neglect"],
                           account="Neglect account")
    make_review(neglect, world.dsl, outcome="monitor", reasons="Watch lunch", at=days_ago(2))
    make_concern(world.school, world.pupil, world.staff, occurred_at=days_ago(4), categories=["online_safety"],
                 account="Online account")
    make_concern(world.school, world.pupil, world.staff, occurred_at=days_ago(5), categories=["self_harm", "neglect"],
                 account="Both account")
    make_update(world.school, world.pupil, kind="note", title="General note", created_at=days_ago(1))
    sign_in(client, world.dsl)

    html = page_text(client.get(url(world.pupil), query_string={"categories": "neglect"}))

    assert "Neglect account" in html and "Watch lunch" in html and "Both account" in html
    assert "Online account" not in html
    assert "General note" not in html  # an update about no concern is not "about neglect"
    assert "3 entries match the filters" in html
    assert 'value="neglect" checked' in html

    html = page_text(client.get(url(world.pupil), query_string={"categories": ["online_safety", "self_harm"]}))
    assert "Online account" in html and "Both account" in html
    assert "Neglect account" not in html


def test_date_filter_keeps_whole_uk_days_inclusive(client, world):
    make_concern(world.school, world.pupil, world.staff, occurred_at=datetime(2026, 1, 10, 9, tzinfo=timezone.utc),
                 account="Tenth of January")
    make_concern(world.school, world.pupil, world.staff, occurred_at=datetime(2026, 2, 1, 23, 30, tzinfo=timezone.utc),
                 account="First of February late")
    # 00:30 on 1 July in London is 23:30 on 30 June in UTC: a UK day, not a UTC day.
    make_concern(world.school, world.pupil, world.staff, occurred_at=datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc),
                 account="Just after midnight in July")
    sign_in(client, world.dsl)

    html = page_text(
        client.get(url(world.pupil), query_string={"date_from": ["10", "1", "2026"], "date_to": ["1", "2", "2026"]})
    )
    assert "Tenth of January" in html and "First of February late" in html
    assert "Just after midnight in July" not in html

    html = page_text(client.get(url(world.pupil), query_string={"date_from": ["1", "7", "2026"]}))
    assert "Just after midnight in July" in html
    assert "Tenth of January" not in html

    html = page_text(client.get(url(world.pupil), query_string={"date_to": ["31", "1", "2026"]}))
    assert "Tenth of January" in html
    assert "First of February late" not in html


@pytest.mark.parametrize(
    "query, message",
    [
        ({"date_from": ["", "3", "2026"]}, "Date from must include a day"),
        ({"date_from": ["31", "2", "2026"]}, "Date from must be a real date"),
        ({"date_to": ["1", "x", "2026"]}, "Date to must be a real date"),
        ({"date_from": ["2", "3", "2026"], "date_to": ["1", "3", "2026"]}, "Date to must be the same as or after date from"),
        ({"categories": "not_a_category"}, "Select categories from the list"),
    ],
)
def test_wrong_filters_are_shown_with_a_clear_message_and_what_was_typed(client, world, query, message):
    make_concern(world.school, world.pupil, world.staff, account="Should not show while filters are wrong")
    sign_in(client, world.dsl)

    html = page_text(client.get(url(world.pupil), query_string=query))

    assert "govuk-error-summary" in html
    assert message in html
    assert "Correct the filters to see the chronology." in html
    assert "Should not show while filters are wrong" not in html
    if query.get("date_from") == ["31", "2", "2026"]:
        assert 'value="31"' in html


def test_print_and_pdf_links_carry_the_filters(client, world):
    sign_in(client, world.dsl)
    html = page_text(
        client.get(url(world.pupil), query_string={"categories": "neglect", "date_from": ["1", "9", "2025"]})
    )
    assert f'href="/pupils/{world.pupil.id}/chronology/print?categories=neglect&amp;date_from=1&amp;date_from=9&amp;date_from=2025"' in html
    assert f'href="/pupils/{world.pupil.id}/chronology/court-bundle?categories=neglect&amp;date_from=1&amp;date_from=9&amp;date_from=2025"' in html


def test_the_page_offers_hide_screen_and_links_to_records_that_have_a_page(client, world):
    concern = make_concern(world.school, world.pupil, world.staff)
    sign_in(client, world.dsl)

    html = page_text(client.get(url(world.pupil)))

    assert "Hide screen" in html
    if client.application.url_map.bind("localhost").test(f"/concerns/{concern.id}", method="GET"):
        assert f'href="/concerns/{concern.id}"' in html


def test_a_deputy_dsl_sees_the_chronology(client, world):
    make_concern(world.school, world.pupil, world.staff, account="Seen by the deputy")
    sign_in(client, world.deputy)
    assert "Seen by the deputy" in page_text(client.get(url(world.pupil)))


def test_viewing_the_chronology_is_audited_without_personal_data(client, world):
    sign_in(client, world.dsl)
    page_text(client.get(url(world.pupil), query_string={"categories": "neglect"}))

    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "chronology.view")
    ).scalar_one()
    assert event.actor_id == world.dsl.id
    assert event.object_type == "pupil" and event.object_id == str(world.pupil.id)
    assert event.detail == "filtered"
    for value in (event.object_id, event.detail, event.object_type):
        assert "Amelia" not in value and "Hartley" not in value and "V938" not in value


def test_categories_are_the_codes_concerns_are_recorded_with(client, world):
    # "cse" is how the concerns flow records child sexual exploitation (portal.concerns.options).
    make_concern(world.school, world.pupil, world.staff, categories=["cse"], account="Older boyfriend with a car")
    make_concern(world.school, world.pupil, world.staff, categories=["neglect"], account="No coat")
    sign_in(client, world.dsl)

    html = page_text(client.get(url(world.pupil), query_string={"categories": "cse"}))

    assert "Older boyfriend with a car" in html and "No coat" not in html
    assert "Child sexual exploitation" in html
    assert 'value="cse" checked' in html


def test_the_service_accepts_the_contracts_spelling_of_a_category(app, world):
    from portal.chronology.service import chronology_for

    make_concern(world.school, world.pupil, world.staff, categories=["cse"])
    entries = chronology_for(world.pupil, world.dsl, categories={"child_sexual_exploitation"})
    assert [e.kind for e in entries] == ["concern"]
