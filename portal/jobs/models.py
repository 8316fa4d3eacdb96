"""Background jobs: work that is too long for a request (a 100-page court bundle), done by the
jobs worker (`flask --app portal jobs work --loop`) and fetched when it is ready.

A row says what was asked (its kind, the opaque id of the record it is about, the parameters
encrypted), by whom and for which organisation, where it is (queued, running, done, failed), how
far it has got in words that name nobody, and, once done, the result: a file kept encrypted in the
portal's file store (portal/files), like an attachment. Results are deleted when the job expires
(24 hours after it finished), by the worker's sweep.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.crypto import encrypted
from portal.db import Base, UUIDPrimaryKey, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting for a worker
    RUNNING = "running"  # claimed by a worker, being made in a child process
    DONE = "done"  # the result is in the file store until the job expires
    FAILED = "failed"  # gave up: `error` says why, by a code or an error's class name


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class BackgroundJob(UUIDPrimaryKey, Base):
    __tablename__ = "background_job"

    # A registered kind (portal.jobs.registry): "chronology.court_bundle".
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    # The requester's organisation when they asked: one of the two.
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    local_authority_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("local_authority.id"))
    # The record the job is about (a pupil's id for a court bundle): opaque, no foreign key, so
    # that one table serves every kind.
    subject_id: Mapped[uuid.UUID | None]
    # What exactly was asked (a chronology's filters), encrypted.
    parameters = encrypted(dict)
    # How far it has got, in words that name nobody ("Laying out 300 entries").
    progress_text: Mapped[str | None] = mapped_column(String(200))
    progress_percent: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    # A code or an error's class name (timed_out, crashed, PdfFailed): never an error's message.
    error: Mapped[str | None] = mapped_column(String(60))
    result_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # A running job whose worker has gone (the machine stopped) is taken back after this.
    lease_expires_at: Mapped[datetime | None]
    # The job and its result are deleted after this (portal.jobs.service.sweep_expired).
    expires_at: Mapped[datetime]

    @property
    def organisation_id(self) -> uuid.UUID | None:
        return self.school_id or self.local_authority_id


# The worker's claim (queued, oldest first) and the sweep.
Index("ix_background_job_status_created_at", BackgroundJob.status, BackgroundJob.created_at)
Index("ix_background_job_expires_at", BackgroundJob.expires_at)
# "Is the same job already waiting?" (a double-click makes one job).
Index("ix_background_job_subject", BackgroundJob.kind, BackgroundJob.subject_id, BackgroundJob.requested_by_id)
