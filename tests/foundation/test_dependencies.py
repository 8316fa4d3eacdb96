"""Every dependency is pinned with hashes in requirements/lock.txt, which `make` installs from
(`make lock` refreshes it after pyproject.toml changes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_declared_dependency_is_pinned_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    lock = (ROOT / "requirements" / "lock.txt").read_text()
    # A pin may name the extras it is installed with: fonttools[woff]==4.68.0.
    pinned = {m.group(1).lower().replace("_", "-"): m.group(2)
              for m in re.finditer(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^ \\]+) \\\n\s+--hash=sha256:", lock, re.M)}
    assert declared - set(pinned) == set()
    assert "--index-url" not in lock and "file:///" not in lock  # nothing of one machine's set-up


def test_make_installs_from_the_lock_with_hashes_required():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements/lock.txt" in makefile
