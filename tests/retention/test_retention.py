"""Retention: a child's records destroyed after their 25th birthday (dry run first), legal holds
that stop it, and the shorter schedules for drafts, tokens and notices."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import AccountToken, SignInStage, UserSession
from portal.concerns.models import Concern, ConcernAttachment, ConcernDraft, ConcernPupil
from portal.db import db, utcnow
from portal.domain_errors import Invalid, NotFound
from portal.files import store_upload
from portal.files.models import StoredFile
from portal.notify.models import MailMessage
from portal.pupils.models import Enrolment, Pupil
from portal.referrals.models import Referral
from portal.retention import service
from portal.retention.models import LegalHold
from portal.transfers.models import Transfer, TransferAttachment
from portal.triage.models import TriageItem
from portal.updates.models import SharedUpdate
from tests.factories import council, make_concern, make_la, make_pupil, make_school, make_update, make_user, submitted_referral

TODAY = date(2026, 12, 5)
NOW = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
PDF = b"%PDF-1.4\nstatement\n%%EOF\n"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(app):
    """A council, a pupil who turned 25 yesterday with a full record, and a younger pupil."""
    setup = council()
    old = make_pupil(setup.school, forename="Quintessa", surname="Marlowby", born=date(2001, 12, 4))
    young = make_pupil(setup.school, forename="Thaddeus", surname="Pellwright", born=date(2012, 5, 1))
    db.session.add(Enrolment(pupil_id=old.id, school_id=setup.school.id, start_date=date(2006, 9, 1)))
    concern = make_concern(setup.school, old, setup.staff, commit=False)
    stored = store_upload(io.BytesIO(PDF), filename="statement.pdf", uploaded_by=setup.staff)
    db.session.flush()
    db.session.add(ConcernAttachment(concern_id=concern.id, stored_file_id=stored.id, added_by_id=setup.staff.id))
    # The younger pupil's concern names the older one as another child involved.
    young_concern = make_concern(setup.school, young, setup.staff, others=[(old, "witness")], commit=False)
    db.session.commit()
    referral = submitted_referral(setup, old)
    make_update(setup.school, old, referral=referral)
    other_school = make_school(setup.la)
    transfer = Transfer(pupil_id=old.id, from_school_id=setup.school.id, to_school_id=other_school.id,
                        destination_kind="school", status="sent", leaving_date=date(2017, 7, 20),
                        due_date=date(2017, 7, 27), recorded_by_id=setup.dsl.id)
    db.session.add(transfer)
    db.session.flush()
    sent = store_upload(io.BytesIO(PDF), filename="file.pdf")
    db.session.flush()
    db.session.add(TransferAttachment(transfer_id=transfer.id, stored_file_id=sent.id, position=1, sha256="0" * 64))
    db.session.commit()
    young_referral = submitted_referral(setup, young)
    return setup, old, young, young_concern, young_referral


def _run(apply=False):
    return service.run(apply=apply, today=TODAY, now=NOW)


def test_twenty_fifth_birthday_and_leap_days():
    assert service.twenty_fifth_birthday(date(2001, 12, 4)) == date(2026, 12, 4)
    assert service.twenty_fifth_birthday(date(2004, 2, 29)) == date(2029, 3, 1)


def test_a_dry_run_reports_counts_by_kind_and_changes_nothing(app, world):
    report = _run()
    counts = report.counts[service.RULE_CP]
    assert counts["pupils"] == 1
    assert counts["concerns"] == 1
    assert counts["referrals"] == 1
    assert counts["transfers"] == 1
    assert counts["attachments (files)"] == 2
    assert counts["updates"] == 2  # the acknowledgement and the note
    assert counts["triage items"] == 1
    assert counts["concern links"] == 2  # its own concern's subject link, and the witness link
    assert _count(Pupil) == 2 and _count(StoredFile) == 2 and _count(Referral) == 2


def test_apply_destroys_every_record_of_the_child_and_only_theirs(app, world):
    setup, old, young, young_concern, young_referral = world
    old_id = old.id
    _run(apply=True)
    db.session.expire_all()
    assert db.session.get(Pupil, old_id) is None
    assert db.session.get(Pupil, young.id) is not None
    assert [c.id for c in db.session.scalars(select(Concern))] == [young_concern.id]
    assert [r.id for r in db.session.scalars(select(Referral))] == [young_referral.id]
    assert _count(Transfer) == 0 and _count(StoredFile) == 0 and _count(ConcernAttachment) == 0
    assert _count(Enrolment) == 0
    assert {u.pupil_id for u in db.session.scalars(select(SharedUpdate))} == {young.id}
    assert {t.referral_id for t in db.session.scalars(select(TriageItem))} == {young_referral.id}
    # The younger child's concern stays; only the link naming the destroyed child went.
    assert {link.pupil_id for link in db.session.scalars(select(ConcernPupil))} == {young.id}
    assert _run().counts == {}  # nothing more is due


def test_the_audit_stub_says_what_went_by_which_rule_and_the_chain_verifies(app, world, tmp_path, monkeypatch):
    # This test's own checkpoint file (the suite's instance folder holds other tests' checkpoints).
    monkeypatch.setitem(app.config["PORTAL_SETTINGS"].extra, "PORTAL_AUDIT_CHECKPOINT_FILE", str(tmp_path / "cp.log"))
    old_id = world[1].id
    _run(apply=True)
    stub = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.destroyed")).one()
    assert stub.object_type == "pupil" and stub.object_id == str(old_id)
    assert stub.detail == service.RULE_CP  # the rule; the time is the event's own
    before = _count(AuditEvent)
    assert before > 1  # the events about the destroyed records are all still there
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_the_command_is_a_dry_run_unless_told_to_apply_and_prints_nothing_personal(app, world):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run" in dry.output and "pupils:" in dry.output and "Nothing was changed" in dry.output
    assert _count(Pupil) == 2
    old_id = world[1].id
    for secret in ("Quintessa", "Marlowby", "Thaddeus", str(old_id)):
        assert secret not in dry.output
    applied = runner.invoke(args=["retention", "run", "--apply"])
    assert applied.exit_code == 0 and "Destroyed" in applied.output
    assert _count(Pupil) == 1


def test_a_legal_hold_stops_destruction_until_it_is_released(app, world):
    setup, old, *_ = world
    old_id = old.id
    hold = service.place_hold(setup.dsl, old_id, "Care proceedings: the court has asked for the file")
    report = _run(apply=True)
    assert report.held == 1 and service.RULE_CP not in report.counts
    assert db.session.get(Pupil, old.id) is not None
    assert hold.reason.startswith("Care proceedings")
    assert hold._reason_ciphertext.startswith("v1:")
    service.release_hold(setup.admin, hold.id, "Proceedings concluded")
    _run(apply=True)
    db.session.expire_all()
    assert db.session.get(Pupil, old_id) is None
    assert _count(LegalHold) == 0  # the released hold went with the records it held
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"retention.hold_placed", "retention.hold_released", "retention.destroyed"} <= actions


def test_a_hold_on_a_child_named_in_the_concern_keeps_the_record(app, world):
    setup, old, *_ = world
    witness = make_pupil(setup.school, born=date(2013, 1, 1))
    concern = db.session.scalars(select(Concern).where(Concern.pupil_id == old.id)).one()
    db.session.add(ConcernPupil(concern_id=concern.id, pupil_id=witness.id, role="witness"))
    db.session.commit()
    service.place_hold(setup.dsl, witness.id, "Police investigation")
    report = _run(apply=True)
    assert report.held_by_link == 1
    assert db.session.get(Pupil, old.id) is not None


def test_only_the_schools_leads_and_its_councils_la_admin_may_place_a_hold(app, world):
    setup, old, *_ = world
    other_la = make_la()
    for refused in (setup.staff, setup.worker, setup.manager, make_user("dsl", make_school(setup.la)),
                    make_user("la_admin", other_la)):
        with pytest.raises(NotFound):
            service.place_hold(refused, old.id, "A reason")
    with pytest.raises(Invalid):
        service.place_hold(setup.dsl, old.id, "   ")
    assert service.place_hold(setup.admin, old.id, "Inquiry").in_force
    assert service.place_hold(setup.dsl.email, old.id, "Also asked by the DSL").in_force
    assert _count(LegalHold) == 2


def test_holds_through_the_command_line(app, world):
    setup, old, *_ = world
    runner = app.test_cli_runner()
    placed = runner.invoke(args=["retention", "hold", str(old.id), "--by", setup.dsl.email, "--reason", "Proceedings"])
    assert placed.exit_code == 0, placed.output
    listed = runner.invoke(args=["retention", "holds"])
    assert str(old.id) in listed.output and "1 hold(s) in force" in listed.output
    refused = runner.invoke(args=["retention", "hold", str(old.id), "--by", setup.staff.email, "--reason", "x"])
    assert refused.exit_code != 0
    hold_id = db.session.scalars(select(LegalHold.id)).one()
    released = runner.invoke(args=["retention", "release", str(hold_id), "--by", setup.admin.email, "--reason", "Done"])
    assert released.exit_code == 0, released.output
    assert "0 hold(s) in force" in runner.invoke(args=["retention", "holds"]).output


def test_abandoned_drafts_and_their_files_go_after_30_days(app, world):
    setup, *_ = world
    stale = ConcernDraft(school_id=setup.school.id, user_id=setup.staff.id, data={"account": "typed"})
    fresh = ConcernDraft(school_id=setup.school.id, user_id=setup.staff.id, data={"account": "typing"})
    upload = store_upload(io.BytesIO(PDF), filename="draft.pdf")
    db.session.add_all([stale, fresh])
    db.session.flush()
    stale.stored_file_ids = [str(upload.id)]
    db.session.commit()
    db.session.execute(ConcernDraft.__table__.update().where(ConcernDraft.id == stale.id)
                       .values(updated_at=NOW - timedelta(days=31)))
    db.session.commit()
    report = _run()
    assert report.counts[service.RULE_DRAFTS] == {"drafts": 1, "attachments (files)": 1}
    _run(apply=True)
    assert [d.id for d in db.session.scalars(select(ConcernDraft))] == [fresh.id]
    assert db.session.get(StoredFile, upload.id) is None


def test_expired_tokens_sign_in_stages_old_sessions_and_old_notices_go(app, world):
    setup, *_ = world
    user = setup.staff
    mail_before = _count(MailMessage)
    db.session.add_all([
        AccountToken(user_id=user.id, purpose="password_reset", token_hash="a" * 64, expires_at=NOW - timedelta(days=2)),
        AccountToken(user_id=user.id, purpose="password_reset", token_hash="b" * 64, expires_at=NOW + timedelta(hours=1)),
        SignInStage(user_id=user.id, kind="code", token_hash="c" * 64, expires_at=NOW - timedelta(days=2)),
        UserSession(user_id=user.id, token_hash="d" * 64, created_at=NOW - timedelta(days=3),
                    last_seen_at=NOW - timedelta(days=3), authenticated_at=NOW - timedelta(days=3)),
        MailMessage(recipient="x@example.org", subject="s", body="b", state="sent", sent_at=NOW - timedelta(days=91)),
        MailMessage(recipient="y@example.org", subject="s", body="b", state="sent", sent_at=NOW - timedelta(days=5)),
    ])
    db.session.commit()
    report = _run()
    assert report.counts[service.RULE_TOKENS] == {"expired tokens": 1, "expired sign-in stages": 1, "ended sessions": 1}
    assert report.counts[service.RULE_NOTICES] == {"notices (emails)": 1}
    _run(apply=True)
    assert _count(AccountToken) == 1 and _count(SignInStage) == 0 and _count(UserSession) == 0
    assert _count(MailMessage) == mail_before + 1  # the recent one stays


def test_a_court_bundle_made_for_the_child_goes_with_the_record(app, world):
    """A bundle job names its child by an opaque id (no foreign key): retention still finds it,
    and its PDF, and destroys both; the younger child's bundle stays."""
    from portal.jobs.models import BackgroundJob, JobStatus

    setup, old, young, _, _ = world
    made = store_upload(io.BytesIO(PDF), filename="bundle.pdf")
    db.session.flush()
    for pupil, result in ((old, made.id), (young, None)):
        db.session.add(BackgroundJob(kind="chronology.court_bundle", status=JobStatus.DONE if result else JobStatus.QUEUED,
                                     requested_by_id=setup.dsl.id, school_id=setup.school.id, subject_id=pupil.id,
                                     parameters={}, result_file_id=result, expires_at=NOW + timedelta(days=1)))
    db.session.commit()
    assert _run().counts[service.RULE_CP]["court bundles (being made or ready)"] == 1
    _run(apply=True)
    db.session.expire_all()
    assert [job.subject_id for job in db.session.scalars(select(BackgroundJob))] == [young.id]
    assert db.session.get(StoredFile, made.id) is None


def test_an_agency_referral_goes_on_the_childs_25th_birthday_with_what_depends_on_it(app):
    """A partner agency's referral has no pupil record: it goes on the 25th birthday of the child
    as the referrer named them, with its triage item, events and the updates sent back."""
    from portal.auth.roles import Role
    from portal.orgs.models import AgencyKind
    from tests.factories import agency_referral, agency_user, make_agency

    setup = council()
    police = make_agency(setup.la, kind=AgencyKind.POLICE_FORCE)
    officer = agency_user(police, Role.AGENCY_PROFESSIONAL, password_hash="x")
    old = agency_referral(officer, child={"forename": "Quintessa", "surname": "Marlowby", "born": date(2001, 12, 4)})
    young = agency_referral(officer, child={"forename": "Thaddeus", "surname": "Pellwright", "born": date(2012, 5, 1)})
    old_id, young_id = old.id, young.id
    assert db.session.scalar(select(func.count()).select_from(SharedUpdate).where(SharedUpdate.referral_id == old_id))
    report = _run()
    assert report.counts[service.RULE_CP]["referrals"] == 1
    assert report.counts[service.RULE_CP]["triage items"] == 1
    _run(apply=True)
    db.session.expire_all()
    assert [r.id for r in db.session.scalars(select(Referral))] == [young_id]
    assert {t.referral_id for t in db.session.scalars(select(TriageItem))} == {young_id}
    assert {u.referral_id for u in db.session.scalars(select(SharedUpdate))} == {young_id}
    stub = db.session.execute(select(AuditEvent).where(AuditEvent.action == "retention.destroyed")).scalar_one()
    assert stub.object_type == "referral" and str(stub.object_id) == str(old_id)
    assert _run().counts == {}
