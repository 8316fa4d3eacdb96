"""What the navigation's "Updates (N unread)" item needs, when a page has already counted it.

The inbox and the DSL's home count the user's unread updates themselves (in their own
statements); the navigation, drawn after them in the same request, would count them again with
a statement of its own. A page that has counted tells it here, for this request only (kept in
the request's own environ: `g` belongs to the app context, which a test or a command may keep
across requests). Only a school user's count: the one `service.unread_count` gives them.
"""

from __future__ import annotations

from flask import has_request_context, request

_KNOWN_KEY = "portal.updates_unread_known"


def unread_counted(user, count: int) -> None:
    """This request has counted `user`'s unread updates from their school: `count`."""
    if has_request_context():
        request.environ[_KNOWN_KEY] = (user.id, int(count))


def unread_already_counted(user) -> int | None:
    known = request.environ.get(_KNOWN_KEY) if has_request_context() else None
    if known is None or known[0] != user.id:
        return None
    return known[1]
