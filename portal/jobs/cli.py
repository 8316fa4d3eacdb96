"""`flask --app portal jobs ...`: the background jobs worker, the sweep and the counts."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask.cli import AppGroup

from portal.jobs.service import counts, sweep_expired
from portal.jobs.worker import run_pending, warm_up

log = logging.getLogger("portal.jobs")

jobs_cli = AppGroup("jobs", help="Background jobs (court bundles): run them, sweep old results, count them.")


@jobs_cli.command("work")
@click.option("--loop", is_flag=True, help="Keep going (a supervised worker); otherwise one pass.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between passes with --loop.")
def work_command(loop: bool, interval: float) -> None:
    """Run queued jobs, each in a child process; expired results are swept on every pass."""
    # Stopped by systemd (SIGTERM): a job being made goes back to the queue (portal.jobs.worker).
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        _work(loop, interval)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _work(loop: bool, interval: float) -> None:
    warm_up()
    failures = 0
    while True:
        try:
            ran = run_pending()
            if failures:
                log.info("jobs worker: the database is back after %d failed passes", failures)
            failures = 0
        except Exception as error:  # the database is away: back off, and say so once in a while
            failures += 1
            ran = 0
            if not loop:
                log.warning("jobs worker pass failed (%s)", type(error).__name__)
                raise SystemExit(1)
            if failures == 1 or failures % 20 == 0:
                log.warning("jobs worker pass failed (%s), %d in a row", type(error).__name__, failures)
        if not loop:
            click.echo(f"{ran} run")
            return
        if ran == 0:
            time.sleep(min(interval * 2 ** min(failures, 6), 60.0) if failures else interval)


def _stop(signum, frame):
    raise SystemExit(0)


@jobs_cli.command("sweep")
def sweep_command() -> None:
    """Delete expired jobs and their results now (the worker does this on every pass)."""
    click.echo(f"{sweep_expired()} swept")


@jobs_cli.command("status")
def status_command() -> None:
    """How many jobs are queued, running, done and failed."""
    for status, count in counts().items():
        click.echo(f"{status}: {count}")
