"""Bounded, fair hand-out of claimed posts to publish threads, with per-channel and per-platform
limits so one slow or rate-limited platform never holds up the others."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from jobs.clock import SYSTEM


class Dispatcher:
    def __init__(self, concurrency: int, channel_limit: int, platform_share: float,
                 start: Callable[[Any], None], now: Callable[[], datetime] = SYSTEM.now):
        self.concurrency = concurrency
        self.channel_limit = channel_limit
        self.platform_cap = max(1, min(concurrency - 1, int(concurrency * platform_share))
                                if concurrency > 1 else 1)
        self.start = start                                  # runs one item on a free thread
        self.now = now                                      # the wall clock (jobs/clock.py)
        self.lock = threading.Lock()
        self.pending: dict[str, deque[tuple[Any, Hashable]]] = defaultdict(deque)  # platform -> items
        self.running_platform: dict[str, int] = defaultdict(int)
        self.running_channel: dict[object, int] = defaultdict(int)
        self.blocked: dict[object, datetime] = {}            # channel -> rate limit reset
        self.running = 0

    def size(self) -> int:
        with self.lock:
            return self.running + sum(len(q) for q in self.pending.values())

    def submit(self, item: Any, platform: str, channel_id: Hashable) -> None:
        with self.lock:
            self.pending[platform].append((item, channel_id))
        self.pump()

    def done(self, platform: str, channel_id: Hashable) -> None:
        with self.lock:
            self.running -= 1
            self.running_platform[platform] -= 1
            self.running_channel[channel_id] -= 1
        self.pump()

    def block(self, channel_id: Hashable, until: datetime) -> None:
        with self.lock:
            self.blocked[channel_id] = until

    def blocked_until(self, channel_id: Hashable) -> datetime | None:
        with self.lock:
            until = self.blocked.get(channel_id)
            if until and until <= self.now():
                del self.blocked[channel_id]
                return None
            return until

    def drain(self) -> list[Any]:
        """Take every item not started yet (shutdown)."""
        with self.lock:
            items = [item for q in self.pending.values() for item, _ch in q]
            self.pending.clear()
        return items

    def pump(self) -> None:
        while True:
            with self.lock:
                picked = self._pick()
                if picked is None:
                    return
                item, platform, channel_id = picked
                self.running += 1
                self.running_platform[platform] += 1
                self.running_channel[channel_id] += 1
            self.start(item)

    def _pick(self) -> tuple[Any, str, Hashable] | None:
        if self.running >= self.concurrency:
            return None
        for platform in sorted(self.pending, key=lambda p: self.running_platform[p]):
            queue = self.pending[platform]
            # A platform never holds every thread: when it hangs, the others still get some.
            if not queue or self.running_platform[platform] >= self.platform_cap:
                continue
            for i, (item, channel_id) in enumerate(queue):
                if self.running_channel[channel_id] < self.channel_limit:
                    del queue[i]
                    return item, platform, channel_id
        return None
