"""Reconnect pacing for database outages, logged once per outage and once on recovery."""

from __future__ import annotations

import logging

log = logging.getLogger("jobs")


class Backoff:
    def __init__(self, what: str, first: float = 0.25, ceiling: float = 10.0):
        self.what, self.first, self.ceiling = what, first, ceiling
        self.delay = 0.0

    def ok(self) -> None:
        if self.delay:
            log.info("%s: the database is reachable again", self.what)
        self.delay = 0.0

    def fail(self, exc: BaseException) -> float:
        self.delay = min(max(self.delay * 2, self.first), self.ceiling)
        log.warning("%s: database unavailable (%s); retrying in %.1fs", self.what,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__, self.delay)
        return self.delay
