"""One log line per failure, and a summary line for a burst of the same one.

During a database outage every request fails the same way: hundreds a second. Logging each in
full filled 31 MB of log in 16 s and buried everything else. Here the first failure of a kind in
a window is logged as it happens; the rest of that window are counted and reported as one line
("... and 580 more like it in the last 10 s") when the next one of that kind comes after the
window, or when the window of any kind is looked at again.
"""

from __future__ import annotations

import logging
import threading
import time

WINDOW_SECONDS = 10.0


class BurstLog:
    def __init__(self, logger: logging.Logger, window: float = WINDOW_SECONDS, clock=time.monotonic):
        self.logger, self.window, self.clock = logger, window, clock
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, int]] = {}  # kind -> (window start, repeats held back)

    def record(self, kind: str, detail: str) -> None:
        """Log `kind detail` at ERROR unless `kind` was already logged in this window."""
        now = self.clock()
        with self._lock:
            started, held = self._seen.get(kind, (None, 0))
            if started is not None and now - started < self.window:
                self._seen[kind] = (started, held + 1)
                return
            self._seen[kind] = (now, 0)
        if held:
            self.logger.error("%s: %d more like it in the last %d s", kind, held, round(now - started))
        self.logger.error("%s %s", kind, detail)
