"""The court bundle as a background job: asked for once, followed on its progress page (queued,
being prepared, ready, failed), downloaded by the person who asked or their school's DSLs while
they may still export, refused to everyone else at every address, and swept after a day."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from portal.audit.models import AuditEvent
from portal.auth.models import UserSession
from portal.auth.roles import Role
from portal.db import db, utcnow
from portal.files.models import StoredFile
from portal.jobs.models import BackgroundJob, JobStatus
from portal.jobs.service import sweep_expired
from tests.factories import make_concern
from tests.jobs.running import ask_for_court_bundle, run_jobs
from tests.signing_in import sign_in

NAME = ("Amelia", "Hartley-Nkemelu")


def jobs() -> list[BackgroundJob]:
    db.session.expire_all()
    return db.session.execute(select(BackgroundJob).order_by(BackgroundJob.created_at)).scalars().all()


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def asked(client, world, query=None) -> str:
    """The progress page's address after asking."""
    response = ask_for_court_bundle(client, world.pupil, query)
    assert response.status_code == 303, response.status_code
    return response.headers["Location"]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def bundle_world(world):
    make_concern(world.school, world.pupil, world.staff, account="Seen at the gate")
    return world


def test_asking_queues_one_job_that_names_nobody_and_a_double_click_makes_no_second(client, bundle_world):
    world = bundle_world
    sign_in(client, world.dsl)

    first = asked(client, world, {"categories": "neglect"})
    second = asked(client, world, {"categories": "neglect"})

    (job,) = jobs()
    assert first == second == f"/pupils/{world.pupil.id}/chronology/court-bundle/{job.id}"
    assert (job.kind, job.status, job.subject_id) == ("chronology.court_bundle", JobStatus.QUEUED, world.pupil.id)
    assert (job.requested_by_id, job.school_id, job.local_authority_id) == (world.dsl.id, world.school.id, None)
    assert job.parameters == {"categories": ["neglect"], "date_from": None, "date_to": None}
    # The filters are encrypted at rest like every other field.
    raw = db.session.execute(text("SELECT parameters FROM background_job")).scalar_one()
    assert "neglect" not in raw
    (event,) = events("chronology.export_asked")
    assert (event.actor_id, event.object_id, event.detail) == (world.dsl.id, str(world.pupil.id), "pdf_filtered")
    # Other filters are another bundle.
    asked(client, world)
    assert len(jobs()) == 2


def test_the_progress_page_says_queued_then_being_prepared_then_ready_with_a_download(client, bundle_world):
    world = bundle_world
    sign_in(client, world.dsl)
    url = asked(client, world)

    queued = page(client, url)
    assert "Your court bundle is waiting to be prepared" in queued
    assert not any(part in queued for part in NAME)  # the page names nobody (and so reads nothing)
    # It reloads itself only when asked to (an unasked reload fails WCAG 2.2.1), and can be stopped.
    assert 'http-equiv="refresh"' not in queued
    assert f'href="{url}"' in queued and "Check again" in queued
    assert f'href="{url}?auto=1">Update this page every 5 seconds' in queued
    automatic = page(client, f"{url}?auto=1")
    assert '<meta http-equiv="refresh" content="5">' in automatic
    assert f'href="{url}">Stop updating it' in automatic

    db.session.execute(update(BackgroundJob).values(status=JobStatus.RUNNING, progress_text="Laid out 10 pages",
                                                    progress_percent=40))
    db.session.commit()
    running = page(client, f"{url}?auto=1")
    assert "Your court bundle is being prepared" in running
    assert "Laid out 10 pages" in running and "about 40% done" in running
    assert 'http-equiv="refresh"' in running

    db.session.execute(update(BackgroundJob).values(status=JobStatus.QUEUED))
    db.session.commit()
    assert run_jobs() == 1
    ready = page(client, f"{url}?auto=1")
    assert "Your court bundle is ready" in ready
    assert f'href="{url}/download"' in ready and "Download the PDF" in ready
    assert 'http-equiv="refresh"' not in ready  # it stops once there is nothing to wait for

    download = client.get(f"{url}/download")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF-")
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == f'attachment; filename="chronology-{world.pupil.id}.pdf"'
    assert download.headers["Cache-Control"] == "no-store"
    (job,) = jobs()
    assert (job.status, job.progress_percent, job.attempts) == (JobStatus.DONE, 100, 1)
    stored = db.session.get(StoredFile, job.result_file_id)
    assert stored.content_type == "application/pdf"
    assert len(events("chronology.export")) == 1


def test_a_failed_render_is_reported_without_personal_data(client, bundle_world, monkeypatch, caplog):
    from portal.chronology import bundle

    def broken(html, on_page=None):
        raise ValueError("could not lay out Amelia Hartley-Nkemelu's chronology")

    monkeypatch.setattr(bundle, "render_in_this_process", broken)
    world = bundle_world
    sign_in(client, world.dsl)
    url = asked(client, world)

    with caplog.at_level(logging.INFO):
        run_jobs()

    (job,) = jobs()
    assert (job.status, job.error, job.result_file_id) == (JobStatus.FAILED, "ValueError", None)
    failed = page(client, url)
    assert "Your court bundle could not be prepared" in failed
    assert "Try again" in failed and str(job.id) in failed
    assert 'http-equiv="refresh"' not in page(client, f"{url}?auto=1")
    for part in NAME:
        assert part not in failed
        assert part not in caplog.text
        assert part not in " ".join(str(v) for v in (job.progress_text, job.error, job.kind))
    assert client.get(f"{url}/download").status_code == 404
    assert events("chronology.export") == []
    # Trying again asks for a new bundle.
    assert asked(client, world) != url


def test_the_failure_is_logged_by_its_class_name_only(client, bundle_world, monkeypatch, caplog):
    from portal.chronology import bundle
    from portal.jobs import worker

    monkeypatch.setattr(bundle, "render_in_this_process",
                        lambda html, on_page=None: (_ for _ in ()).throw(ValueError("Amelia Hartley-Nkemelu")))
    # Where the platform cannot fork the job runs in the worker itself: its log lines are seen here.
    monkeypatch.setattr(worker.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    sign_in(client, bundle_world.dsl)
    asked(client, bundle_world)

    with caplog.at_level(logging.INFO, logger="portal.jobs"):
        run_jobs()

    assert "error=ValueError" in caplog.text
    assert "Amelia" not in caplog.text and "Hartley" not in caplog.text


@pytest.mark.parametrize("who, refusal", [("other_dsl", 404), ("staff", 403), ("triage", 403), ("la_admin", 403)])
def test_another_school_or_role_is_refused_at_every_new_address(client, bundle_world, who, refusal):
    world = bundle_world
    sign_in(client, world.dsl)
    url = asked(client, world)
    run_jobs()
    before = len(events("chronology.export")) + len(events("chronology.export_asked"))

    sign_in(client, getattr(world, who))
    start = f"/pupils/{world.pupil.id}/chronology/court-bundle"
    answers = [client.get(start), ask_for_court_bundle(client, world.pupil), client.get(url),
               client.get(f"{url}/download")]

    assert [r.status_code for r in answers] == [refusal] * 4
    for response in answers:
        assert b"Hartley" not in response.data and not response.data.startswith(b"%PDF")
    assert len(jobs()) == 1
    assert len(events("chronology.export")) + len(events("chronology.export_asked")) == before


def test_a_job_is_found_only_under_its_own_pupil(client, bundle_world):
    from tests.factories import make_pupil

    world = bundle_world
    other = make_pupil(world.school)
    sign_in(client, world.dsl)
    url = asked(client, world)
    run_jobs()
    job_id = url.rsplit("/", 1)[1]

    elsewhere = f"/pupils/{other.id}/chronology/court-bundle/{job_id}"
    assert client.get(elsewhere).status_code == 404
    assert client.get(f"{elsewhere}/download").status_code == 404
    assert client.get(f"/pupils/{world.pupil.id}/chronology/court-bundle/{other.id}").status_code == 404


def test_the_schools_other_leads_may_fetch_it_but_not_its_staff(client, bundle_world):
    world = bundle_world
    sign_in(client, world.dsl)
    url = asked(client, world)
    run_jobs()

    sign_in(client, world.deputy)
    assert "Your court bundle is ready" in page(client, url)
    assert client.get(f"{url}/download").data.startswith(b"%PDF-")
    (event,) = events("chronology.export")
    assert event.actor_id == world.deputy.id


def test_a_requester_whose_access_ended_cannot_fetch_it(client, bundle_world):
    world = bundle_world
    sign_in(client, world.dsl)
    url = asked(client, world)
    run_jobs()

    world.dsl.role = Role.SCHOOL_STAFF.value  # no longer a safeguarding lead
    db.session.commit()
    assert client.get(f"{url}/download").status_code == 403

    world.dsl.role, world.dsl.school_id = Role.DSL.value, world.other_school.id  # a DSL at another school now
    db.session.commit()
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/download").status_code == 404
    assert events("chronology.export") == []


def test_a_requester_whose_access_ended_before_the_worker_ran_gets_nothing_made(client, bundle_world):
    world = bundle_world
    sign_in(client, world.dsl)
    asked(client, world)
    world.dsl.role = Role.SCHOOL_STAFF.value
    db.session.commit()

    run_jobs()

    (job,) = jobs()
    assert (job.status, job.error, job.result_file_id) == (JobStatus.FAILED, "BundleNoLongerAllowed", None)


def test_the_download_needs_a_recent_password_and_code(client, bundle_world):
    world = bundle_world
    sign_in(client, world.dsl)
    url = asked(client, world)
    run_jobs()
    db.session.execute(update(UserSession).values(authenticated_at=utcnow() - timedelta(minutes=20)))
    db.session.commit()

    response = client.get(f"{url}/download")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/re-authenticate?next=")
    assert events("chronology.export") == []


def test_stale_results_are_swept_with_their_files(client, bundle_world):
    world = bundle_world
    sign_in(client, world.dsl)
    url = asked(client, world)
    run_jobs()
    (job,) = jobs()
    file_id = job.result_file_id

    assert sweep_expired(utcnow() + timedelta(hours=23)) == 0
    assert sweep_expired(utcnow() + timedelta(hours=25)) == 1

    assert jobs() == []
    assert db.session.get(StoredFile, file_id) is None
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/download").status_code == 404


def test_the_worker_sweeps_on_every_pass(client, bundle_world):
    world = bundle_world
    sign_in(client, world.dsl)
    asked(client, world)
    run_jobs()
    db.session.execute(update(BackgroundJob).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()

    run_jobs()

    assert jobs() == []
    assert db.session.execute(select(StoredFile)).first() is None

