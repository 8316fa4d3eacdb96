"""`flask --app portal mail ...`: the mail outbox's worker and its counts."""

from __future__ import annotations

import logging
import time

import click
from flask.cli import AppGroup

from portal.notify.outbox import counts, send_due

log = logging.getLogger(__name__)

mail_cli = AppGroup("mail", help="The mail outbox: send what is due, show what is waiting.")


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep going (a supervised worker); otherwise one pass.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes with --loop.")
def send_command(loop: bool, interval: float) -> None:
    """Send every email that is due (the ones a mail server refused are retried with backoff)."""
    failures = 0
    while True:
        try:
            sent = send_due()
            if failures:
                log.info("mail worker: the database is back after %d failed passes", failures)
            failures = 0
        except Exception as error:  # the database is away: back off, and say so once in a while
            failures += 1
            sent = 0
            if not loop:
                log.warning("mail worker pass failed (%s)", type(error).__name__)
                raise SystemExit(1)
            if failures == 1 or failures % 20 == 0:
                log.warning("mail worker pass failed (%s), %d in a row", type(error).__name__, failures)
        if not loop:
            click.echo(f"{sent} sent")
            return
        time.sleep(min(interval * 2 ** min(failures, 6), 60.0) if failures else interval)


@mail_cli.command("status")
def status_command() -> None:
    """How many emails are pending, sent and failed. Exits 1 when any has failed."""
    found = counts()
    for state, count in found.items():
        click.echo(f"{state}: {count}")
    if found.get("failed"):
        raise SystemExit(1)
