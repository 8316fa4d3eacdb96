"""The Operation Encompass notice the council's case system receives (contract v1,
POST {base}/v1/encompass-notices), byte for byte against a golden file, and its schema.

The golden is also the example in docs/connector-contract.md. To write it again after a
deliberate change to the contract:

    PORTAL_WRITE_SNAPSHOT_GOLDENS=1 .venv/bin/pytest tests/connector/test_encompass_notice_payload.py

and read the diff of the JSON file before committing it.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from portal.auth.roles import Role
from portal.connector.notice_outbox import build_notice_payload
from portal.connector.notice_payload import validate_notice_payload
from portal.connector.payload import canonical_json
from portal.db import db
from portal.encompass.models import EncompassChild, EncompassNotice, NoticeStatus
from portal.orgs.models import AgencyKind
from tests.factories import agency_user, make_agency, make_la, make_school

GOLDEN = Path(__file__).with_name("snapshot_goldens") / "encompass_notice.json"
WRITE = os.environ.get("PORTAL_WRITE_SNAPSHOT_GOLDENS") == "1"

NOTICE_ID = uuid.UUID("5b0c2f8e-3d41-4a7b-9a55-0e6f1c2d3b4a")
SENT_AT = datetime(2026, 11, 3, 6, 15, 2, tzinfo=timezone.utc)
INCIDENT_AT = datetime(2026, 11, 2, 21, 40, tzinfo=timezone.utc)
ROUTED_AT = datetime(2026, 11, 3, 6, 15, 12, tzinfo=timezone.utc)


def routed_notice():
    """A sent notice of two children at one address (invented): one delivered to Oakfield, one held."""
    la = make_la("938", "Northshire")
    oakfield = make_school(la, name="Oakfield Primary School", urn="938001", establishment_number="2001")
    police = make_agency(la, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    notifier = agency_user(police, Role.ENCOMPASS_NOTIFIER, password_hash="x")
    notice = EncompassNotice(id=NOTICE_ID, agency_id=police.id, local_authority_id=la.id, created_by_id=notifier.id,
                             status=NoticeStatus.SUBMITTED, submitted_at=SENT_AT, submitted_by_id=notifier.id,
                             incident_at=INCIDENT_AT)
    notice.police_reference = "NP/2026/004417"
    notice.other_agencies = "MASH informed by phone"
    first = EncompassChild(position=1, answered=True, routing="delivered", local_authority_id=la.id,
                           school_id=oakfield.id, routed_at=ROUTED_AT)
    first.forename, first.surname, first.date_of_birth = "Amelia", "Hartley-Nkemelu", date(2014, 3, 9)
    first.address = "14 Larkspur Close\nNorthtown NT2 5QP"
    first.school_given, first.upn = "Oakfield", "V938123456789"
    first.exposure, first.injured, first.injuries = ["present", "heard"], "no", None
    first.disclosure = "She said she hid under the bed with her brother."
    second = EncompassChild(position=2, answered=True, routing="held", held_reason="no_match",
                            local_authority_id=la.id, routed_at=ROUTED_AT)
    second.forename, second.surname, second.date_of_birth = "Theodric", "Hartley-Nkemelu", date(2017, 8, 21)
    second.address = "14 Larkspur Close\nNorthtown NT2 5QP"
    second.school_given, second.upn = None, None
    second.exposure, second.injured, second.injuries = ["saw"], "yes", "A bruise on his left arm."
    second.disclosure = None
    notice.children = [first, second]
    db.session.add(notice)
    db.session.flush()
    return notice


def test_the_payload_is_byte_for_byte_the_golden_and_follows_the_schema(app):
    payload = build_notice_payload(routed_notice())
    assert validate_notice_payload(payload) == []
    sent = canonical_json(payload)
    if WRITE:
        GOLDEN.write_text(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    assert sent == canonical_json(json.loads(GOLDEN.read_text()))


def test_each_child_says_where_it_went_and_the_council_learns_the_school(app):
    payload = build_notice_payload(routed_notice())
    at_school, held = payload["children"]
    assert at_school["routed_to"] == "school" and at_school["held_reason"] is None
    assert at_school["school"] == {"urn": "938001", "laestab": "9382001", "name": "Oakfield Primary School"}
    assert at_school["affected"] == {"present": True, "saw": False, "heard": True}
    assert held["routed_to"] == "held" and held["school"] is None and held["held_reason"] == "no_match"
    assert "upn" not in held  # given only when the police gave one
    assert payload["police"] == {"kind": "police_force", "name": "Northshire Police"}
    assert "pupil_id" not in json.dumps(payload)  # the pupil record matched is the portal's, not sent


def _golden() -> dict:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("change, problem", [
    (lambda p: p["children"][0].update(school=None), "children[0].school: required"),
    (lambda p: p["children"][1].update(school={"urn": "938001", "laestab": "9382001", "name": "X"}),
     "children[1].school: not_allowed"),
    (lambda p: p["children"][1].update(held_reason=None), "children[1].held_reason: required"),
    (lambda p: p["children"][0].update(held_reason="no_match"), "children[0].held_reason: not_allowed"),
    (lambda p: p["children"][0].update(routed_to="pupil"), "children[0].routed_to: not_allowed"),
    (lambda p: p["children"][0]["affected"].update(present=False, heard=False), "children[0].affected: too_few"),
    (lambda p: p["children"][0].update(upn="V938123456780"), "children[0].upn: invalid"),
    (lambda p: p.update(children=[]), "children: too_few"),
    (lambda p: p.update(kind="referral"), "kind: not_allowed"),
    (lambda p: p["police"].update(kind="gp_practice"), "police.kind: not_allowed"),
    (lambda p: p.update(incident_at="2026-11-02T21:40:00"), "incident_at: invalid"),
    (lambda p: p.update(pupil_id="x"), "pupil_id: unknown_field"),
])
def test_the_schema_names_the_path_and_code_of_each_problem(change, problem):
    payload = copy.deepcopy(_golden())
    change(payload)
    problems = [str(p) for p in validate_notice_payload(payload)]
    assert problem in problems
    assert all("Amelia" not in p and "Hartley" not in p for p in problems)  # never a value


def test_the_golden_is_valid_as_written():
    assert validate_notice_payload(_golden()) == []
