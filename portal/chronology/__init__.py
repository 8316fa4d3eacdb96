"""A pupil's chronology: one timeline of every concern, correction, review, referral, decision,
shared update, case summary and transfer the viewer may see, newest first; its page, printable
view and PDF export.

    from portal.chronology.service import chronology_for
    entries = chronology_for(pupil, viewer, categories={"neglect"}, date_from=..., date_to=...)

New kinds of record are adapters in portal.chronology.sources.
"""
