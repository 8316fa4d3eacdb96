"""The shape of the code holds: layers (import-linter), no import circles, services that never
abort, views that never commit. These run in CI with the rest of the suite, so the shape cannot
decay without a red build."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "casesim", "demo")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
         "--no-cache"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )


def test_the_layers_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    "module, upward_import, contract",
    [
        ("portal/pupils/models.py", "import portal.pupils.service", "Models know no services"),
        ("portal/concerns/service.py", "import portal.pupils.views", "Only the app factory and the web layer"),
        ("portal/transaction.py", "import portal.referrals.models", "The foundation"),
        ("portal/pupils/service.py", "import portal.transfers.models", "Each area depends only on the areas below it"),
    ],
)
def test_a_deliberate_upward_import_breaks_the_build(tmp_path, module, upward_import, contract):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{upward_import}  # added by the test\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert contract in result.stdout and "BROKEN" in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n in graph.modules
                       and n.split(".")[0] in PACKAGES) for m in modules}
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(start):
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter[0]; counter[0] += 1
        stack.append(start); on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]; counter[0] += 1
                    stack.append(child); on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop(); on_stack.discard(member); component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_circles():
    # Imports inside functions count too: moving an import into a function hides a circle from
    # Python, not from this test.
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    assert _cycles(graph) == []


def _python_files(pattern: str):
    return sorted(p for p in (ROOT / "portal").rglob(pattern) if "__pycache__" not in p.parts)


def test_only_the_unit_of_work_commits_or_rolls_back():
    # The ORM session's transaction is the unit of work's alone. A savepoint (one pulled update,
    # one data key made under a race) is committed or rolled back inside it, and the key
    # rotation's own Core connection (it holds a PostgreSQL advisory lock) manages itself. And
    # portal/read_commit.py ends with the driver's COMMIT a transaction that SQLAlchemy is rolling
    # back and that only read (the same for the database; the driver keeps its prepared statements).
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _python_files("*.py") if path.name != "transaction.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\b(?!savepoint\b)\w+\.(commit|rollback)\(\)", line) and not line.lstrip().startswith("#")
        and not (path.name == "rotation.py" and "connection.rollback()" in line)
        and not (path.name == "read_commit.py" and "raw.commit()" in line)
    ]
    assert offenders == []


def test_no_statement_goes_around_sqlalchemy():
    # portal/read_commit.py ends a transaction that sent only SELECTs with COMMIT: it sees every
    # statement SQLAlchemy sends, and would not see one sent on the driver's own cursor.
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _python_files("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.cursor\(\)|\bexec_\(|\.copy\(\s*f?[\"']COPY", line) and not line.lstrip().startswith("#")
        and not (path.name == "db.py" and 'exec_(b"")' in line)
    ]
    assert offenders == []


WEB_MODULES = {"views.py", "home.py", "health.py", "errors.py"}


def test_no_service_aborts_a_request():
    # Services raise domain errors (portal.domain_errors); only the web layer speaks HTTP.
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _python_files("*.py") if path.name not in WEB_MODULES
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\babort\(", line)
    ]
    assert offenders == []
