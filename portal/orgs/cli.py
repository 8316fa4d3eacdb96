"""`flask --app portal schools ...`: register LAs and import schools from a GIAS extract."""

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.orgs.service import OrganisationError, ensure_local_authority, import_schools_csv

schools_cli = AppGroup("schools", help="Local authorities and schools.")


@schools_cli.command("import")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(csv_path: Path):
    """Import schools from a CSV in the DfE Get Information About Schools layout.

    Columns used: URN, LA (code), EstablishmentNumber, EstablishmentName,
    PhaseOfEducation (name). Bad rows are reported with their line numbers; good rows are imported.
    """
    text = csv_path.read_bytes().decode("utf-8-sig", errors="replace")
    report = import_schools_csv(text)
    for line, message in report.errors:
        click.echo(f"line {line}: {message}", err=True)
    click.echo(report.summary)
    if report.errors:
        raise SystemExit(1)


@schools_cli.command("add-la")
@click.argument("code")
@click.argument("name")
def add_la_command(code: str, name: str):
    """Register a local authority by its 3-digit code."""
    try:
        la = ensure_local_authority(code, name)
    except OrganisationError as error:
        raise click.ClickException(error.message)
    click.echo(f"{la.code} {la.name}")
