"""The systemd units in deploy/ keep the workers supervised, and name commands that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

UNITS = sorted((Path(__file__).resolve().parents[2] / "deploy" / "systemd").glob("*.service"))


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_every_unit_restarts_its_process_and_runs_it_unprivileged(unit):
    text = unit.read_text()
    assert "Restart=always" in text
    assert re.search(r"^User=safeguard-portal$", text, re.M)
    assert "NoNewPrivileges=true" in text and "ProtectSystem=strict" in text
    assert "EnvironmentFile=/etc/safeguard-portal/portal.env" in text


@pytest.mark.parametrize("unit", [u for u in UNITS if "flask --app portal" in u.read_text()], ids=lambda p: p.name)
def test_the_commands_the_units_run_exist(app, unit):
    exec_start = re.search(r"^ExecStart=(.*)$", unit.read_text(), re.M).group(1)
    words = shlex.split(exec_start.replace("%H-%i", "host-1"))
    args = words[words.index("portal") + 1:]
    options = [w for w in args if w.startswith("--")]
    result = app.test_cli_runner().invoke(args=[*args[:2], "--help"])
    assert result.exit_code == 0, result.output
    for option in options:
        assert option in result.output
