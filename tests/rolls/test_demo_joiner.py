"""The demo's joiner walk (docs/rolls.md), as a new user tries it: Zara's child protection file,
sent by Oakfield, waits at Riverside; Riverside's DSL imports the CTF that came with her
(`demo/ctf/riverside-joiner-zara.xml`), sees her file offered, imports her and opens the file
from the confirmation to accept it."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select

from demo.ctf import JOINER_FILE, ZARA_UPN
from demo.pupils import DEMO_PUPILS
from portal.auth.signin import find_user
from portal.db import db
from portal.orgs.service import get_school_by_urn
from portal.pupils.identifiers import validate_upn
from portal.pupils.models import Pupil
from portal.transfers.models import Transfer, TransferStatus
from tests.signing_in import sign_in

CTF_DIR = Path(__file__).resolve().parents[2] / "demo" / "ctf"


def test_zara_has_a_valid_upn_and_her_joining_file_carries_it():
    [zara] = [row for row in DEMO_PUPILS if row[1] == "Zara"]
    assert zara[6] == ZARA_UPN == validate_upn(ZARA_UPN)
    content = (CTF_DIR / JOINER_FILE).read_bytes()
    assert ZARA_UPN.encode() in content and b"<DestSchool><LEA>938</LEA><Estab>4001</Estab>" in content


def test_the_demo_joiner_walk(app):
    from demo.cli import seed

    seed()
    db.session.commit()
    riverside = get_school_by_urn("938002")
    zara = next(p for p in db.session.scalars(select(Pupil)) if p.legal_forename == "Zara")
    assert zara.upn == ZARA_UPN
    transfer = db.session.scalars(select(Transfer).where(Transfer.pupil_id == zara.id)).one()
    assert transfer.to_school_id == riverside.id and transfer.status == TransferStatus.PENDING

    client = app.test_client()
    sign_in(client, find_user("dsl@riverside.demo"))
    content = (CTF_DIR / JOINER_FILE).read_bytes()
    response = client.post("/pupils/import-ctf", data={"ctf": (io.BytesIO(content), JOINER_FILE)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    url = response.headers["Location"]
    preview = client.get(url).get_data(as_text=True)
    assert "1 new pupils to add" in preview and "0 pupils no longer on the roll" in preview
    assert "1 child protection files waiting for pupils in this file" in preview
    assert f"/transfers/{transfer.id}" in preview and "the file sent by Oakfield Primary School" in preview

    assert client.post(url, data={}).status_code == 302
    run = client.get(url + "/run")
    done = client.get(run.headers["Location"]).get_data(as_text=True)
    assert f"/transfers/{transfer.id}" in done and "Open the file sent by Oakfield Primary School" in done
    db.session.expire_all()
    joined = [p for p in db.session.scalars(select(Pupil).where(Pupil.school_id == riverside.id)) if p.upn == ZARA_UPN]
    assert len(joined) == 1 and joined[0].legal_surname == "Okonkwo"

    # The file's own page, its checks unchanged, accepts it.
    assert client.get(f"/transfers/{transfer.id}").status_code == 200
    accepted = client.post(f"/transfers/{transfer.id}/accept")
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith(f"/transfers/{transfer.id}/match")
    # The record the CTF just added is offered as the same child (same UPN): the history goes on it.
    match = client.get(f"/transfers/{transfer.id}/match").get_data(as_text=True)
    assert f'value="{joined[0].id}"' in match and "Zara Okonkwo" in match
    assert client.post(f"/transfers/{transfer.id}/match", data={"pupil": str(joined[0].id)}).status_code == 302
    db.session.expire_all()
    accepted = db.session.get(Transfer, transfer.id)
    assert accepted.status == TransferStatus.ACCEPTED and accepted.receiving_pupil_id == joined[0].id

    # Importing it again adds nobody and offers nothing more.
    response = client.post("/pupils/import-ctf", data={"ctf": (io.BytesIO(content), JOINER_FILE)},
                           content_type="multipart/form-data")
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "There is nothing to import" in again and "child protection files waiting" not in again
