"""`flask --app portal casesim ...`: run the simulator and drive it from the command line.

The commands other than `run` open the simulator's SQLite file directly, so they work whether or
not the server is running, and a running server sees their changes at once (faults within a
quarter of a second).
"""

from __future__ import annotations

import json
import os
import secrets as token_source
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from casesim.config import DATABASE_FILE_NAME, SecretsError, load_secrets
from casesim.store import FAULT_MODES, FAULT_SCOPES, CaseSimError, CaseStore
from portal.connector import payload as contract

casesim_cli = AppGroup("casesim", help="The case-system simulator (development and tests only).")

_db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file (default: CASESIM_DB, else <instance>/casesim.sqlite3).",
)


def _db_path(db_path: Path | None) -> Path:
    if db_path:
        return db_path
    if os.environ.get("CASESIM_DB"):
        return Path(os.environ["CASESIM_DB"])
    return Path(current_app.instance_path) / DATABASE_FILE_NAME


def _refuse_in_production() -> None:
    if current_app.config.get("PORTAL_ENV") == "production":
        raise click.ClickException("The case-system simulator is refused when PORTAL_ENV=production.")


def _store(db_path: Path | None) -> CaseStore:
    _refuse_in_production()
    return CaseStore(_db_path(db_path))


@casesim_cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5100, show_default=True, type=int)
@_db_option
@click.option("--secrets", "secrets_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON file of LA code -> secret(s) (see docs/connector-contract.md).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 32),
              help="More than 1: serve with gunicorn worker processes (for benchmarks).")
def run_command(host: str, port: int, db_path: Path | None, secrets_file: Path | None, workers: int):
    """Serve the simulator (contract v1 at http://HOST:PORT/la/<LA code>)."""
    from casesim.app import create_casesim_app
    from casesim.serve import serve

    _refuse_in_production()
    try:
        la_secrets, source = load_secrets(Path(current_app.instance_path), secrets_file)
    except SecretsError as error:
        raise click.ClickException(str(error)) from None
    admin_token = os.environ.get("CASESIM_ADMIN_TOKEN") or token_source.token_urlsafe(24)
    path = _db_path(db_path)
    # Create the tables once here, before any worker process opens the file.
    CaseStore(path).close()
    click.echo(f"Case-system simulator on http://{host}:{port}  (database {path}, {workers} process(es))")
    click.echo(f"Secrets from {source}; LAs: {', '.join(sorted(la_secrets))}")
    for la_code in sorted(la_secrets):
        click.echo(f"  LA {la_code} base URL: http://{host}:{port}/la/{la_code}")
    if not os.environ.get("CASESIM_ADMIN_TOKEN"):
        click.echo(f"Admin token for /_admin/* (set CASESIM_ADMIN_TOKEN to choose one): {admin_token}")
    serve(lambda: create_casesim_app(path, la_secrets, admin_token=admin_token), host, port, workers)


@casesim_cli.command("list")
@_db_option
@click.option("--la", "la_code", default=None, help="Only this LA.")
def list_command(db_path: Path | None, la_code: str | None):
    """Referrals and Operation Encompass notices received: references, statuses, counts (no personal details)."""
    store = _store(db_path)
    rows = store.list_referrals(la_code)
    if not rows:
        click.echo("No referrals received yet.")
    for row in rows:
        click.echo(f"{row['case_reference']}  {row['person_id']}  {row['status']:<12}  {row['received_at']}  referral {row['referral_id']}")
    notices = store.list_notices(la_code)
    if notices:
        click.echo("Operation Encompass notices:")
    for row in notices:
        click.echo(f"{row['notice_reference']}  children {row['children']} (at a school {row['at_school']})  "
                   f"{row['received_at']}  notice {row['notice_id']}")


@casesim_cli.command("set-status")
@click.argument("case_reference")
@click.argument("status", type=click.Choice(contract.REFERRAL_STATUSES))
@click.option("--decision", type=click.Choice(contract.DECISION_OUTCOMES), default=None, help="Required with 'decided'.")
@click.option("--rag", type=click.Choice(contract.RAG_RATINGS), default=None)
@click.option("--reasons", default=None, help="The LA's reasons for the decision.")
@click.option("--feedback", default=None, help="Feedback text for the school.")
@_db_option
def set_status_command(case_reference, status, decision, rag, reasons, feedback, db_path):
    """Change a referral's status; the portal sees it on its next pull."""
    store = _store(db_path)
    decision_data = {"outcome": decision, "rag": rag, "reasons": reasons, "feedback_for_school": feedback} if decision else None
    try:
        update = store.set_status(case_reference, status, decision=decision_data)
    except CaseSimError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Update {update['id']}: {case_reference} is now {status}.")


def _parse_extra(values: tuple[str, ...]) -> dict:
    extra = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter("use NAME=VALUE", param_hint="--extra")
        extra[name.strip()] = value
    return extra


@casesim_cli.command("add-summary")
@click.option("--la", "la_code", default=None, help="LA code (taken from --case if not given).")
@click.option("--person", "person_id", default=None, help="Person id, e.g. PER-938-000001.")
@click.option("--case", "case_reference", default=None, help="Or a case reference: its person is used.")
@click.option("--status", required=True, type=click.Choice(contract.CASE_STATUSES))
@click.option("--cp-category", type=click.Choice(contract.CP_CATEGORIES), default=None, help="With child_protection_plan.")
@click.option("--start-date", required=True, help="YYYY-MM-DD")
@click.option("--worker-name", default=None)
@click.option("--worker-email", default=None)
@click.option("--worker-phone", default=None)
@click.option("--team-name", default=None)
@click.option("--team-email", default=None)
@click.option("--team-phone", default=None)
@click.option("--next-review", "next_review_date", default=None, help="Next review or conference, YYYY-MM-DD.")
@click.option("--note", "note_for_school", default=None, help="Note for the school.")
@click.option("--extra", multiple=True, help="NAME=VALUE: a field outside the contract (to test the sharing policy).")
@_db_option
def add_summary_command(la_code, person_id, case_reference, status, cp_category, start_date, worker_name, worker_email,
                        worker_phone, team_name, team_email, team_phone, next_review_date, note_for_school, extra, db_path):
    """Publish a case summary for a person; the portal sees it on its next pull."""
    store = _store(db_path)
    try:
        if case_reference:
            case_la, person_from_case = store.person_for_case(case_reference)
            la_code, person_id = la_code or case_la, person_id or person_from_case
        if not (la_code and person_id):
            raise click.UsageError("give --case, or --la and --person")

        def contact(name, email, phone):
            return {"name": name, "email": email, "phone": phone} if name else None

        fields = {
            "status": status,
            "cp_category": cp_category,
            "start_date": start_date,
            "allocated_worker": contact(worker_name, worker_email, worker_phone),
            "team": contact(team_name, team_email, team_phone),
            "next_review_date": next_review_date,
            "note_for_school": note_for_school,
        }
        update = store.add_summary(la_code, person_id, fields, extra=_parse_extra(extra))
    except CaseSimError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Update {update['id']}: case summary for {person_id} ({status}).")


@casesim_cli.command("fault")
@click.argument("mode", type=click.Choice(FAULT_MODES))
@click.option("--scope", type=click.Choice(FAULT_SCOPES), default="all", show_default=True)
@click.option("--delay", type=float, default=None, help="Seconds, for hang (default 30) and slow (default 2).")
@click.option("--count", type=int, default=None, help="Only the next COUNT requests (default: until switched off).")
@_db_option
def fault_command(mode, scope, delay, count, db_path):
    """Switch a fault on (or off with `none`) in the running simulator."""
    store = _store(db_path)
    try:
        fault = store.set_fault(mode, scope=scope, delay=delay, count=count)
    except CaseSimError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps({"mode": fault.mode, "scope": fault.scope, "delay": fault.delay, "count": fault.remaining}))
