"""Where the areas are plugged into each other: every area's event subscriptions.

Imported once by create_app(). The order of the imports is the order in which subscribers hear
an event (portal.events); docs/architecture.md lists the events and who hears them.
"""

from __future__ import annotations


def subscribe_areas() -> None:
    # Each import registers that area's handlers with portal.events.
    import portal.pupils.subscribers  # noqa: F401
    # ReferralSubmitted: the LA's queue (and the acknowledgement to the school), then the
    # connector's outbox row.
    import portal.triage.subscribers  # noqa: F401
    import portal.connector.subscribers  # noqa: F401
    # ReferralDecided: the school's shared update.
    import portal.updates.decision_subscribers  # noqa: F401
    # Operation Encompass notices on a pupil's chronology (and so in a transferred file).
    from portal.encompass.chronology import register as encompass_on_the_chronology

    encompass_on_the_chronology()
    # Off-roll notices and their outcomes too (the chronology is above cme: wiring hands it over).
    from portal.chronology import entries as chronology_entries, sources as chronology_sources
    from portal.cme.chronology import register as off_roll_notices_on_the_chronology

    off_roll_notices_on_the_chronology(chronology_sources, chronology_entries.Entry)
    # OffRollNoticeSent: what the school holds open about the child (concerns, referrals, a
    # recent Operation Encompass notice); OffRollNoticeFlagged: the council's triage sees the notice.
    import portal.cme.subscribers  # noqa: F401
    import portal.encompass.subscribers  # noqa: F401
    import portal.triage.off_roll_subscribers  # noqa: F401
    # Work left to the mail worker (below).
    defer_to_the_mail_worker()
    # Background jobs, made by the jobs worker (below).
    register_job_kinds()


def register_job_kinds() -> None:
    """The kinds of background job the areas own (portal.jobs knows no area): the worker looks
    each up by name."""
    from portal.chronology.bundle import register_court_bundle

    register_court_bundle()


def defer_to_the_mail_worker() -> None:
    """Work whose answer must not vary with what it finds: the page only records the request, and
    the mail worker (portal.notify.outbox.send_due) does it before each pass."""
    from portal.auth.credentials import process_password_reset_requests
    from portal.encompass.service import worker_pass as route_and_chase_encompass_notices
    from portal.notify.outbox import before_each_pass
    from portal.rolls.service import sweep_now_and_then
    from portal.transfers.service import match_waiting_requests

    before_each_pass(process_password_reset_requests)
    before_each_pass(match_waiting_requests)
    # Operation Encompass: route each child of a sent notice through the blind indexes (here, not
    # in the page, so the police's answer never varies with a match), and chase at 08:30 what is unread.
    before_each_pass(route_and_chase_encompass_notices)
    # Uploaded Common Transfer Files never confirmed go after 24 hours.
    before_each_pass(sweep_now_and_then)
