"""The rough edges a new user met (issue 19), each held by a test."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField

from portal.files import service as files
from portal.files.service import FileRefused, store_upload
from portal.pupils.forms import ADDRESS_MAX_LENGTH
from portal.referrals.form_definition import CHILD
from portal.templating import UK, uk_datetime, uk_deadline
from tests.factories import council, school_with_people, submitted_referral
from tests.signing_in import sign_in

ROOT = Path(__file__).resolve().parents[2]


# --- times written as GOV.UK writes them ---------------------------------------------------------


def test_times_are_written_as_the_gov_uk_style_guide_says():
    assert uk_datetime(datetime(2026, 12, 8, 9, 0, tzinfo=UK)) == "8 December 2026 at 9am"
    assert uk_datetime(datetime(2026, 12, 8, 17, 30, tzinfo=UK)) == "8 December 2026 at 5:30pm"
    assert uk_datetime(datetime(2026, 12, 8, 12, 0, tzinfo=UK)) == "8 December 2026 at midday"
    # 00:00 on the 8th is the end of the 7th: never "8 December 2026 at 12:00am".
    assert uk_datetime(datetime(2026, 12, 8, 0, 0, tzinfo=UK)) == "7 December 2026 at midnight"
    assert uk_deadline(datetime(2026, 12, 8, 17, 0, tzinfo=UK)) == "by 5pm on Tuesday 8 December 2026"
    assert uk_deadline(datetime(2026, 12, 8, 0, 0, tzinfo=UK)) == "by midnight on Monday 7 December 2026"


def test_a_referral_received_on_a_saturday_shows_its_due_time_in_words(client, app):
    c = council()
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=UK)
    referral = submitted_referral(c, submitted_at=saturday)
    sign_in(client, c.worker)
    page = client.get(f"/triage/referrals/{referral.id}").get_data(as_text=True)
    assert "12:00am" not in page and re.search(r"by (midnight|\d{1,2}(:\d\d)?[ap]m|midday) on [A-Z][a-z]+day \d", page)


# --- the triage decision preview -----------------------------------------------------------------


def test_the_decision_preview_refuses_another_authority_with_none_chosen(client, app):
    c = council()
    referral = submitted_referral(c)
    sign_in(client, c.worker)
    preview = client.post(f"/triage/referrals/{referral.id}/decision", data={
        "outcome": "referred_to_another_la", "rag": "amber", "reasons": "Lives in another area",
        "feedback": "Passed to the right council", "stage": "preview"})
    assert preview.status_code == 400
    assert "Select the local authority to send the referral to" in preview.get_data(as_text=True)


# --- attachments ---------------------------------------------------------------------------------


def test_a_text_attachment_is_served_with_one_charset(app, monkeypatch):
    with app.test_request_context():
        stored = store_upload(io.BytesIO(b"What she said, in her words.\n"), filename="note.txt")
        monkeypatch.setattr(files, "record_download", lambda *args: None)
        monkeypatch.setattr(files, "read_chunks", lambda stored: iter([b"x"]))
        response = files.attachment_response(stored, "anything", None)
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_smaller_than_the_limit_means_a_file_of_exactly_the_limit_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_MAX_BYTES", 1024)
    with app.test_request_context():
        store_upload(io.BytesIO(b"a" * 1023), filename="a.txt")
        # A copy of a stored file (a transfer's) passes its own size as the largest it may be.
        store_upload(io.BytesIO(b"a" * 1024), filename="copy.txt", limit=1024)
        try:
            store_upload(io.BytesIO(b"a" * 1024), filename="b.txt")
        except FileRefused as refused:
            assert refused.code == "too_large" and "smaller than 1KB" in refused.message
        else:
            raise AssertionError("a file of exactly the limit was kept")


def test_an_upload_over_the_request_limit_returns_to_the_attachment_step_with_the_error(client, app):
    s = school_with_people()
    sign_in(client, s.staff)
    client.get("/concerns/new/attachments")
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        response = client.post("/concerns/new/attachments", data={
            "action": "upload", "files": [(io.BytesIO(b"x" * 5000), "big.txt")]},
            content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024
    assert response.status_code == 303 and "/concerns/new/attachments" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "govuk-error-summary" in page and "The selected file must be smaller than" in page


# --- form messages and text ----------------------------------------------------------------------


class _Tampered(FlaskForm):
    class Meta:
        csrf = False

    one = SelectField("One", choices=[("a", "A")])
    many = SelectMultipleField("Many", choices=[("a", "A")])
    text = StringField("Text")


def test_tampered_choices_get_gov_uk_messages_that_do_not_echo_the_value(app):
    with app.test_request_context(method="POST", data={"one": "zzz", "many": ["0b2f-uuid"], "text": "a\x00b"}):
        form = _Tampered()
        assert not form.validate()
        assert form.errors["one"] == ["Select one of the options shown"]
        assert form.errors["many"] == ["Select only the options shown"]
        assert form.text.data == "ab"  # NUL bytes are never kept


def test_one_limit_for_the_home_address_on_the_pupil_form_and_the_referral(client, app):
    address = next(field for field in CHILD.fields if field.key == "address")
    assert address.max_length == ADDRESS_MAX_LENGTH
    s = school_with_people()
    sign_in(client, s.dsl)
    page = client.post("/pupils/new", data={
        "legal_forename": "Anya", "legal_surname": "Long", "date_of_birth": ["1", "2", "2015"],
        "address": "1 Long Road " * 10_000}).get_data(as_text=True)
    assert f"Home address must be {ADDRESS_MAX_LENGTH} characters or fewer" in page


def test_a_name_with_a_direction_override_is_refused(client, app):
    s = school_with_people()
    sign_in(client, s.dsl)
    page = client.post("/pupils/new", data={
        "legal_forename": "Anya\u202e", "legal_surname": "Stone", "date_of_birth": ["1", "2", "2015"]}
    ).get_data(as_text=True)
    assert "Legal first name must not include hidden characters" in page


def test_pages_never_show_characters_that_reorder_or_hide_text(app):
    with app.test_request_context():
        shown = render_template_string("<p>{{ name }}</p>", name="Evil\u202eEve\x00")
    assert shown == "<p>EvilEve</p>"


# --- make demo on another port -------------------------------------------------------------------


def test_make_demo_on_another_port_points_email_links_and_the_simulator_there():
    script = (ROOT / "scripts" / "demo.sh").read_text()
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    assert 'export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://$HOST:$PORT}"' in script
    assert "CASESIM_PORT=$(CASESIM_PORT) ./scripts/demo.sh" in makefile
    assert "make demo PORT=8080 CASESIM_PORT=8100" in readme
