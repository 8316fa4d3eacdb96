"""The simulator's case records: referrals stored idempotently, people matched, an update feed, faults.

Used by the simulator's HTTP app and by the `flask casesim ...` commands, which open the same
SQLite file from another process (a change made on the command line reaches the running server).

Every write runs in a BEGIN IMMEDIATE transaction (SQLite takes the write lock at the start, so
check-then-insert cannot race with another process), and an in-process lock keeps the server's
own threads from queueing on SQLite's busy timeout.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import bindparam, create_engine, event, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from casesim.models import CaseSimBase, Counter, EncompassNotice, Fault, Person, Referral, Update
from portal.connector import payload as contract

FAULT_MODES = (
    "none",
    "error_500",  # answer 500 without doing anything
    "hang",  # wait `delay` seconds (past the client's timeout), then carry on
    "slow",  # wait `delay` seconds (within the client's timeout), then carry on
    "drop_after_store",  # do the work, then close the connection without an answer
    "bad_response_signature",  # do the work, sign the answer with a wrong key
    "stale_response_timestamp",  # do the work, sign the answer with a 10-minute-old timestamp
)
FAULT_SCOPES = ("all", "referrals", "updates", "notices")
DEFAULT_DELAYS = {"hang": 30.0, "slow": 2.0}
FAULT_CACHE_SECONDS = 0.25


class CaseSimError(ValueError):
    """A request to the simulator's admin side that cannot be carried out; message is safe to show."""


@dataclass(frozen=True)
class Receipt:
    case_reference: str
    person_id: str
    received_at: datetime

    def as_json(self) -> dict:
        return {
            "case_reference": self.case_reference,
            "person_id": self.person_id,
            "received_at": self.received_at.isoformat(),
        }


@dataclass(frozen=True)
class NoticeReceipt:
    notice_reference: str
    received_at: datetime

    def as_json(self) -> dict:
        return {"notice_reference": self.notice_reference, "received_at": self.received_at.isoformat()}


@dataclass(frozen=True)
class StoreResult:
    status: str  # created, replayed, conflict
    receipt: Receipt | NoticeReceipt | None = None


@dataclass(frozen=True)
class ActiveFault:
    mode: str
    scope: str
    delay: float
    remaining: int | None

    def applies_to(self, route: str) -> bool:
        return self.mode != "none" and self.scope in ("all", route)


NO_FAULT = ActiveFault("none", "all", 0.0, None)


_referrals, _people, _counters = Referral.__table__, Person.__table__, Counter.__table__
_FIND_REFERRAL = select(
    _referrals.c.case_reference, _referrals.c.person_id, _referrals.c.received_at, _referrals.c.body_sha256
).where(_referrals.c.la_code == bindparam("la"), _referrals.c.idempotency_key == bindparam("key"))
_INSERT_REFERRAL = _referrals.insert()
_PERSON_COLUMNS = (_people.c.id, _people.c.person_id, _people.c.nhs_number, _people.c.upn)
_FIND_PERSON_BY_NHS = select(*_PERSON_COLUMNS).where(
    _people.c.la_code == bindparam("la"), _people.c.nhs_number == bindparam("value")
)
_FIND_PERSON_BY_UPN = select(*_PERSON_COLUMNS).where(_people.c.la_code == bindparam("la"), _people.c.upn == bindparam("value"))
_INSERT_PERSON = _people.insert()
_LEARN_IDENTIFIERS = (
    _people.update()
    .where(_people.c.id == bindparam("row_id"))
    .values(nhs_number=bindparam("nhs_number"), upn=bindparam("upn"))
)
_NEXT_NUMBER = (
    sqlite_insert(_counters)
    .values(la_code=bindparam("la_code"), name=bindparam("name"), value=1)
    .on_conflict_do_update(index_elements=["la_code", "name"], set_={"value": _counters.c.value + 1})
    .returning(_counters.c.value)
)


def _utc(clock) -> datetime:
    return datetime.fromtimestamp(clock(), tz=timezone.utc)


def body_digest(payload: dict) -> str:
    # Hash the canonical form, so that the same JSON sent with other spacing or key order is "the
    # same body" (a client in another language may not serialise exactly as the portal does).
    return hashlib.sha256(contract.canonical_json(payload)).hexdigest()


def make_engine(db_path: str | Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class CaseStore:
    def __init__(self, db_path: str | Path, clock=time.time):
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(self.db_path)
        self.clock = clock
        self._lock = threading.Lock()
        self._fault_cache: tuple[float, ActiveFault] | None = None
        CaseSimBase.metadata.create_all(self.engine)
        with self._write() as session:
            if session.get(Fault, 1) is None:
                session.add(Fault(id=1, mode="none", scope="all", delay=0.0, remaining=None, version=0))

    def close(self) -> None:
        self.engine.dispose()

    class _Tx:
        def __init__(self, store: "CaseStore"):
            self.store = store

        def __enter__(self) -> Session:
            self.store._lock.acquire()
            self.session = Session(self.store.engine, expire_on_commit=False)
            self.session.begin()
            return self.session

        def __exit__(self, exc_type, exc, tb):
            try:
                if exc_type is None:
                    self.session.commit()
                else:
                    self.session.rollback()
            finally:
                self.session.close()
                self.store._lock.release()

    def _write(self) -> "CaseStore._Tx":
        return CaseStore._Tx(self)

    # --- referrals ------------------------------------------------------------------------------

    def receive_referral(self, la_code: str, key: str, payload: dict) -> StoreResult:
        """Store a referral once per (LA, key). The same body again replays the first receipt.

        Written with prebuilt Core statements rather than the ORM: this is the hot path of the
        connector benchmark, and building statements per call cost more than SQLite's own work.
        """
        digest = body_digest(payload)
        body = json.dumps(payload, sort_keys=True)
        with self._lock, self.engine.begin() as conn:
            existing = conn.execute(_FIND_REFERRAL, {"la": la_code, "key": key}).first()
            if existing is not None:
                if existing.body_sha256 != digest:
                    return StoreResult("conflict")
                return StoreResult("replayed", Receipt(existing.case_reference, existing.person_id, existing.received_at))
            now = _utc(self.clock)
            person_id = self._match_or_create_person(conn, la_code, payload.get("child") or {}, now)
            case_reference = f"CASE-{la_code}-{self._next(conn, la_code, 'case'):06d}"
            conn.execute(
                _INSERT_REFERRAL,
                {
                    "la_code": la_code,
                    "idempotency_key": key,
                    "body_sha256": digest,
                    "body": body,
                    "case_reference": case_reference,
                    "person_id": person_id,
                    "status": "received",
                    "received_at": now,
                },
            )
            return StoreResult("created", Receipt(case_reference, person_id, now))

    def _match_or_create_person(self, conn, la_code: str, child: dict, now: datetime) -> str:
        # The NHS number is becoming the single child identifier across agencies: it wins over UPN.
        nhs, upn = child.get("nhs_number") or None, child.get("upn") or None
        person = None
        if nhs:
            person = conn.execute(_FIND_PERSON_BY_NHS, {"la": la_code, "value": nhs}).first()
        if person is None and upn:
            candidate = conn.execute(_FIND_PERSON_BY_UPN, {"la": la_code, "value": upn}).first()
            # A UPN match whose record holds a different NHS number is another child.
            if candidate is not None and not (nhs and candidate.nhs_number and candidate.nhs_number != nhs):
                person = candidate
        if person is None:
            person_id = f"PER-{la_code}-{self._next(conn, la_code, 'person'):06d}"
            conn.execute(
                _INSERT_PERSON,
                {"la_code": la_code, "person_id": person_id, "nhs_number": nhs, "upn": upn, "created_at": now},
            )
            return person_id
        if (nhs and not person.nhs_number) or (upn and not person.upn):
            # Learn identifiers the first referral did not have.
            conn.execute(
                _LEARN_IDENTIFIERS,
                {"row_id": person.id, "nhs_number": person.nhs_number or nhs, "upn": person.upn or upn},
            )
        return person.person_id

    @staticmethod
    def _next(conn, la_code: str, name: str) -> int:
        return conn.execute(_NEXT_NUMBER, {"la_code": la_code, "name": name}).scalar_one()

    def list_referrals(self, la_code: str | None = None) -> list[dict]:
        """Case references, person ids and statuses (no personal details), oldest first."""
        with Session(self.engine) as session:
            query = select(Referral).order_by(Referral.id)
            if la_code:
                query = query.where(Referral.la_code == la_code)
            return [
                {
                    "la_code": r.la_code,
                    "referral_id": r.idempotency_key,
                    "case_reference": r.case_reference,
                    "person_id": r.person_id,
                    "status": r.status,
                    "received_at": r.received_at.isoformat(),
                }
                for r in session.scalars(query)
            ]

    # --- Operation Encompass notices ------------------------------------------------------------

    def receive_notice(self, la_code: str, key: str, payload: dict) -> StoreResult:
        """Store a notice once per (LA, key); the same body again replays the first receipt
        (`NoticeReceipt`), another body under the same key is a conflict."""
        digest = body_digest(payload)
        with self._write() as session:
            existing = session.execute(
                select(EncompassNotice).where(EncompassNotice.la_code == la_code, EncompassNotice.idempotency_key == key)
            ).scalar_one_or_none()
            if existing is not None:
                if existing.body_sha256 != digest:
                    return StoreResult("conflict")
                return StoreResult("replayed", NoticeReceipt(existing.notice_reference, existing.received_at))
            now = _utc(self.clock)
            children = payload.get("children") or []
            reference = f"ENC-{la_code}-{self._next(session.connection(), la_code, 'notice'):06d}"
            session.add(EncompassNotice(
                la_code=la_code, idempotency_key=key, body_sha256=digest, body=json.dumps(payload, sort_keys=True),
                notice_reference=reference, children=len(children),
                at_school=sum(1 for c in children if c.get("routed_to") == "school"), received_at=now,
            ))
            return StoreResult("created", NoticeReceipt(reference, now))

    def list_notices(self, la_code: str | None = None) -> list[dict]:
        """Notice references, how many children and how many at a school (no personal details)."""
        with Session(self.engine) as session:
            query = select(EncompassNotice).order_by(EncompassNotice.id)
            if la_code:
                query = query.where(EncompassNotice.la_code == la_code)
            return [
                {
                    "la_code": n.la_code,
                    "notice_id": n.idempotency_key,
                    "notice_reference": n.notice_reference,
                    "children": n.children,
                    "at_school": n.at_school,
                    "received_at": n.received_at.isoformat(),
                }
                for n in session.scalars(query)
            ]

    def notice_body(self, notice_reference: str) -> dict | None:
        """The notice as received (tests and adapters' writers: what a case system would get)."""
        with Session(self.engine) as session:
            row = session.execute(
                select(EncompassNotice.body).where(EncompassNotice.notice_reference == notice_reference)
            ).scalar_one_or_none()
        return None if row is None else json.loads(row)

    # --- updates --------------------------------------------------------------------------------

    def set_status(
        self,
        case_reference: str,
        status: str,
        *,
        decision: dict | None = None,
        extra: dict | None = None,
    ) -> dict:
        """Change a referral's status and publish a referral_status update. Returns the update."""
        if status not in contract.REFERRAL_STATUSES:
            raise CaseSimError(f"status must be one of: {', '.join(contract.REFERRAL_STATUSES)}")
        with self._write() as session:
            referral = session.scalar(select(Referral).where(Referral.case_reference == case_reference))
            if referral is None:
                raise CaseSimError("no referral has that case reference")
            body = {
                "id": str(uuid.uuid4()),
                "kind": contract.KIND_REFERRAL_STATUS,
                "created_at": _utc(self.clock).isoformat(),
                "referral_id": referral.idempotency_key,
                "case_reference": referral.case_reference,
                "person_id": referral.person_id,
                "status": status,
            }
            if decision:
                body["decision"] = {k: v for k, v in decision.items() if v not in (None, "")}
            self._check(contract.validate_update(body))
            body.update(extra or {})
            referral.status = status
            self._publish(session, referral.la_code, body)
            return body

    def add_summary(self, la_code: str, person_id: str, fields: dict, *, extra: dict | None = None) -> dict:
        """Publish a case_summary update for a person of this LA. Returns the update.

        `fields` are the contract's summary fields; `extra` are fields outside the contract (case
        notes...) that a real system might leak, so tests can prove the portal drops them.
        """
        with self._write() as session:
            person = session.scalar(select(Person).where(Person.person_id == person_id))
            if person is None or person.la_code != la_code:
                raise CaseSimError("no person with that id in this LA")
            latest = session.scalar(
                select(Referral).where(Referral.person_id == person_id).order_by(Referral.id.desc()).limit(1)
            )
            body = {
                "id": str(uuid.uuid4()),
                "kind": contract.KIND_CASE_SUMMARY,
                "created_at": _utc(self.clock).isoformat(),
                "person_id": person_id,
                "case_reference": latest.case_reference if latest else None,
            }
            body.update({k: v for k, v in fields.items() if v is not None})
            self._check(contract.validate_update(body))
            clash = set(extra or {}) & set(body)
            if clash:
                raise CaseSimError("extra fields must not reuse the contract's field names")
            body.update(extra or {})
            self._publish(session, la_code, body)
            return body

    def person_for_case(self, case_reference: str) -> tuple[str, str]:
        with Session(self.engine) as session:
            referral = session.scalar(select(Referral).where(Referral.case_reference == case_reference))
            if referral is None:
                raise CaseSimError("no referral has that case reference")
            return referral.la_code, referral.person_id

    @staticmethod
    def _check(problems) -> None:
        if problems:
            raise CaseSimError("the update does not follow the contract: " + "; ".join(map(str, problems)))

    def _publish(self, session: Session, la_code: str, body: dict) -> None:
        session.add(
            Update(
                update_id=body["id"],
                la_code=la_code,
                kind=body["kind"],
                body=json.dumps(body),
                created_at=_utc(self.clock),
            )
        )

    def updates_since(self, la_code: str, since: int, limit: int) -> tuple[list[dict], int]:
        """Up to `limit` updates of this LA after feed position `since`, and the new position."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(Update.seq, Update.body)
                .where(Update.la_code == la_code, Update.seq > since)
                .order_by(Update.seq)
                .limit(limit)
            ).all()
        updates = [json.loads(body) for _, body in rows]
        return updates, (rows[-1].seq if rows else since)

    # --- faults ---------------------------------------------------------------------------------

    def set_fault(self, mode: str, *, scope: str = "all", delay: float | None = None, count: int | None = None) -> ActiveFault:
        if mode not in FAULT_MODES:
            raise CaseSimError(f"mode must be one of: {', '.join(FAULT_MODES)}")
        if scope not in FAULT_SCOPES:
            raise CaseSimError(f"scope must be one of: {', '.join(FAULT_SCOPES)}")
        if count is not None and count < 1:
            raise CaseSimError("count must be 1 or more (leave it out for 'until switched off')")
        delay = DEFAULT_DELAYS.get(mode, 0.0) if delay is None else float(delay)
        if not 0 <= delay <= 600:
            raise CaseSimError("delay must be between 0 and 600 seconds")
        with self._write() as session:
            session.execute(
                update(Fault)
                .where(Fault.id == 1)
                .values(mode=mode, scope=scope, delay=delay, remaining=count, version=Fault.version + 1)
            )
        self._fault_cache = None
        return self.current_fault(fresh=True)

    def current_fault(self, *, fresh: bool = False) -> ActiveFault:
        # Read at most every FAULT_CACHE_SECONDS while no fault is set, so a healthy simulator does
        # not add a database read to every request; a switch from the CLI lands within that time.
        now = time.monotonic()
        cached = self._fault_cache
        if not fresh and cached is not None and now - cached[0] < FAULT_CACHE_SECONDS:
            return cached[1]
        with Session(self.engine) as session:
            row = session.get(Fault, 1)
            fault = ActiveFault(row.mode, row.scope, row.delay, row.remaining) if row else NO_FAULT
        self._fault_cache = (now, fault)
        return fault

    def take_fault(self, route: str) -> ActiveFault:
        """The fault to apply to this request, consuming one use of a counted fault."""
        fault = self.current_fault()
        if not fault.applies_to(route):
            return NO_FAULT
        if fault.remaining is None:
            return fault
        with self._write() as session:
            row = session.get(Fault, 1)
            if row.mode != fault.mode or not row.remaining:
                taken = False
            else:
                row.remaining -= 1
                taken = True
                if row.remaining == 0:
                    row.mode, row.remaining = "none", None
                row.version += 1
        self._fault_cache = None
        return fault if taken else NO_FAULT
