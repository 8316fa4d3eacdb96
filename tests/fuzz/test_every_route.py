"""A fuzzer over every route, as every kind of user: hostile input never gets a 5xx, a traceback,
exception text or personal data in the log, and a refused request saves nothing.

Property-based (Hypothesis) over the demo's world (`flask demo seed`: two councils, three
schools, pupils, concerns, referrals, a transfer). Each example picks a person (or nobody), a
route from the URL map, a method, values for the route's parts (a real record of the right kind,
another organisation's, a random id, junk), a body (a form of the page's own fields, JSON, raw
bytes, a file) and a CSRF token (valid, wrong or missing), all filled with hostile values:
empty, 100 KB, NUL, bidirectional overrides, invalid UTF-8, impossible dates, foreign ids.

CI runs a fixed budget (PORTAL_FUZZ_EXAMPLES, default 500, derandomised so a failure repeats);
`make fuzz` runs a longer, random one.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from dataclasses import dataclass, field

import pytest
from flask_migrate import upgrade
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select, text
from werkzeug.routing import UUIDConverter

from portal import create_app
from portal.auth.models import User
from portal.db import db
from tests.conftest import environ_for_tests
from tests.databases import throwaway_database
from tests.client import PortalClient
from tests.signing_in import sign_in

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "500"))
RANDOM = os.environ.get("PORTAL_FUZZ_RANDOM") == "1"

PEOPLE = [None, "dsl@oakfield.demo", "staff@oakfield.demo", "dsl@riverside.demo", "dsl@hillcrest.demo",
          "triage@northshire.demo", "manager@northshire.demo", "admin@northshire.demo", "admin@southmoor.demo",
          "notifier@northshire-police.demo", "encompass@northshire.demo"]
METHODS = ["GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
HOSTILE = [
    "", " ", "A" * 100_000, "\x00", "Amy\x00Smith", "\u202eevil\u202c", "Ali\u202ece", "2026-02-30",
    "30/02/2026", "9999", "-1", "0", "1e309", "NaN", "true", "[]", "{}", "<script>alert(1)</script>",
    "' OR 1=1 --", "../../etc/passwd", "%00", "\r\nSet-Cookie: x=1", "😀" * 500, "ä" * 3000,
    str(uuid.uuid4()), "00000000-0000-0000-0000-000000000000",
]
# Tables whose rows a refused request must not change (the audit trail and sessions may move: a
# refusal is itself audited, and signing in makes a session).
WATCHED = ["pupil", "concern", "concern_draft", "referral", "shared_update", "triage_decision", "triage_note",
           "transfer", "transfer_request", "user_account", "school", "local_authority", "stored_file"]
# Words of the demo's children that must never reach the log.
PERSONAL = ["Hartley-Nkemelu", "V938123456789", "Amelia"]


@dataclass
class World:
    app: object
    ids: list = field(default_factory=list)  # every record id in the demo, of every kind
    ids_by_table: dict = field(default_factory=dict)
    routes: list = field(default_factory=list)
    fields_by_endpoint: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with throwaway_database(tmp_path_factory.mktemp("fuzzdb"), "fuzz") as url:
        app = create_app(environ_for_tests(url, tmp_path_factory.mktemp("fuzz-instance")))
        app.test_client_class = PortalClient
        with app.app_context():
            upgrade()
            result = app.test_cli_runner().invoke(args=["demo", "seed"])
            assert result.exit_code == 0, result.output
            found = World(app)
            for table in set(TABLE_OF_ARGUMENT.values()) | {"school"}:
                found.ids_by_table[table] = [str(i) for i in db.session.execute(text(f"SELECT id FROM {table} LIMIT 6")).scalars()]
                found.ids += found.ids_by_table[table]
            found.routes = [r for r in app.url_map.iter_rules() if r.endpoint not in ("static", "govuk_assets")]
            found.fields_by_endpoint = _fields_of_every_form(app, found)
            db.session.remove()
            yield found
            db.session.remove()
            db.engine.dispose()


# Which records a route's id stands for, by the name of its part.
TABLE_OF_ARGUMENT = {"pupil_id": "pupil", "concern_id": "concern", "referral_id": "referral",
                     "transfer_id": "transfer", "update_id": "shared_update", "item_id": "triage_item",
                     "attachment_id": "stored_file", "user_id": "user_account", "closure_id": "school_closure",
                     "request_id": "transfer_request", "school_id": "school", "draft_id": "concern_draft"}


def _candidates(world, rule) -> list[str]:
    uuid_parts = [a for a, c in rule._converters.items() if isinstance(c, UUIDConverter)]
    if not uuid_parts:
        return []
    return world.ids_by_table.get(TABLE_OF_ARGUMENT.get(uuid_parts[0], ""), []) or world.ids


def _fields_of_every_form(app, world) -> dict[str, list[str]]:
    """The names of the inputs each page renders, as the first person allowed to see it."""
    names: dict[str, list[str]] = {}
    for person in PEOPLE[1:]:
        client = app.test_client()
        sign_in(client, db.session.execute(select(User).where(User.email == person)).scalar_one())
        for rule in world.routes:
            if rule.endpoint in names or "GET" not in rule.methods:
                continue
            values = {a: "x" for a in rule._converters}
            for candidate in _candidates(world, rule) or [None]:
                if candidate is not None:
                    values = {a: (candidate if isinstance(c, UUIDConverter) else "x") for a, c in rule._converters.items()}
                response = client.get(_build(app, rule, values))
                if response.status_code == 200 and response.mimetype == "text/html":
                    page = response.get_data(as_text=True)
                    names[rule.endpoint] = sorted(set(re.findall(r'name="([^"]+)"', page)) - {"csrf_token"})
                    break
                if not _candidates(world, rule):
                    break
        db.session.remove()
    return names


def _build(app, rule, values) -> str:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.build(rule.endpoint, values, force_external=False)
    except Exception:
        return rule.rule.replace("<", "").replace(">", "")


def _counts() -> dict[str, int]:
    return {t: db.session.execute(select(func.count()).select_from(text(t))).scalar_one() for t in WATCHED}


values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))


@st.composite
def requests(draw, world: World):
    rule = draw(st.sampled_from(world.routes))
    path_values = {}
    for name in rule._converters:
        if isinstance(rule._converters[name], UUIDConverter):
            own_kind = world.ids_by_table.get(TABLE_OF_ARGUMENT.get(name, ""), []) or world.ids
            path_values[name] = draw(st.one_of(st.sampled_from(own_kind), st.sampled_from(world.ids), st.uuids().map(str)))
        else:
            path_values[name] = draw(st.one_of(st.sampled_from(["no-such-step", "..", "x" * 300, "%00"]), st.text(min_size=1, max_size=20)))
    method = draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"}) * 3 + METHODS))
    names = world.fields_by_endpoint.get(rule.endpoint, []) + ["id", "pupil_id", "decision"]
    kind = draw(st.sampled_from(["form", "form", "form", "json", "raw", "bytes", "file"]))
    if kind == "form":
        body = {"data": draw(st.dictionaries(st.sampled_from(names), values, max_size=8))}
    elif kind == "json":
        body = {"data": draw(st.sampled_from(['{"a":', "[]", '{"csrf_token": 1}', "null"])), "content_type": "application/json"}
    elif kind == "raw":
        body = {"data": draw(st.binary(max_size=200)), "content_type": draw(st.sampled_from(
            ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "application/xml"]))}
    elif kind == "bytes":  # a form whose values are not UTF-8
        body = {"data": b"&".join(n.encode() + b"=%FF%FE%00" for n in names[:6]), "content_type": "application/x-www-form-urlencoded"}
    else:
        import io

        body = {"data": {n: (io.BytesIO(draw(st.binary(max_size=300))), draw(st.sampled_from(["a.pdf", "..\\x.exe", "\u202efdp.exe", ""]))) for n in names[:3]},
                "content_type": "multipart/form-data"}
    csrf = draw(st.sampled_from(["valid", "valid", "missing", "wrong"]))
    person = draw(st.sampled_from(PEOPLE))
    return person, method, _build(world.app, rule, path_values), body, csrf


def test_no_input_answers_5xx_leaks_or_saves_from_a_refusal(world, caplog):
    app = world.app

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
              suppress_health_check=list(HealthCheck))
    @given(requests(world))
    def one_request(drawn):
        person, method, path, body, csrf = drawn
        with app.app_context():
            client = app.test_client()
            if person:
                user = db.session.execute(select(User).where(User.email == person)).scalar_one()
                user.active = True  # an earlier example may have deactivated them
                db.session.commit()
                sign_in(client, user)
            data = body.get("data")
            if isinstance(data, dict) and csrf != "missing":
                data = dict(data, csrf_token=client.csrf_token() if csrf == "valid" else "forged")
            before = _counts()
            caplog.clear()
            response = client.open(path, method=method, data=data, content_type=body.get("content_type"))
            # A download (a PDF, an attachment, a CSV) is bytes: read it as text, replacing what is not.
            answer = response.get_data().decode("utf-8", "replace")
            assert response.status_code < 500, (method, path, response.status_code)
            assert "Traceback" not in answer and 'File "' not in answer
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            assert errors == [], (method, path, errors)
            for word in PERSONAL:
                assert word not in caplog.text, (method, path)
            if response.status_code >= 400:
                assert _counts() == before, (method, path, response.status_code)
            db.session.remove()

    caplog.set_level(logging.INFO)
    one_request()
