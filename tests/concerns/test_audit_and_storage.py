"""Every view and action on a concern is audited (with opaque ids only); attachments are checked
and their downloads audited; nothing a concern says is stored in plaintext."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from portal.audit.models import AuditEvent
from portal.concerns.models import Concern
from portal.db import db
from tests.factories import make_concern_as_logged, school_with_people
from tests.concerns.flowing import log_simple_concern, submit_token, when_fields
from tests.signing_in import sign_in

SECRET_WORDS = ["Thimbleweed", "Grackenthorpe", "Wobbleshank", "Plumtreehollow", "Fennimore"]


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars().all()


def test_logging_viewing_correcting_reviewing_and_downloading_are_audited(client):
    s = school_with_people()
    sign_in(client, s.staff)
    client.post("/concerns/new/pupil", data={"action": "continue", "pupil_id": str(s.pupil.id)})
    log_simple_concern(client, s.pupil, extras=["attachments"])
    client.post("/concerns/new/attachments", data={"action": "continue", "files": [(BytesIO(b"Typed notes\n"), "notes.txt")]},
                content_type="multipart/form-data")
    page = client.get("/concerns/new/check")
    client.post("/concerns/new/submit", data={"token": submit_token(page.text)})
    concern = db.session.execute(select(Concern)).scalar_one()
    [logged] = events("concern.log")
    assert logged.object_id == str(concern.id) and logged.actor_id == s.staff.id

    sign_in(client, s.dsl)
    client.get("/concerns")
    client.get("/concerns/review")
    client.get(f"/concerns/{concern.id}")
    client.get(f"/concerns/{concern.id}/review")
    download = client.get(f"/concerns/{concern.id}/attachments/{concern.attachments[0].id}")
    assert download.status_code == 200 and download.data == b"Typed notes\n"
    assert "attachment" in download.headers["Content-Disposition"]
    client.post(f"/concerns/{concern.id}/correct", data={**when_fields(), "categories": ["neglect"], "account": "More",
                                                         "action_taken": "Listened", "change_reason": "Added detail"})
    client.post(f"/concerns/{concern.id}/review", data={"outcome": "monitor", "reasons": "Watch at lunchtimes"})

    assert [e.object_id for e in events("concern.view")] == [str(concern.id)] * 2
    assert events("concern.list")[0].object_id == str(s.school.id)
    assert events("concern.review_queue")[0].object_id == str(s.school.id)
    assert events("attachment.download")[0].object_id == str(concern.attachments[0].stored_file_id)
    assert events("concern.correct")[0].detail == "version_2"
    assert events("concern.review")[0].detail == "monitor"
    for event in db.session.execute(select(AuditEvent)).scalars():
        for value in (event.object_id, event.detail, event.object_type):
            assert not value or ("Zephyrine" not in value and "Quillfeather" not in value and "Watch" not in value)


def test_refused_attachment_types_and_sizes_are_explained(client, app, monkeypatch):
    s = school_with_people()
    sign_in(client, s.staff)
    page = client.post("/concerns/new/attachments", data={"action": "upload", "files": [(BytesIO(b"MZ\x90\x00\x03binary"), "game.exe")]},
                       content_type="multipart/form-data")
    assert "game.exe: The selected file must be a PDF, JPG, PNG, Word document (DOCX) or text file" in page.text
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_MAX_BYTES", 10)
    page = client.post("/concerns/new/attachments", data={"action": "upload", "files": [(BytesIO(b"a long text file\n" * 3), "long.txt")]},
                       content_type="multipart/form-data")
    assert "long.txt: The selected file must be smaller than" in page.text


def test_a_draft_attachment_can_be_removed(client):
    s = school_with_people()
    sign_in(client, s.staff)
    client.post("/concerns/new/attachments", data={"action": "upload", "files": [(BytesIO(b"Typed notes\n"), "first.txt")]},
                content_type="multipart/form-data")
    page = client.get("/concerns/new/attachments").text
    assert "first.txt" in page
    import re

    file_id = re.search(r'value="remove:([0-9a-f-]+)"', page).group(1)
    client.post("/concerns/new/attachments", data={"action": f"remove:{file_id}"})
    assert "first.txt" not in client.get("/concerns/new/attachments").text


def _store_secret_concern(client):
    s = school_with_people()
    sign_in(client, s.staff)
    page = log_simple_concern(client, s.pupil, account=f"{SECRET_WORDS[0]} told me about {SECRET_WORDS[1]}",
                              extras=["body_map"])
    client.post("/concerns/new/body-map", data={"body_regions": ["front_chest"], "note_front_chest": SECRET_WORDS[2]})
    page = client.get("/concerns/new/check")
    client.post("/concerns/new/submit", data={"token": submit_token(page.text)})
    concern = db.session.execute(select(Concern)).scalar_one()
    client.post(f"/concerns/{concern.id}/correct", data={**when_fields(), "categories": ["neglect"], "account": "Changed",
                                                         "action_taken": "Listened", "change_reason": SECRET_WORDS[3]})
    sign_in(client, s.dsl)
    client.post(f"/concerns/{concern.id}/review", data={"outcome": "monitor", "reasons": SECRET_WORDS[4]})
    # and a draft in progress
    sign_in(client, s.other_staff)
    client.post("/concerns/new/what-happened", data={"account": SECRET_WORDS[0] + " again"})
    db.session.commit()


def _assert_absent(blob: bytes, where: str):
    for word in SECRET_WORDS:
        assert word.encode() not in blob, f"{word} found in {where}"


def test_the_sqlite_file_holds_none_of_the_concerns_words(client, app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    _store_secret_concern(client)
    db.session.close()
    db.engine.dispose()
    path = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    assert path.exists()
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if candidate.exists():
            _assert_absent(candidate.read_bytes(), candidate.name)


def test_a_postgresql_dump_holds_none_of_the_concerns_words(client, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    _store_secret_concern(client)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
         "-U", url.username or "postgres", url.database],
        capture_output=True, check=True, env={"PGPASSWORD": url.password or "", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert b"concern_version" in dump
    _assert_absent(dump, "the PostgreSQL dump")
