"""Workers when things break: what they log (the error class and the outbox id, never a message
or a traceback), and recording a delivery as soon as the database is back after a blip."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from portal.connector import outbox, pull
from portal.connector import worker as worker_module
from tests.connector.conftest import SECRET_938
from tests.connector.portal_setup import items, point_at, run_worker_once, submitted_referral
from tests.factories import make_la, referring_school

CHILD = "Amelia Hartley-Nkemelu"


def _northshire(casesim):
    la = make_la(code="938", name="Northshire")
    point_at(casesim, la, SECRET_938)
    return la


def _messages(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_an_unexpected_delivery_error_logs_its_class_and_the_outbox_id_but_not_its_message(app, casesim, caplog,
                                                                                          monkeypatch):
    la = _northshire(casesim)
    submitted_referral(referring_school(la))

    def broken(*args, **kwargs):
        raise RuntimeError(f"could not encode {CHILD} born 2014-03-09")

    monkeypatch.setattr(worker_module, "deliver_referral", broken)
    with caplog.at_level(logging.INFO, logger="portal.connector"):
        run_worker_once()
    [item] = items()
    assert item.state == "pending" and item.last_error == "internal_error"
    text = _messages(caplog)
    assert f"outbox={item.id}" in text and "error=RuntimeError" in text
    assert CHILD not in text and "2014-03-09" not in text
    assert all(record.exc_info is None and not record.exc_text for record in caplog.records)


def test_an_unexpected_pull_error_logs_its_class_only(app, casesim, caplog, monkeypatch):
    _northshire(casesim)

    def broken(*args, **kwargs):
        raise ValueError(f"summary for {CHILD}")

    monkeypatch.setattr(worker_module, "pull_la", broken)
    with caplog.at_level(logging.INFO, logger="portal.connector"):
        run_worker_once()
    text = _messages(caplog)
    assert "connector pull failed unexpectedly" in text and "error=ValueError" in text
    assert CHILD not in text
    assert all(record.exc_info is None for record in caplog.records)


def test_an_update_that_cannot_be_applied_logs_its_class_not_its_content(app, casesim, caplog, monkeypatch):
    la = _northshire(casesim)
    submitted_referral(referring_school(la))
    run_worker_once()
    [item] = items()

    def broken(*args, **kwargs):
        raise KeyError(CHILD)

    monkeypatch.setattr(pull, "_referral_status", broken)
    casesim.store.set_status(item.case_reference, "acknowledged")
    with caplog.at_level(logging.INFO, logger="portal.connector"):
        run_worker_once()
    text = _messages(caplog)
    assert "could not be applied" in text and "error=KeyError" in text
    assert CHILD not in text
    assert all(record.exc_info is None for record in caplog.records)


def test_a_worker_loop_failure_logs_the_class_only(app, casesim, caplog, monkeypatch):
    _northshire(casesim)
    calls = []

    def claim_fails(*args, **kwargs):
        calls.append(1)
        raise OperationalError(f"SELECT ... WHERE surname = '{CHILD}'", {}, Exception("server closed the connection"))

    monkeypatch.setattr(outbox, "claim_due", claim_fails)
    monkeypatch.setattr(worker_module.outbox, "claim_due", claim_fails)
    with caplog.at_level(logging.INFO, logger="portal.connector"), pytest.raises(OperationalError):
        run_worker_once()
    text = _messages(caplog)
    assert "error=OperationalError" in text and CHILD not in text and "SELECT" not in text
    assert all(record.exc_info is None for record in caplog.records)


def test_after_a_database_blip_the_delivery_is_recorded_as_soon_as_the_database_is_back(app, casesim, monkeypatch,
                                                                                        caplog):
    """The case system has the referral; recording it failed three times (the database away), then
    worked: the row is delivered with its case reference in the same run, not left "Sending" until
    its lease runs out, and the referral was sent once."""
    la = _northshire(casesim)
    referral = submitted_referral(referring_school(la))
    real = outbox.record_results
    failures = []

    def database_away_three_times(claim, results):
        if len(failures) < 3:
            failures.append(1)
            raise OperationalError("UPDATE connector_outbox ...", {}, Exception("connection refused"))
        return real(claim, results)

    monkeypatch.setattr(worker_module.outbox, "record_results", database_away_three_times)
    monkeypatch.setattr(worker_module, "RECORD_FIRST_DELAY", 0.01)
    with caplog.at_level(logging.INFO, logger="portal.connector"):
        totals = run_worker_once()
    assert len(failures) == 3 and totals["delivered"] == 1
    [item] = items()
    assert item.state == "delivered" and item.case_reference.startswith("CASE-938-") and item.lease_owner is None
    assert outbox.delivery_status(referral.id)["case_reference"] == item.case_reference
    assert len(casesim.cases("938")) == 1 and item.attempts == 1
    text = _messages(caplog)
    assert "could not record a batch of 1 results error=OperationalError" in text and "UPDATE" not in text


def test_recording_gives_up_when_the_lease_is_over_and_the_row_is_sent_again_later(app, casesim, monkeypatch):
    la = _northshire(casesim)
    submitted_referral(referring_school(la))

    def database_gone(claim, results):
        raise OperationalError("UPDATE ...", {}, Exception("connection refused"))

    monkeypatch.setattr(worker_module.outbox, "record_results", database_gone)
    monkeypatch.setattr(worker_module, "RECORD_FIRST_DELAY", 0.01)
    monkeypatch.setattr(worker_module.Worker, "lease_seconds", lambda self: 0.2)
    with pytest.raises(OperationalError):
        run_worker_once()
    [item] = items()
    assert item.state == "in_flight"  # the lease runs out and another worker sends it again (200, same reference)
