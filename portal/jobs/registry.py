"""The kinds of background job, registered by the areas that own them.

The jobs module knows no area: an area registers its kind (at start-up, from portal/wiring.py)
with the function that does the work, and the worker looks the kind up by its name.

    register(JobKind(
        name="chronology.court_bundle",
        run=make_court_bundle,          # (JobContext) -> JobResult, in the job's own process
        warm_up=pdf.warm_up,            # optional: run once in the worker before it forks
        seconds=300,                    # the child is stopped after this
    ))

`run` is called in a child process of the worker, in the app context, with no unit of work open.
It reads what it needs, calls `context.progress(...)` between its steps (each call commits), and
returns the result's bytes; it raises to fail (the worker records the error's class name only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class JobResult:
    content: bytes
    # The file's name when downloaded: nothing personal (it ends up in download folders).
    filename: str


@dataclass
class JobContext:
    job_id: uuid.UUID
    subject_id: uuid.UUID | None
    parameters: dict[str, Any]
    requested_by: Any  # the User who asked
    progress: Callable[[str, int], None] = field(repr=False)


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[JobContext], JobResult]
    warm_up: Callable[[], None] | None = None
    seconds: int = 300


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Make a kind known to the worker (once; registering the same name again replaces it, so
    building a second app in one process is harmless)."""
    KINDS[kind.name] = kind


def kind_named(name: str) -> JobKind | None:
    return KINDS.get(name)
