"""Reading the policy's tables as the tests write them: a header `action object <column>...`, then
one row per action and object with `yes` or `-` under each column (the object's label may have
spaces; the answers are the last words)."""

from __future__ import annotations


def read_table(text: str) -> tuple[list[str], list[tuple[str, str, dict[str, bool]]]]:
    """The column names, and each row as (action, object label, {column: allowed})."""
    header, *lines = [line for line in text.strip().splitlines() if line.strip()]
    columns = header.split()[2:]
    rows = []
    for line in lines:
        action, *words = line.split()
        label, answers = " ".join(words[: -len(columns)]), words[-len(columns):]
        assert all(a in ("yes", "-") for a in answers), line
        rows.append((action, label, dict(zip(columns, (a == "yes" for a in answers)))))
    return columns, rows
