"""`flask encompass chase`: route the notices sent since the last pass and chase, at 08:30, the
ones still unread. The mail worker (`flask mail send --loop`) does the same before each of its
passes (portal.wiring), so a deployment that runs it needs nothing more; this command is for
running a pass by hand, or on its own schedule with --loop."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from portal.encompass import service

encompass_cli = AppGroup("encompass", help="Operation Encompass notices.")


@encompass_cli.command("chase")
@click.option("--loop", is_flag=True, help="Keep going (a supervised worker); otherwise one pass.")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between passes with --loop.")
def chase_command(loop: bool, interval: float) -> None:
    """Route sent notices and chase the unread ones whose 08:30 has passed."""
    while True:
        routed = service.route_waiting()
        chased = service.chase_overdue()
        click.echo(f"{routed} child{'' if routed == 1 else 'ren'} routed, {chased} notice{'' if chased == 1 else 's'} chased")
        if not loop:
            return
        time.sleep(interval)
