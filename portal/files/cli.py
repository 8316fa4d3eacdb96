"""`flask --app portal files ...`: where attachments are kept."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.files.move import move_to_database

files_cli = AppGroup("files", help="Attachments: move them from disk into the database.")


@files_cli.command("move-to-database")
@click.option("--remove-disk-copies", is_flag=True,
              help="Delete each disk copy once its database copy has committed and verified.")
@click.option("--batch", type=int, default=None, help="Move at most this many files, then stop.")
def move_command(remove_disk_copies: bool, batch: int | None) -> None:
    """Copy every attachment kept on disk into the database and verify each (decrypt both and
    compare digests). Safe to interrupt and to run again: it resumes, and skips what is done."""
    report = move_to_database(remove_disk_copies=remove_disk_copies, stop_after=batch)
    click.echo(f"Moved and verified: {report.moved}")
    click.echo(f"Already in the database: {report.already_in_database}")
    click.echo(f"Missing on disk: {report.missing_on_disk}")
    click.echo(f"Failed verification (left on disk, not moved): {report.failed_verification}")
    if remove_disk_copies:
        click.echo(f"Disk copies removed: {report.disk_copies_removed}")
    for problem in report.problems:
        click.echo(f"  stored file {problem}")
    if not report.complete:
        raise SystemExit(1)
