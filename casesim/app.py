"""The case-system simulator: contract v1's server side, as a small Flask app of its own.

Each LA the simulator knows has its own base URL, `/la/<LA code>` (an LA's real case system has
its own address too, and the URL tells the server which LA's secret to check before it trusts a
single byte of the body):

    POST /la/938/v1/referrals          store a referral, answer its case reference
    GET  /la/938/v1/updates?since=&limit=   the LA's update feed
    POST /la/938/v1/encompass-notices  store an Operation Encompass notice, answer its reference

Every answer on those routes is signed like a request (X-Portal-Timestamp, X-Portal-Signature
over "<timestamp>.<response body>"), so the portal can tell a real answer from a forged one.

The admin side, for tests and demos, needs `Authorization: Bearer <admin token>`:
    GET/POST /_admin/faults     read or set the fault switch
    POST /_admin/status         change a referral's status (publishes a referral_status update)
    POST /_admin/summaries      publish a case summary
    GET  /_admin/referrals      what has been received (case references, no personal details)
    GET  /_admin/notices        Encompass notices received (references and counts, no personal details)

This app is never registered on the portal: its routes are not portal routes.
"""

from __future__ import annotations

import errno
import hmac
import json
import logging
import re
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from flask import Flask, Response, abort, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from casesim.store import FAULT_MODES, CaseSimError, CaseStore, NO_FAULT
from portal.connector import notice_payload
from portal.connector import payload as contract
from portal.connector import signing

log = logging.getLogger("casesim")

MAX_BODY_BYTES = 1024 * 1024
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
_WRONG_KEY = b"casesim-deliberately-wrong-response-key"
DROP_FLAG = "casesim.drop_connection"


class _DropConnection:
    """WSGI wrapper that closes the client's connection without an answer when a view asks for it.

    The view has already done its work (the referral is stored); the client sees the connection
    close with no response, as when a server or a network device dies at the worst moment.
    Works under werkzeug's server and gunicorn (`casesim run`, the tests), which expose the socket.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        result = self.app(environ, start_response)
        if environ.get(DROP_FLAG):
            if hasattr(result, "close"):
                result.close()
            sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                # werkzeug and gunicorn both treat a connection reset as "the client went away"
                # and stay quiet.
                raise ConnectionResetError(errno.ECONNRESET, "casesim: connection dropped on purpose")
        return result


def create_casesim_app(
    db_path: str | Path,
    secrets: Mapping[str, Sequence[str]],
    *,
    admin_token: str | None = None,
    clock=time.time,
) -> Flask:
    """The simulator app. `secrets` maps LA code to one secret, or two during a rotation."""
    app = Flask("casesim")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    store = CaseStore(db_path, clock=clock)
    la_secrets = {code: tuple(values) for code, values in secrets.items()}
    app.extensions["casesim_store"] = store
    app.wsgi_app = _DropConnection(app.wsgi_app)

    # --- contract helpers -----------------------------------------------------------------------

    def signed(data: dict, status: int, la_code: str, fault=NO_FAULT) -> Response:
        body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        now = clock()
        if fault.mode == "stale_response_timestamp":
            headers = signing.signed_headers(la_secrets[la_code], body, now=now - 600)
        elif fault.mode == "bad_response_signature":
            headers = signing.signed_headers([_WRONG_KEY], body, now=now)
        else:
            headers = signing.signed_headers(la_secrets[la_code], body, now=now)
        return Response(body, status=status, headers=headers, mimetype="application/json")

    def authenticate(la_code: str, body: bytes) -> Response | None:
        try:
            signing.verify(
                la_secrets[la_code],
                request.headers.get(signing.TIMESTAMP_HEADER),
                request.headers.get(signing.SIGNATURE_HEADER),
                body,
                now=clock(),
            )
        except signing.SignatureError as error:
            log.warning("casesim refused a request la=%s reason=%s", la_code, error.reason)
            # Not signed: signing answers to unauthenticated requests would hand out signed
            # bodies to anyone who asks.
            return jsonify(error=error.reason), 401
        return None

    def known_la(la_code: str) -> None:
        if la_code not in la_secrets:
            abort(404)

    def apply_delay(fault) -> None:
        if fault.mode in ("hang", "slow") and fault.delay > 0:
            time.sleep(fault.delay)

    # --- contract routes ------------------------------------------------------------------------

    def receive(la_code: str, *, scope: str, validate, id_field: str, keep, kind: str, reference: str):
        """One contract route: authenticate, the scope's fault, the idempotency key, the JSON body
        validated by `validate`, then `keep` stores it once per key and gives the receipt."""
        known_la(la_code)
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge:
            return jsonify(error="body_too_large"), 413
        refused = authenticate(la_code, body)
        if refused:
            return refused
        fault = store.take_fault(scope)
        if fault.mode == "error_500":
            return signed({"error": "simulated_failure"}, 500, la_code)
        apply_delay(fault)

        key = (request.headers.get("Idempotency-Key") or "").strip()
        try:
            key = str(uuid.UUID(key)) if len(key) == 36 else ""
        except ValueError:
            key = ""
        if not key:
            return signed({"error": "missing_or_malformed_idempotency_key"}, 400, la_code, fault)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return signed({"error": "malformed_json"}, 400, la_code, fault)
        if not isinstance(data, dict):
            return signed({"error": "body_must_be_an_object"}, 400, la_code, fault)
        problems = validate(data)
        if not problems and data["la_code"] != la_code:
            problems = [contract.Problem("la_code", "not_allowed")]
        if problems:
            return signed(
                {"error": "invalid_payload", "problems": [p.as_dict() for p in problems[:50]]}, 422, la_code, fault
            )
        if data[id_field] != key:
            return signed({"error": f"idempotency_key_does_not_match_{id_field}"}, 400, la_code, fault)

        result = keep(la_code, key, data)
        if result.status == "conflict":
            log.info("casesim %s conflict la=%s key=%s", kind, la_code, key)
            answer = signed({"error": "idempotency_key_reused_with_a_different_body"}, 409, la_code, fault)
        else:
            log.info("casesim %s la=%s key=%s %s %s", kind, la_code, key, result.status,
                     getattr(result.receipt, reference))
            answer = signed(result.receipt.as_json(), 201 if result.status == "created" else 200, la_code, fault)
        if fault.mode == "drop_after_store":
            request.environ[DROP_FLAG] = True
        return answer

    @app.post("/la/<la_code>/v1/referrals")
    def receive_referral(la_code: str):
        return receive(la_code, scope="referrals", validate=contract.validate_referral_payload,
                       id_field="referral_id", keep=store.receive_referral, kind="referral",
                       reference="case_reference")

    @app.post("/la/<la_code>/v1/encompass-notices")
    def receive_notice(la_code: str):
        """Operation Encompass notices: the same signing, idempotency and faults (scope `notices`
        or `all`) as referrals; a receipt is {notice_reference, received_at}."""
        return receive(la_code, scope="notices", validate=notice_payload.validate_notice_payload,
                       id_field="notice_id", keep=store.receive_notice, kind="notice",
                       reference="notice_reference")

    @app.get("/la/<la_code>/v1/updates")
    def list_updates(la_code: str):
        known_la(la_code)
        refused = authenticate(la_code, request.get_data(cache=True))
        if refused:
            return refused
        fault = store.take_fault("updates")
        if fault.mode == "error_500":
            return signed({"error": "simulated_failure"}, 500, la_code)
        apply_delay(fault)

        since_text = request.args.get("since", "").strip()
        limit_text = request.args.get("limit", str(DEFAULT_LIMIT)).strip()
        if since_text and not re.fullmatch(r"\d{1,18}", since_text):
            return signed({"error": "malformed_cursor"}, 400, la_code, fault)
        if not re.fullmatch(r"\d{1,4}", limit_text) or not 1 <= int(limit_text) <= MAX_LIMIT:
            return signed({"error": f"limit_must_be_1_to_{MAX_LIMIT}"}, 400, la_code, fault)
        updates, position = store.updates_since(la_code, int(since_text or 0), int(limit_text))
        answer = signed({"updates": updates, "next_cursor": str(position)}, 200, la_code, fault)
        if fault.mode == "drop_after_store":
            request.environ[DROP_FLAG] = True
        return answer

    # --- admin ----------------------------------------------------------------------------------

    @app.before_request
    def guard_admin():
        if not request.path.startswith("/_admin/"):
            return None
        given = request.headers.get("Authorization", "")
        if not admin_token or not hmac.compare_digest(given.encode(), f"Bearer {admin_token}".encode()):
            return jsonify(error="admin_token_required"), 403
        return None

    def admin_json() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400)
        return data

    @app.get("/_admin/faults")
    def read_fault():
        fault = store.current_fault(fresh=True)
        return jsonify(mode=fault.mode, scope=fault.scope, delay=fault.delay, count=fault.remaining, modes=FAULT_MODES)

    @app.post("/_admin/faults")
    def write_fault():
        data = admin_json()
        count, delay = data.get("count"), data.get("delay")
        if (count is not None and (not isinstance(count, int) or isinstance(count, bool))) or (
            delay is not None and (not isinstance(delay, (int, float)) or isinstance(delay, bool))
        ):
            raise CaseSimError("count must be a whole number and delay a number of seconds")
        fault = store.set_fault(
            str(data.get("mode", "none")),
            scope=str(data.get("scope", "all")),
            delay=data.get("delay"),
            count=data.get("count"),
        )
        return jsonify(mode=fault.mode, scope=fault.scope, delay=fault.delay, count=fault.remaining)

    @app.post("/_admin/status")
    def write_status():
        data = admin_json()
        update = store.set_status(
            str(data.get("case_reference", "")),
            str(data.get("status", "")),
            decision=data.get("decision") if isinstance(data.get("decision"), dict) else None,
            extra=data.get("extra") if isinstance(data.get("extra"), dict) else None,
        )
        return jsonify(update), 201

    @app.post("/_admin/summaries")
    def write_summary():
        data = admin_json()
        fields = {k: data.get(k) for k in contract.CASE_SUMMARY_SHAREABLE_FIELDS if k in data}
        update = store.add_summary(
            str(data.get("la_code", "")),
            str(data.get("person_id", "")),
            fields,
            extra=data.get("extra") if isinstance(data.get("extra"), dict) else None,
        )
        return jsonify(update), 201

    @app.get("/_admin/referrals")
    def read_referrals():
        return jsonify(referrals=store.list_referrals(request.args.get("la") or None))

    @app.get("/_admin/notices")
    def read_notices():
        return jsonify(notices=store.list_notices(request.args.get("la") or None))

    # --- misc -----------------------------------------------------------------------------------

    @app.get("/")
    def about():
        return jsonify(service="case-system simulator", contract=contract.CONTRACT_VERSION, las=sorted(la_secrets))

    @app.errorhandler(CaseSimError)
    def case_sim_error(error):
        return jsonify(error=str(error)), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        return jsonify(error=error.name.lower().replace(" ", "_")), error.code

    return app
