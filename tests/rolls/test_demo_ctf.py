"""The demo's CTF walk-through, as a new user tries it (README, docs/rolls.md): Oakfield's DSL
imports the first file, imports it again (nothing changes), imports the second (exactly Oliver
leaving and one changed address), and sends Oliver's file to Riverside with the clock started."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from sqlalchemy import select

from demo.ctf import FIRST_FILE, SECOND_FILE, demo_files
from portal.auth.signin import find_user
from portal.db import db
from portal.pupils.models import Pupil
from portal.transfers.models import Transfer, TransferStatus
from tests.signing_in import sign_in

CTF_DIR = Path(__file__).resolve().parents[2] / "demo" / "ctf"


def _upload(client, name: str) -> str:
    content = (CTF_DIR / name).read_bytes()
    response = client.post("/pupils/import-ctf", data={"ctf": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def _confirm(client, url: str, data: dict | None = None) -> str:
    assert client.post(url, data=data or {}).status_code == 302
    run = client.get(url + "/run")
    return client.get(run.headers["Location"]).get_data(as_text=True)


def test_the_shipped_files_are_the_ones_the_generator_writes():
    for name, content in demo_files().items():
        assert (CTF_DIR / name).read_bytes() == content, f"run .venv/bin/python -m demo.ctf to rewrite {name}"


def test_the_demo_walk_through(app):
    from demo.cli import seed

    seed()
    db.session.commit()
    client = app.test_client()
    sign_in(client, find_user("dsl@oakfield.demo"))
    oliver = next(p for p in db.session.scalars(select(Pupil)) if p.legal_surname == "Brennan-Shaw")

    url = _upload(client, FIRST_FILE)
    preview = client.get(url).get_data(as_text=True)
    assert "24 new pupils to add" in preview and "0 probable matches for you to decide" in preview
    assert "0 pupils no longer on the roll" in preview  # everyone the seed put on the roll, by UPN
    _confirm(client, url)

    url = _upload(client, FIRST_FILE)
    preview = client.get(url).get_data(as_text=True)
    assert "There is nothing to import" in preview and "44 pupils already up to date" in preview
    _confirm(client, url)

    url = _upload(client, SECOND_FILE)
    preview = client.get(url).get_data(as_text=True)
    assert "1 pupils whose details change" in preview and "1 pupils no longer on the roll" in preview
    assert "0 new pupils to add" in preview and "5 Wren Gardens, Northtown" in preview
    assert "Oliver Brennan-Shaw" in preview and "Send it to Riverside Academy" in preview
    done = _confirm(client, url)
    assert "1 of their files are already addressed to the new school" in done

    db.session.expire_all()
    transfer = db.session.scalars(select(Transfer).where(Transfer.pupil_id == oliver.id)).one()
    assert transfer.status == TransferStatus.TO_SEND and transfer.leaving_date == date(2026, 12, 4)
    assert transfer.due_date == date(2026, 12, 11)
    leavers = client.get("/transfers/leavers").get_data(as_text=True)
    assert "Send the file to Riverside Academy" in leavers
    assert client.post(f"/transfers/{transfer.id}/send", data={"covering_note": "Call me."}).status_code == 302
    sign_in(client, find_user("dsl@riverside.demo"))
    home = client.get("/transfers").get_data(as_text=True)
    assert home.count("Oakfield Primary School") >= 2  # Zara's file and now Oliver's
