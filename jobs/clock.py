"""The worker's own clock, for the few times it compares in Python rather than in SQL.

Lease times, due times and the dead-worker rule come from the database clock (`now()`). What a
worker times by itself reads this clock: the age of the leases it holds (renewed once a third
of a lease old), its fence (docs/architecture.md, Claim, lease and fencing) and the end of a
channel's rate limit. A `Worker` takes one as `clock`; the engine's tests give theirs a clock
they move forward instead of sleeping until a duration has passed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for intervals)."""
        return time.monotonic()

    def now(self) -> datetime:
        """The wall-clock time, aware (UTC), to compare with the times platforms send."""
        return datetime.now(UTC)


SYSTEM = Clock()
