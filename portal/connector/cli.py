"""`flask --app portal connector ...`: run workers and set each LA's endpoint.

    flask --app portal connector run [--once] [--batch 50] [--concurrency 8] [--poll-interval 1]
                                     [--pull-interval 30] [--no-pull] [--worker-id ID]
    echo "$SECRET" | flask --app portal connector set-endpoint 938 --url https://... [--overlap-hours 24]
    flask --app portal connector status
    flask --app portal connector notices 938 | retry-notices 938   (Operation Encompass notices)
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from portal.connector.endpoints import EndpointInvalid, http_allowed, set_endpoint
from portal.connector.notice_outbox import notice_counts, retry_dead_notices
from portal.connector.status import all_la_status
from portal.connector.worker import WorkerOptions, default_worker_id, run_worker, single_writer_database
from portal.orgs.service import get_local_authority_by_code

connector_cli = AppGroup("connector", help="Deliver referrals to each LA's case system and pull its updates.")


@connector_cli.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, pull once, then stop.")
@click.option("--batch", default=50, show_default=True, type=click.IntRange(1, 1000), help="Rows claimed at a time.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64),
              help="HTTP requests in flight at once per worker.")
@click.option("--poll-interval", default=1.0, show_default=True, type=click.FloatRange(0.01, 3600),
              help="Seconds to wait when nothing is due.")
@click.option("--pull-interval", default=30.0, show_default=True, type=click.FloatRange(1, 86400),
              help="Seconds between pulls of each LA's update feed.")
@click.option("--no-pull", is_flag=True, help="Deliver only; do not pull updates.")
@click.option("--worker-id", default=None, help="A name for this worker in leases and logs (default host:pid).")
def run_command(once, batch, concurrency, poll_interval, pull_interval, no_pull, worker_id):
    """Run a connector worker (any number, on any number of machines, on PostgreSQL)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is the connector's own

    if single_writer_database():
        click.echo("SQLite: run one connector worker only (several would wait on each other's writes).", err=True)
    options = WorkerOptions(worker_id=worker_id or default_worker_id(), batch=batch, concurrency=concurrency,
                            poll_interval=poll_interval, pull_interval=pull_interval, pull=not no_pull)
    totals = run_worker(options, once=once)
    click.echo(f"Delivered {totals['delivered']}, to retry {totals['retry']}, dead-lettered {totals['dead']}.")


@connector_cli.command("set-endpoint")
@click.argument("la_code")
@click.option("--url", "base_url", required=True, help="The case system's base URL for this LA.")
@click.option("--overlap-hours", default=24.0, show_default=True, type=click.FloatRange(0, 720),
              help="How long the previous secret stays accepted after a new one is set.")
@click.option("--keep-secret", is_flag=True, help="Change the URL only; read no secret.")
def set_endpoint_command(la_code, base_url, overlap_hours, keep_secret):
    """Set an LA's base URL and shared secret (the secret is read from standard input)."""
    la = get_local_authority_by_code(la_code)
    if la is None:
        raise click.ClickException(f"No local authority with code {la_code}.")
    secret = None
    if not keep_secret:
        if sys.stdin.isatty():
            secret = click.prompt("Shared secret", hide_input=True)
        else:
            secret = sys.stdin.readline().strip()
        if not secret:
            raise click.ClickException("Give the shared secret on standard input (or --keep-secret).")
    try:
        set_endpoint(la, base_url, secret, overlap=timedelta(hours=overlap_hours),
                     allow_http=http_allowed(current_app.config))
    except EndpointInvalid as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Endpoint for {la.name} ({la.code}) set to {base_url.rstrip('/')}.")


@connector_cli.command("status")
def status_command():
    """Queue depth, oldest undelivered, last 24 hours and last pull, per LA."""
    for row in all_la_status():
        click.echo(
            f"{row['la_code']} {row['la_name']}: endpoint {'set' if row['endpoint'] else 'not set'}, "
            f"queue {row['queue_depth']}, oldest {row['oldest_age_text'] or '-'}, "
            f"delivered 24h {row['delivered_24h']}, failures 24h {row['failures_24h']}, "
            f"dead {row['dead']}, last pull {row['last_pull_success'] or 'never'}"
            + (f", problem {row['problem']}" if row["problem"] else "")
        )


@connector_cli.command("notices")
@click.argument("la_code")
def notices_command(la_code):
    """Operation Encompass notices for an LA's case system, by state (waiting, sending, delivered, dead)."""
    la = get_local_authority_by_code(la_code)
    if la is None:
        raise click.ClickException(f"No local authority with code {la_code}.")
    counts = notice_counts(la.id)
    click.echo(f"{la.code} {la.name}: Encompass notices " + ", ".join(f"{state} {n}" for state, n in counts.items()))


@connector_cli.command("retry-notices")
@click.argument("la_code")
def retry_notices_command(la_code):
    """Send an LA's dead-lettered Operation Encompass notices again (after its case system was fixed)."""
    if get_local_authority_by_code(la_code) is None:
        raise click.ClickException(f"No local authority with code {la_code}.")
    click.echo(f"{retry_dead_notices(la_code)} notice(s) queued again.")
