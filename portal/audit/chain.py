"""The keyed chain and its signed checkpoints.

Each audit event's `hash` is HMAC-SHA256, under a key derived from the keyring's audit data key
(purpose "audit", wrapped by the master key: never in the database in clear), of its fields and
the previous event's hash. Someone with write access to the database but not the master key can
no longer delete or change events and recompute the chain: they cannot compute the MACs.

What a keyed chain alone cannot show is the LAST events being removed (the chain up to there
still verifies). So the head is written, signed, OUTSIDE the database: a checkpoint line

    audit-checkpoint v1 at=2026-12-05T12:00:00Z events=1234 head=<hash> kid=<key id> mac=<hmac>

appended to PORTAL_AUDIT_CHECKPOINT_FILE (default instance/audit-checkpoints.log) and logged at
INFO on the `portal.audit.checkpoint` logger (point it at syslog and ship it elsewhere). One is
written after the commit of every PORTAL_AUDIT_CHECKPOINT_EVERY-th event (default 100), at least
every PORTAL_AUDIT_CHECKPOINT_MINUTES (default 10) while events are written, and by
`flask audit checkpoint`. `flask audit verify` checks the chain and every checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from portal.crypto.fields import keyring
from portal.crypto.models import PURPOSE_AUDIT

log = logging.getLogger("portal.audit")
checkpoint_log = logging.getLogger("portal.audit.checkpoint")

GENESIS_HASH = "0" * 64
DEFAULT_EVERY = 100
DEFAULT_MINUTES = 10.0
LINE = re.compile(
    r"^audit-checkpoint v1 at=(?P<at>\S+) events=(?P<events>\d+) head=(?P<head>[0-9a-f]{64}) "
    r"kid=(?P<kid>[0-9a-f]{1,16}) mac=(?P<mac>[0-9a-f]{64})$"
)

_derived: dict[tuple[str, bytes], bytes] = {}
_derived_lock = threading.Lock()


def _derive(material: bytes, kid: str, label: bytes) -> bytes:
    with _derived_lock:
        key = _derived.get((kid, label))
        if key is None:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"safeguard-portal/audit/v1",
                       info=label).derive(material)
            _derived[(kid, label)] = key
        return key


def current_key(connection) -> tuple[str, bytes, bytes]:
    """(kid, chain key, checkpoint key) of the current audit key; made on first use."""
    record = keyring().current(PURPOSE_AUDIT, connection)
    return record.kid, _derive(record.material, record.kid, b"chain"), _derive(record.material, record.kid, b"checkpoint")


def keys_for(kid: str, connection) -> tuple[bytes, bytes]:
    """(chain key, checkpoint key) of the audit key `kid` (current or not)."""
    record = keyring().get(kid, connection)
    if record.purpose != PURPOSE_AUDIT:
        raise ValueError("not an audit key")
    return _derive(record.material, kid, b"chain"), _derive(record.material, kid, b"checkpoint")


def canonical(fields: dict) -> bytes:
    """The bytes that are MACed: every field, in a fixed order, in a fixed encoding."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def event_fields(event) -> dict:
    return {
        "seq": event.seq,
        "occurred_at": as_utc(event.occurred_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "organisation_id": str(event.organisation_id) if event.organisation_id else None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "detail": event.detail,
        "ip": event.ip,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
        "key_id": event.key_id,
    }


def mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# --- checkpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    at: str
    events: int
    head: str
    kid: str
    mac: str
    line_number: int = 0

    def signed_part(self) -> bytes:
        return f"v1|{self.at}|{self.events}|{self.head}|{self.kid}".encode()

    def line(self) -> str:
        return (f"audit-checkpoint v1 at={self.at} events={self.events} head={self.head} "
                f"kid={self.kid} mac={self.mac}")


def sign_checkpoint(events: int, head: str, kid: str, checkpoint_key: bytes, at: datetime | None = None) -> Checkpoint:
    stamp = as_utc(at or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    unsigned = Checkpoint(stamp, events, head, kid, "")
    return Checkpoint(stamp, events, head, kid, mac(checkpoint_key, unsigned.signed_part()))


def checkpoint_path(app=None) -> Path:
    app = app or current_app
    settings = app.config["PORTAL_SETTINGS"]
    configured = settings.extra.get("PORTAL_AUDIT_CHECKPOINT_FILE")
    return Path(configured) if configured else Path(settings.instance_path) / "audit-checkpoints.log"


def checkpoint_every(app=None) -> int:
    app = app or current_app
    return max(1, int(app.config["PORTAL_SETTINGS"].extra.get("PORTAL_AUDIT_CHECKPOINT_EVERY", DEFAULT_EVERY)))


def checkpoint_minutes(app=None) -> float:
    app = app or current_app
    return float(app.config["PORTAL_SETTINGS"].extra.get("PORTAL_AUDIT_CHECKPOINT_MINUTES", DEFAULT_MINUTES))


_write_lock = threading.Lock()
_last_written = {"at": 0.0}


def write_checkpoint(checkpoint: Checkpoint, path: Path) -> None:
    """Append one line (a single write to a file opened for appending: lines from several
    processes never interleave) and log it for syslog."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (checkpoint.line() + "\n").encode()
    with _write_lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        _last_written["at"] = time.monotonic()
    checkpoint_log.info("%s", checkpoint.line())


def checkpoint_due(seq: int, app=None) -> bool:
    if seq % checkpoint_every(app) == 0:
        return True
    return time.monotonic() - _last_written["at"] >= checkpoint_minutes(app) * 60


def read_checkpoints(path: Path) -> tuple[list[Checkpoint], list[int]]:
    """The checkpoints in the file, and the numbers of lines that are not checkpoints."""
    found, bad = [], []
    if not path.exists():
        return found, bad
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        match = LINE.match(line.strip())
        if not match:
            bad.append(number)
            continue
        found.append(Checkpoint(match["at"], int(match["events"]), match["head"], match["kid"], match["mac"], number))
    return found, bad


def checkpoint_signature_ok(checkpoint: Checkpoint, checkpoint_key: bytes) -> bool:
    return hmac.compare_digest(mac(checkpoint_key, checkpoint.signed_part()), checkpoint.mac)
