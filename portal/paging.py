"""Page numbers for a list shown a page at a time (the pupil roll, the updates inbox)."""

from __future__ import annotations


def page_count(total: int, page_size: int) -> int:
    """How many pages `total` rows fill (at least one, so an empty list still has its page)."""
    return max(1, -(-total // page_size))


def clamp_page(page: int, pages: int) -> int:
    """The page asked for, kept within 1..pages (a tampered or stale page number shows the nearest)."""
    return min(max(1, page), pages)


class PageNumbers:
    """For a dataclass with `total`, `page` and `page_size`: the rows this page shows, 1-based,
    for "Showing 51 to 100 of 812"."""

    total: int
    page: int
    page_size: int

    @property
    def first(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * self.page_size, self.total)
