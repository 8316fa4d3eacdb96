"""The errors a service raises when it will not do what it was asked.

Services never call `flask.abort`: they raise one of these, and one error handler
(portal.errors) turns it into the GOV.UK error page with the matching status. A view catches one
only where it has something better to show (an `Invalid` re-shows the form with the message).

Messages are shown to the person who made the request, so they say what is wrong in the users'
words and never carry a child's details (they may also reach a log line's class name, never its
text).
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the domain errors. `status` is the HTTP status the error handler answers with."""

    status = 400

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The form field the message belongs to, when the error is about one answer.
        self.field = field


class NotFound(ServiceError):
    """No such record, or one the user may not know exists (another organisation's record)."""

    status = 404


class Refused(ServiceError):
    """The user may not do this (their role or the record's state does not allow it)."""

    status = 403


class Invalid(ServiceError):
    """What was asked for breaks a rule about the data (a date in the future, a missing answer)."""

    status = 400


class Conflict(ServiceError):
    """Someone else got there first, or the record has moved on (already sent, already decided)."""

    status = 409
