"""`flask --app portal connector run`: deliver the outbox and pull each LA's updates.

Run any number, on any number of machines (PostgreSQL; one on SQLite). Each loop:
1. claim a batch of due outbox rows (short transaction, committed: portal.connector.outbox);
2. send them, a few at a time, with no transaction open (one keep-alive HTTP client);
3. record the outcomes in one short transaction;
4. pull the update feed of each LA whose pull is due (a lease per LA, so one worker reads it).
A full batch loops at once; otherwise the worker sleeps `poll_interval`. SIGTERM or Ctrl-C
finishes the batch in hand and stops; SIGKILL is safe too: leases run out and rows become due.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from portal.connector import notice_outbox, outbox
from portal.connector.client import DeliveryResult, Endpoint, Outcome, deliver_referral, new_http_client
from portal.connector.endpoints import client_endpoint
from portal.connector.models import ConnectorEndpoint
from portal.connector.notice_client import deliver_notice
from portal.connector.pull import pull_la
from portal.db import db
from portal.transaction import unit_of_work

log = logging.getLogger("portal.connector")

# Recording a batch's outcomes after a database blip: the first retry after this many seconds,
# doubling up to RECORD_MAX_DELAY, for as long as the claim's lease lasts.
RECORD_FIRST_DELAY = 0.1
RECORD_MAX_DELAY = 2.0


def default_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


@dataclass
class WorkerOptions:
    worker_id: str = field(default_factory=default_worker_id)
    batch: int = 50
    concurrency: int = 8
    poll_interval: float = 1.0
    pull_interval: float = 30.0
    pull: bool = True


class Worker:
    def __init__(self, options: WorkerOptions | None = None):
        self.options = options or WorkerOptions()
        self.stopping = threading.Event()
        self.http = new_http_client()
        self.pool = ThreadPoolExecutor(max_workers=max(1, self.options.concurrency), thread_name_prefix="connector")
        self.totals = {"delivered": 0, "retry": 0, "dead": 0}
        self._next_pull_check = 0.0

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.http.close()

    def lease_seconds(self) -> float:
        # Long enough for the whole batch even if every exchange takes the client's full deadline.
        rounds = -(-self.options.batch // max(1, self.options.concurrency))
        return rounds * Endpoint.total_timeout + 30.0

    # --- delivery --------------------------------------------------------------------------------

    def _endpoints(self, la_ids) -> dict:
        # A short unit of its own: no transaction stays open across the network calls.
        with unit_of_work():
            rows = db.session.execute(
                select(ConnectorEndpoint).where(ConnectorEndpoint.local_authority_id.in_(la_ids))
            ).scalars().all()
            endpoints = {row.local_authority_id: client_endpoint(row) for row in rows}
            for row in rows:
                db.session.expunge(row)
        return endpoints

    def _send(self, endpoint: Endpoint | None, item: outbox.ClaimedItem) -> DeliveryResult:
        if endpoint is None:
            return DeliveryResult(Outcome.RETRYABLE, "no_endpoint", endpoint_problem=True)
        try:
            return deliver_referral(endpoint, item.payload, item.referral_id, http=self.http)
        except Exception as error:  # a bug must not lose the batch: the row is retried later
            # The error class and the outbox id only: an exception's message or traceback may
            # quote the payload (a child's details).
            log.error("connector delivery failed unexpectedly outbox=%s error=%s", item.id, type(error).__name__)
            return DeliveryResult(Outcome.RETRYABLE, "internal_error")

    def deliver_batch(self) -> int:
        """Claim, send and record one batch. Returns how many rows were claimed."""
        claim = outbox.claim_due(self.options.worker_id, self.options.batch, self.lease_seconds())
        if not claim.items:
            return 0
        endpoints = self._endpoints({item.local_authority_id for item in claim.items})
        futures = [(item, self.pool.submit(self._send, endpoints.get(item.local_authority_id), item))
                   for item in claim.items]
        results = [(item, future.result()) for item, future in futures]
        counts = self.record_results(claim, results)
        for key, value in counts.items():
            self.totals[key] += value
        return len(claim.items)

    def _send_notice(self, endpoint: Endpoint | None, item: notice_outbox.ClaimedNotice) -> DeliveryResult:
        if endpoint is None:
            return DeliveryResult(Outcome.RETRYABLE, "no_endpoint", endpoint_problem=True)
        try:
            return deliver_notice(endpoint, item.payload, item.notice_id, http=self.http)
        except Exception as error:  # as _send: the row is retried later; the class and id only
            log.error("connector notice delivery failed unexpectedly outbox=%s error=%s", item.id, type(error).__name__)
            return DeliveryResult(Outcome.RETRYABLE, "internal_error")

    def deliver_notice_batch(self) -> int:
        """Claim, send and record one batch of Operation Encompass notices (their own outbox, the
        same leases and retries). Returns how many rows were claimed."""
        claim = notice_outbox.claim_due(self.options.worker_id, self.options.batch, self.lease_seconds())
        if not claim.items:
            return 0
        endpoints = self._endpoints({item.local_authority_id for item in claim.items})
        futures = [(item, self.pool.submit(self._send_notice, endpoints.get(item.local_authority_id), item))
                   for item in claim.items]
        results = [(item, future.result()) for item, future in futures]
        counts = self.record_results(claim, results, recorder=notice_outbox.record_results)
        for key, value in counts.items():
            self.totals[key] += value
        return len(claim.items)

    def record_results(self, claim: outbox.Claim, results, recorder=None) -> dict[str, int]:
        """Record the batch's outcomes; if the database is away, keep them in memory and try again.

        The case system already holds what was delivered: recording it as soon as the database is
        back lets the school see the case reference within seconds, instead of the row staying
        "Sending" until its lease runs out and another worker sends it again. Short backoff
        (RECORD_FIRST_DELAY doubling to RECORD_MAX_DELAY), for as long as the claim's lease lasts;
        after that the rows are due again anyway, and the error goes to the loop.
        """
        delay = RECORD_FIRST_DELAY
        deadline = time.monotonic() + self.lease_seconds()
        failures = 0
        while True:
            try:
                counts = (recorder or outbox.record_results)(claim, results)
            except DBAPIError as error:
                failures += 1
                if time.monotonic() + delay > deadline:
                    raise
                if failures == 1 or failures % 20 == 0:
                    log.warning("connector could not record a batch of %d results error=%s; retrying (%d)",
                                len(results), type(error).__name__, failures)
                time.sleep(delay)
                delay = min(delay * 2, RECORD_MAX_DELAY)
                continue
            if failures:
                log.info("connector recorded a batch of %d results after %d failed tries", len(results), failures)
            return counts

    # --- pull ------------------------------------------------------------------------------------

    def pull_due(self, force: bool = False) -> None:
        # Whether a feed is due is decided in the database (one worker per LA at a time); asking
        # every few seconds is enough, and keeps a busy delivery loop from asking per batch.
        now = time.monotonic()
        if not force and now < self._next_pull_check:
            return
        self._next_pull_check = now + min(self.options.pull_interval, 5.0)
        with unit_of_work():
            la_ids = list(db.session.execute(select(ConnectorEndpoint.local_authority_id)).scalars())
        for la_id in la_ids:
            if self.stopping.is_set():
                return
            try:
                # Each step of a pull is a unit of work of its own, rolled back if it fails.
                pull_la(la_id, self.options.worker_id, self.http, interval=self.options.pull_interval, force=force)
            except Exception as error:
                log.error("connector pull failed unexpectedly la=%s error=%s", la_id, type(error).__name__)

    # --- loop ------------------------------------------------------------------------------------

    def run(self, once: bool = False) -> None:
        log.info("connector worker %s started (batch %d, concurrency %d)", self.options.worker_id,
                 self.options.batch, self.options.concurrency)
        errors = 0
        try:
            while not self.stopping.is_set():
                try:
                    claimed = self.deliver_batch()
                    # Operation Encompass notices: the same loop, their own outbox.
                    claimed = max(claimed, self.deliver_notice_batch())
                    if self.options.pull:
                        self.pull_due(force=once)
                    errors = 0
                except Exception as error:
                    # The database went away or was busy: the unit of work that failed has rolled
                    # back, and nothing is lost (leases run out): try again. The error class
                    # only: a message may carry SQL parameters or a child's details.
                    errors += 1
                    if errors == 1 or errors % 50 == 0:
                        log.error("connector worker loop failed error=%s (%d in a row); carrying on",
                                  type(error).__name__, errors)
                    if once and errors >= 5:
                        raise
                    self.stopping.wait(min(5.0, 0.2 * errors))
                    continue
                if once:
                    # --once: drain what is due now, then stop.
                    if claimed == 0:
                        break
                    continue
                if claimed < self.options.batch:
                    self.stopping.wait(self.options.poll_interval)
        finally:
            log.info("connector worker %s stopped: delivered %d, to retry %d, dead-lettered %d",
                     self.options.worker_id, self.totals["delivered"], self.totals["retry"], self.totals["dead"])

    def install_signal_handlers(self) -> None:
        def stop(signum, frame):
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def run_worker(options: WorkerOptions, once: bool = False, install_signals: bool = True) -> dict:
    worker = Worker(options)
    if install_signals:
        worker.install_signal_handlers()
    try:
        worker.run(once=once)
    finally:
        worker.close()
        db.session.remove()
    return worker.totals


def single_writer_database() -> bool:
    """SQLite: one writer at a time, so several workers would only wait on each other."""
    return db.engine.dialect.name == "sqlite"


def sleep_until(predicate, timeout: float, step: float = 0.05) -> bool:
    """For tests and the benchmark: wait until predicate() is true (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
