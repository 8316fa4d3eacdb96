import click
from flask.cli import AppGroup

from portal.audit.service import verify_chain, write_checkpoint_now

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify_command():
    """Check the keyed chain and every signed checkpoint; report the first broken event."""
    report = verify_chain()
    if report.ok:
        click.echo(f"Audit chain intact: {report.checked} events verified, "
                   f"{report.checkpoints} checkpoint{'s' if report.checkpoints != 1 else ''} matched.")
        return
    where = f"at event {report.first_broken_seq}" if report.first_broken_seq else "in the checkpoints"
    click.echo(f"Audit chain BROKEN {where}: {report.reason} ({report.checked} events verified before it).", err=True)
    raise SystemExit(1)


@audit_cli.command("checkpoint")
def checkpoint_command():
    """Sign the chain's head and append it to the checkpoint file (and the checkpoint log)."""
    checkpoint = write_checkpoint_now()
    if checkpoint is None:
        click.echo("The audit trail is empty: nothing to checkpoint.")
        return
    click.echo(f"Checkpoint written: {checkpoint.events} events, head {checkpoint.head[:16]}...")
