"""The command line as `flask --app portal ...` has it, for `app.test_cli_runner()`.

Flask's own test runner invokes `app.cli`, which lacks the commands other packages add through the
`flask.commands` entry points (the simulator's `casesim`, the demo's `demo`). The `flask` command
loads those; this runner does the same, so tests drive exactly the commands an operator has.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click
from flask.testing import FlaskCliRunner

from portal import Portal


class PortalCliRunner(FlaskCliRunner):
    def invoke(self, cli=None, args=None, **kwargs):
        if cli is None:
            cli = click.Group(commands=dict(self.app.cli.commands))
            for entry in entry_points(group="flask.commands"):
                cli.add_command(entry.load(), entry.name)
        return super().invoke(cli, args, **kwargs)


Portal.test_cli_runner_class = PortalCliRunner
