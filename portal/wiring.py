"""Where the areas are plugged into each other: every area's event subscriptions.

Imported once by create_app(). The order of the imports is the order in which subscribers hear
an event (portal.events); docs/architecture.md lists the events and who hears them.
"""

from __future__ import annotations


def subscribe_areas() -> None:
    # Each import registers that area's handlers with portal.events.
    pass
