"""`flask --app portal retention ...`: destroy what is past its retention period; legal holds."""

from __future__ import annotations

import uuid

import click
from flask.cli import AppGroup

from portal.domain_errors import Invalid, NotFound
from portal.retention import service

retention_cli = AppGroup("retention", help="Retention: what is destroyed when, and legal holds that stop it.")


@retention_cli.command("run")
@click.option("--apply", is_flag=True, help="Destroy what is due (without it: a dry run that changes nothing).")
def run_command(apply: bool) -> None:
    """Report (or with --apply destroy) records past their retention period: counts by rule and
    kind, nothing personal."""
    report = service.run(apply=apply)
    click.echo(("Destroyed" if apply else "Dry run: would destroy") + f" (as of {report.today.isoformat()}):")
    if not report.counts:
        click.echo("  nothing is due")
    for rule, counts in report.counts.items():
        click.echo(f"  rule {rule}:")
        for kind, n in sorted(counts.items()):
            click.echo(f"    {kind}: {n}")
    click.echo(f"Kept under a legal hold: {report.held} pupil record(s); "
               f"kept because a concern names a held pupil: {report.held_by_link}")
    if not apply and report.counts:
        click.echo("Nothing was changed. Run with --apply to destroy these records.")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter("not a record id") from None


@retention_cli.command("hold")
@click.argument("pupil_id")
@click.option("--by", "by_email", required=True, help="Email of the DSL or LA admin asking for the hold.")
@click.option("--reason", required=True, help="Why the records must be kept (e.g. proceedings, an inquiry).")
def hold_command(pupil_id: str, by_email: str, reason: str) -> None:
    """Place a legal hold on a pupil's records (their id from the pupil page's address)."""
    try:
        hold = service.place_hold(by_email, _uuid(pupil_id), reason)
    except NotFound:
        raise click.ClickException("No such pupil, or that person may not hold this pupil's records") from None
    except Invalid as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Legal hold {hold.id} placed.")


@retention_cli.command("release")
@click.argument("hold_id")
@click.option("--by", "by_email", required=True, help="Email of the DSL or LA admin releasing it.")
@click.option("--reason", required=True, help="Why the hold is no longer needed.")
def release_command(hold_id: str, by_email: str, reason: str) -> None:
    """Release a legal hold: the records are then kept only as long as retention allows."""
    try:
        hold = service.release_hold(by_email, _uuid(hold_id), reason)
    except NotFound:
        raise click.ClickException("No such hold in force, or that person may not release it") from None
    except Invalid as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Legal hold {hold.id} released.")


@retention_cli.command("holds")
def holds_command() -> None:
    """List the holds in force (ids only)."""
    holds = service.holds_in_force()
    for hold_id, pupil_id, placed_at in holds:
        click.echo(f"{hold_id}  pupil {pupil_id}  since {placed_at:%Y-%m-%d}")
    click.echo(f"{len(holds)} hold(s) in force")
