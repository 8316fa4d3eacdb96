"""`flask --app portal rolls ...`: the Common Transfer File uploads' housekeeping."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.rolls.service import delete_stale_uploads

rolls_cli = AppGroup("rolls", help="Rolls from the school's MIS: Common Transfer File uploads.")


@rolls_cli.command("sweep")
def sweep_command() -> None:
    """Delete the uploaded CTFs never confirmed within 24 hours (the mail worker does this too,
    on each pass; this is for a timer or by hand). Prints a count, nothing personal."""
    click.echo(f"{delete_stale_uploads()} unconfirmed Common Transfer File(s) deleted")
