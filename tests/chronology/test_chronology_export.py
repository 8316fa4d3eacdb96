"""The printable view and the court-bundle PDF: fit for a court bundle, audited, and leaking nothing.

The PDF is made by the jobs worker: `court_bundle` asks for it, runs one pass of the worker (the
job in its own child process) and downloads it, as its requester does."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select, update

from portal.audit.models import AuditEvent
from portal.auth.models import UserSession
from portal.chronology.service import chronology_for
from portal.chronology.sources import SOURCES
from portal.db import db
from tests.factories import make_concern, make_pupil, make_referral_record, make_review, make_update
from tests.jobs.running import ask_for_court_bundle, court_bundle
from tests.signing_in import sign_in

NOW = datetime.now(timezone.utc).replace(microsecond=0)
IDENTIFIERS = ("Amelia Hartley-Nkemelu", "Date of birth 9 March 2014", "UPN V938123456789")


def bundle_url(pupil) -> str:
    return f"/pupils/{pupil.id}/chronology/court-bundle"


def many_concerns(world, count: int, **content) -> list:
    concerns = [
        make_concern(world.school, world.pupil, world.staff, occurred_at=NOW - timedelta(hours=i + 1), commit=False,
                     account=content.get("account", f"Entry number {i}: " + "what was seen and heard. " * 6))
        for i in range(count)
    ]
    db.session.commit()
    return concerns


def pages_of(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    reader = PdfReader(io.BytesIO(response.data))
    # Running headers wrap at the page's width: compare text with its line breaks made spaces.
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def test_the_pdf_is_a_real_pdf_with_a_file_name_and_headers_that_keep_it_private(client, world):
    make_concern(world.school, world.pupil, world.staff)
    sign_in(client, world.dsl)

    response = court_bundle(client, world.pupil)

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="chronology-{world.pupil.id}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    # The document's metadata (shown by file managers and mail clients) names no child.
    metadata = PdfReader(io.BytesIO(response.data)).metadata
    assert "Hartley" not in str(metadata) and "Amelia" not in str(metadata)
    assert "OFFICIAL-SENSITIVE" in metadata.title


def test_every_page_carries_the_marking_the_pupils_identifiers_and_page_x_of_y(client, world):
    many_concerns(world, 25)
    sign_in(client, world.dsl)

    pages = pages_of(court_bundle(client, world.pupil))

    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, number  # top and bottom of every page
        for identifier in IDENTIFIERS:
            assert identifier in text, (number, identifier)
        assert f"Page {number} of {len(pages)}" in text
        assert "Produced by Dana Lead" in text


def test_the_page_count_grows_with_the_entries(client, world):
    sign_in(client, world.dsl)
    make_concern(world.school, world.pupil, world.staff)
    one = len(pages_of(court_bundle(client, world.pupil)))
    many_concerns(world, 10)
    eleven = len(pages_of(court_bundle(client, world.pupil)))
    many_concerns(world, 30)
    forty_one = len(pages_of(court_bundle(client, world.pupil)))

    assert one == 1
    assert one < eleven < forty_one


def test_the_pdf_says_who_produced_it_when_and_which_filters_were_applied(client, world):
    make_concern(world.school, world.pupil, world.staff, categories=["neglect"], account="Neglect seen",
                 occurred_at=datetime(2026, 1, 5, 10, tzinfo=timezone.utc))
    make_concern(world.school, world.pupil, world.staff, categories=["online_safety"], account="Online seen",
                 occurred_at=datetime(2026, 1, 6, 10, tzinfo=timezone.utc))
    sign_in(client, world.dsl)

    text = " ".join(pages_of(court_bundle(
        client, world.pupil, {"categories": "neglect", "date_from": ["1", "9", "2025"]}
    )))

    assert "Neglect seen" in text
    assert "Online seen" not in text
    assert f"Produced by Dana Lead ({world.school.name}) on " in text
    assert "Filters applied Categories: Neglect Dates: from 1 September 2025" in text
    assert "5 January 2026 at 10am" in text  # UK time (GMT in January), as GOV.UK writes times


def test_a_pupil_without_a_upn_has_name_and_date_of_birth_on_every_page(client, world):
    pupil = make_pupil(world.school, forename="Noor", surname="Quillfeather", born=date(2015, 6, 1))
    make_concern(world.school, pupil, world.staff)
    sign_in(client, world.dsl)

    (text,) = pages_of(court_bundle(client, pupil))

    assert "Noor Quillfeather · Date of birth 1 June 2015" in text
    assert "UPN Not recorded" in text


def test_asking_and_the_download_are_audited_the_download_as_the_export(client, world):
    make_concern(world.school, world.pupil, world.staff)
    sign_in(client, world.dsl)

    court_bundle(client, world.pupil, {"categories": "neglect"})

    events = db.session.execute(select(AuditEvent).where(AuditEvent.action.in_(
        ("chronology.export_asked", "chronology.export"))).order_by(AuditEvent.seq)).scalars().all()
    assert [(e.action, e.actor_id, e.object_type, e.object_id, e.detail) for e in events] == [
        ("chronology.export_asked", world.dsl.id, "pupil", str(world.pupil.id), "pdf_filtered"),
        ("chronology.export", world.dsl.id, "pupil", str(world.pupil.id), "pdf_filtered"),
    ]


def test_the_export_needs_a_recent_password_and_code(client, world):
    make_concern(world.school, world.pupil, world.staff)
    sign_in(client, world.dsl)
    db.session.execute(
        update(UserSession).where(UserSession.user_id == world.dsl.id).values(authenticated_at=NOW - timedelta(minutes=20))
    )
    db.session.commit()

    response = client.get(bundle_url(world.pupil), query_string={"categories": "neglect"})
    asked = ask_for_court_bundle(client, world.pupil, {"categories": "neglect"})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/re-authenticate?next=")
    assert "court-bundle" in response.headers["Location"]
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/re-authenticate?next=")
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action.like("chronology.export%"))).first() is None
    # Viewing (not exporting) needs no re-authentication.
    assert client.get(f"/pupils/{world.pupil.id}/chronology").status_code == 200


def test_another_schools_dsl_is_refused_before_being_asked_to_re_authenticate(client, world):
    sign_in(client, world.other_dsl)
    db.session.execute(update(UserSession).values(authenticated_at=NOW - timedelta(minutes=20)))
    db.session.commit()
    assert client.get(bundle_url(world.pupil)).status_code == 404
    assert ask_for_court_bundle(client, world.pupil).status_code == 404


def test_text_typed_into_a_record_is_printed_as_text_and_never_fetched(client, world, monkeypatch, tmp_path):
    from portal.chronology import pdf

    # The PDF is made in the worker's child process: what it would fetch is written to a file.
    fetched = tmp_path / "fetched"

    def fetch(self, url, headers=None):
        with fetched.open("a") as out:
            out.write(url + "\n")

    monkeypatch.setattr(pdf._NoFetching, "fetch", fetch)
    make_concern(world.school, world.pupil, world.staff,
                 account='<img src="http://127.0.0.1:9/leak.png"> <link rel="stylesheet" href="file:///etc/passwd"> said "stop"')
    sign_in(client, world.dsl)

    (text,) = pages_of(court_bundle(client, world.pupil))

    compact = text.replace(" ", "")
    assert '<imgsrc="http://127.0.0.1:9/leak.png">' in compact
    assert 'href="file:///etc/passwd">said"stop"' in compact
    assert not fetched.exists()


def test_the_printable_view_has_the_document_and_is_audited(client, world):
    make_concern(world.school, world.pupil, world.staff, account="Printed account")
    sign_in(client, world.dsl)

    response = client.get(f"/pupils/{world.pupil.id}/chronology/print", query_string={"categories": "neglect"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Printed account" in html
    assert "OFFICIAL-SENSITIVE" in html
    assert "Amelia Hartley-Nkemelu · Date of birth 9 March 2014 · UPN V938123456789" in html
    assert "Categories: Neglect" in html
    assert "Produced by Dana Lead" in html
    assert "chronology-print.css" in html
    assert "Hide screen" in html
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "chronology.print")).scalar_one()
    assert event.object_id == str(world.pupil.id)


def test_wrong_filters_on_the_print_view_or_pdf_go_back_to_the_page_to_be_corrected(client, world):
    sign_in(client, world.dsl)
    for suffix in ("/chronology/print", "/chronology/court-bundle"):
        response = client.get(f"/pupils/{world.pupil.id}{suffix}", query_string={"date_from": ["31", "2", "2026"]})
        assert response.status_code == 302
        assert response.headers["Location"].startswith(f"/pupils/{world.pupil.id}/chronology?")
    # A tampered form asks for no bundle, and its CSRF token never reaches an address.
    response = ask_for_court_bundle(client, world.pupil, {"date_from": ["31", "2", "2026"]})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/pupils/{world.pupil.id}/chronology?")
    assert "csrf" not in response.headers["Location"]


def test_a_300_entry_chronology_renders_on_the_page_in_print_and_as_a_pdf(client, world):
    concerns = many_concerns(world, 150)
    for i, concern in enumerate(concerns[:100]):
        make_review(concern, world.dsl, at=concern.occurred_at + timedelta(minutes=30), commit=False)
    for i in range(50):
        make_update(world.school, world.pupil, created_at=NOW - timedelta(days=i, minutes=7), title=f"Note {i}",
                    commit=False)
    db.session.commit()
    sign_in(client, world.dsl)

    html = client.get(f"/pupils/{world.pupil.id}/chronology").get_data(as_text=True)
    assert "300 entries, newest first" in html
    assert client.get(f"/pupils/{world.pupil.id}/chronology/print").status_code == 200
    pages = pages_of(court_bundle(client, world.pupil))
    assert len(pages) > 20
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert "End of chronology" in pages[-1]


def count_queries(fn) -> int:
    """Statements sent to the database by fn(), not counting the keyring's (tests re-read the
    keyring on every decryption; in production it is cached)."""
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "crypto_data_key" not in statement:
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return len(statements)


def _records(world, pupil, n: int) -> None:
    other = make_pupil(world.school)
    for i in range(n):
        concern = make_concern(world.school, pupil, world.staff, occurred_at=NOW - timedelta(days=i + 1),
                               others=[(other, "witness")], commit=False)
        make_review(concern, world.dsl, at=NOW - timedelta(days=i), commit=False)
        referral = make_referral_record(world.school, pupil, world.dsl, submitted_at=NOW - timedelta(days=i), concerns=[concern],
                                 events=[("acknowledged", NOW - timedelta(days=i, hours=-1), world.triage)], commit=False)
        make_update(world.school, pupil, kind="decision", referral=referral, by=world.triage,
                    created_at=NOW - timedelta(days=i, hours=-2), commit=False)
    db.session.commit()


def test_the_number_of_queries_does_not_grow_with_the_number_of_entries(app, world):
    few, many = make_pupil(world.school), make_pupil(world.school)
    _records(world, few, 2)
    _records(world, many, 25)

    def fresh(pupil):
        # Nothing left in the session from making the records; the viewer and the pupil are
        # loaded already, as they are in a request by the time the chronology is asked for.
        db.session.expire_all()
        assert world.dsl.is_active and pupil.school_id
        return count_queries(lambda: chronology_for(pupil, world.dsl))

    few_queries, many_queries = fresh(few), fresh(many)

    assert len(chronology_for(many, world.dsl)) == 25 * 5
    assert many_queries == few_queries
    # Concerns with this pupil's roles, versions, reviews, referrals, their concern links, their
    # status events, shared updates, the people named: one query each (8), and a few for the
    # adapters other areas register (transfers).
    assert many_queries <= 8 + 2 * (len(SOURCES) - 6)
