"""Background jobs: work too long for a request, made by the jobs worker in a child process and
fetched when ready (a court bundle PDF).

    from portal.jobs import JobKind, JobResult, register      # an area registers its kind (wiring)
    from portal.jobs import submit, job_for, result_of         # its service asks for and follows one

The worker: `flask --app portal jobs work --loop` (portal/jobs/worker.py). docs/operations.md
says how it is run; docs/chronology.md how the court bundle uses it.
"""

from portal.jobs.models import BackgroundJob, JobStatus  # noqa: F401
from portal.jobs.registry import JobContext, JobKind, JobResult, register  # noqa: F401
from portal.jobs.service import job_for, result_of, submit  # noqa: F401
