"""A DSL's home page is the day's work, most urgent first, each item linking to where it is done."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.db import db, utcnow
from portal.transfers import school_days
from portal.transfers.models import Transfer, TransferStatus
from tests.factories import (
    council,
    make_concern,
    make_pupil,
    make_update,
    submitted_referral,
)
from tests.signing_in import sign_in


def _transfer(school, pupil, by, *, due_in_days: int, status=TransferStatus.TO_SEND, to_school=None) -> Transfer:
    today = school_days.today_uk()
    transfer = Transfer(pupil_id=pupil.id, from_school_id=school.id, to_school_id=to_school.id if to_school else None,
                        destination_kind="school", status=status, leaving_date=today - timedelta(days=10),
                        due_date=today + timedelta(days=due_in_days), recorded_by_id=by.id)
    if status in (TransferStatus.PENDING, TransferStatus.VIEWED):
        transfer.sent_at = utcnow()
    db.session.add(transfer)
    db.session.commit()
    return transfer


def test_the_dsl_sees_what_is_waiting_most_urgent_first_each_linking_to_where_it_is_done(client, app):
    c = council()
    leaver = make_pupil(c.school, forename="Quillon", surname="Overdue")
    _transfer(c.school, leaver, c.dsl, due_in_days=-9)
    make_concern(c.school, make_pupil(c.school, forename="Rosalind", surname="Waiting"), c.staff, logged_at=utcnow() - timedelta(days=3, hours=1))
    referral = submitted_referral(c)
    update = make_update(c.school, make_pupil(c.school, forename="Ulrika", surname="Unread"), kind="decision",
                         referral=referral)

    sign_in(client, c.dsl)
    page = client.get("/home").get_data(as_text=True)

    assert "What needs doing" in page
    # Overdue files first, in red, with the clock in words.
    assert page.index("worklist-to-send") < page.index("worklist-concerns") < page.index("worklist-updates") \
        < page.index("worklist-referrals")
    assert "govuk-tag--red" in page and "Quillon Overdue" in page and "school days overdue" in page
    # Concerns: count and the oldest's age.
    assert "1 concern awaiting review" in page and "3 days ago" in page
    assert 'href="/concerns/review"' in page or "/concerns/review" in page
    # Unread updates: the kind, the child and the referral's reference, linking to the update.
    assert f"/updates/{update.id}" in page and "Ulrika Unread" in page and referral.reference in page
    assert "Decision" in page
    # Referrals with their status.
    assert f"/referrals/{referral.id}" in page and "Acknowledged" in page


def test_a_transfer_due_later_shows_the_school_days_left_and_is_not_marked_overdue(client, app):
    c = council()
    _transfer(c.school, make_pupil(c.school, forename="Tobias", surname="Leaving"), c.dsl, due_in_days=30)
    sign_in(client, c.dsl)
    page = client.get("/home").get_data(as_text=True)
    assert "Tobias Leaving" in page and "school days left" in page
    assert "portal-worklist-overdue" not in page


def test_files_waiting_for_receipt_are_listed_by_the_sending_school_without_the_child(client, app):
    c = council()
    other = council(code="939", name="Southmoor")
    pupil = make_pupil(other.school, forename="Wilhelmina", surname="Incoming")
    transfer = _transfer(other.school, pupil, other.dsl, due_in_days=3, status=TransferStatus.PENDING,
                         to_school=c.school)
    sign_in(client, c.dsl)
    page = client.get("/home").get_data(as_text=True)
    assert "1 child protection file is waiting for you to confirm receipt" in page
    assert f"/transfers/{transfer.id}" in page and other.school.name in page
    assert "Wilhelmina" not in page


def test_the_worklist_names_only_the_schools_own_children_and_its_read_is_audited(client, app):
    c = council()
    other = council(code="939", name="Southmoor")
    make_concern(other.school, make_pupil(other.school, forename="Xanthe", surname="Elsewhere"), other.staff)
    make_update(c.school, make_pupil(c.school, forename="Yusuf", surname="Ours"))
    sign_in(client, c.dsl)
    page = client.get("/home").get_data(as_text=True)
    assert "Yusuf Ours" in page and "Xanthe" not in page and "concern awaiting review" not in page
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "home.worklist")).scalars().first()


def test_nothing_waiting_says_so(client, app):
    c = council()
    sign_in(client, c.dsl)
    page = client.get("/home").get_data(as_text=True)
    assert "Nothing is waiting for you" in page


def test_staff_and_council_people_get_their_own_home_not_a_dsl_worklist(client, app):
    c = council()
    make_concern(c.school, make_pupil(c.school, forename="Zelda", surname="Hidden"), c.staff)
    for user in (c.staff, c.worker, c.manager, c.admin):
        sign_in(client, user)
        page = client.get("/home").get_data(as_text=True)
        assert "What needs doing" not in page and "Zelda" not in page


def test_the_hide_screen_control_is_on_every_signed_in_page(client, app):
    c = council()
    for user, path in ((c.dsl, "/home"), (c.staff, "/home"), (c.manager, "/home"), (c.dsl, "/account/password")):
        sign_in(client, user)
        page = client.get(path).get_data(as_text=True)
        assert "data-portal-hide-screen" in page and "hide-screen.js" in page, path
    signed_out = app.test_client()
    assert "data-portal-hide-screen" not in signed_out.get("/accessibility").get_data(as_text=True)


def test_the_updates_inbox_rows_say_the_child_the_reference_and_the_kind(client, app):
    c = council()
    referral = submitted_referral(c)
    child = make_pupil(c.school, forename="Violetta", surname="Inbox")
    update = make_update(c.school, child, kind="case_summary", referral=referral)
    other = council(code="939", name="Southmoor")
    make_update(other.school, make_pupil(other.school, forename="Wendell", surname="Elsewhere"))
    sign_in(client, c.dsl)
    page = client.get("/updates").get_data(as_text=True)
    row = page[page.index(f"/updates/{update.id}"):]
    row = row[:row.index("</tr>")]
    assert "Violetta Inbox" in row and referral.reference in row and "Case summary" in row
    assert "Wendell" not in page
