"""Transfers of child protection files between schools (KCSIE: within 5 school days, with
confirmation of receipt).

    from portal.transfers import service
    transfer = service.record_leaver(pupil, by=dsl, leaving_date=..., destination_kind="school", to_school=school)
    service.send(transfer.id, by=dsl, covering_note="...")
    service.accept(transfer.id, by=receiving_dsl); service.match(transfer.id, by=receiving_dsl, pupil=None)

Modules: models (and the statuses), school_days (the 5-school-day clock), snapshot (what is sent, frozen), service,
notices (emails without child details), chronology (adapters), receipt (PDF), views, forms, demo.
"""
