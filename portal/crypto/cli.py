"""`flask keys ...`: the keyring's status, data-key rotation, master-key re-wrapping."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.crypto.fields import keyring
from portal.crypto.rotation import RotationBusy, rewrap, rotate, status
from portal.db import db

keys_cli = AppGroup("keys", help="Encryption keys: status, rotation, master-key re-wrapping.")


@keys_cli.command("status")
def status_command():
    """Show the keys and how many stored values are under each."""

    with db.engine.connect() as connection:
        report = status(connection)
        problems = keyring().problems(connection)
    master_id = keyring().master.current.key_id
    click.echo(f"Master key: {master_id}")
    for problem in problems:
        click.echo(f"  PROBLEM: {problem}")
    if not report.keys:
        click.echo("No data keys yet (the first is made when the first value is encrypted).")
    for key in report.keys:
        rewrap = "" if key.master_key_id == master_id else f"  (wrapped by {key.master_key_id}: run `flask keys rewrap`)"
        click.echo(
            f"  {key.kid}  {key.purpose:<6} {key.state:<8} made {key.created_at:%Y-%m-%d %H:%M} UTC"
            f"  {key.values} values{rewrap}"
        )
    for (table, column), counts in sorted(report.per_column.items()):
        spread = ", ".join(f"{kid}: {count}" for kid, count in sorted(counts.items())) or "no values"
        click.echo(f"  {table}.{column}: {spread}")
    rotation = report.unfinished_rotation
    if rotation:
        click.echo(
            f"Unfinished rotation started {rotation['started_at']:%Y-%m-%d %H:%M} UTC to keys "
            f"{rotation['field_kid']}/{rotation['index_kid']}: run `flask keys rotate` to resume."
        )
        for table, (rows, finished) in sorted(rotation["tables"].items()):
            click.echo(f"  {table}: {rows} rows rewritten{' (done)' if finished else ''}")
    if problems:
        raise SystemExit(1)


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, help="Rows per transaction.")
def rotate_command(batch_size: int):
    """Make new current keys and re-encrypt every value under them (resumes an unfinished one)."""

    try:
        rotate(batch_size=batch_size, echo=click.echo)
    except RotationBusy as error:
        raise click.ClickException(str(error)) from None


@keys_cli.command("rewrap")
def rewrap_command():
    """Re-wrap every data key under the current master key (after changing PORTAL_MASTER_KEY)."""

    with db.engine.connect() as connection:
        count = rewrap(connection, keyring())
    click.echo(f"Re-wrapped {count} data keys under master key {keyring().master.current.key_id}.")
    if count:
        click.echo("The previous master key is no longer needed: remove PORTAL_PREVIOUS_MASTER_KEY.")
