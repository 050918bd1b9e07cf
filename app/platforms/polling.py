"""Waiting for a platform to finish processing: backoff, a deadline, injectable sleep and clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from app.platforms.errors import PlatformUnavailable

T = TypeVar("T")


@dataclass
class Poller:
    """Calls `check` until it returns something other than None, waiting longer each time.

    Running out of time is retryable: the next attempt finds the saved upload or container and
    looks at its status again instead of starting over."""

    timeout: float = 300.0
    first: float = 2.0
    factor: float = 1.5
    longest: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def until(self, check: Callable[[], T | None], what: str, hint: Callable[[], float | None]
              | None = None) -> T:
        deadline = self.clock() + self.timeout
        wait = self.first
        while True:
            result = check()
            if result is not None:
                return result
            suggested = hint() if hint else None
            pause = min(max(wait, suggested or 0), self.longest)
            if self.clock() + pause > deadline:
                raise PlatformUnavailable(f"{what} was still processing after "
                                          f"{self.timeout:.0f} s; it is checked again on retry")
            self.sleep(pause)
            wait = min(wait * self.factor, self.longest)


def instant() -> Poller:
    """A poller that never really waits (tests), with a clock that advances as it 'sleeps'."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return Poller(sleep=sleep, clock=lambda: now[0])
