"""Fixed-window rate limits counted in PostgreSQL, so they hold across processes and machines.

A limit of hundreds or more per window is not counted one request at a time: a process reserves
a slice of the window's allowance (1/SHARE of it) in one write and spends it locally, so a busy
key costs one write per slice instead of one per request. The counter still never admits more
than the limit; a key spread over N processes may be refused up to (N-1) slices early.
A refused key is remembered until its window ends, so a flood of refused requests costs no writes.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

SWEEP_ONE_IN = 500  # now and then a write also deletes ended windows
SHARE = 100  # a reservation takes at most this fraction (1/SHARE) of a window's allowance
HELD_KEYS = 10_000  # reservations remembered per process; forgetting one only wastes it

# Adds :n to this window's counter and answers the new count, the window (as epoch seconds) and
# the seconds it has left. set_config(..., true) makes this transaction's commit asynchronous (a
# counter is not worth an fsync) without a separate round trip.
_RESERVE = sa.text("""
    WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
    INSERT INTO rate_limits (key, window_start, count)
    SELECT :key, to_timestamp(floor(extract(epoch FROM now()) / :w) * :w), :n FROM async
    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + :n
    RETURNING count, extract(epoch FROM window_start)::float8,
              extract(epoch FROM window_start + make_interval(secs => :w) - now())::float8
""")


@dataclass(frozen=True)
class Limit:
    count: int
    window_s: int

    @property
    def slice(self) -> int:
        """Requests reserved per write: 1 (exact counting) below SHARE × 2 per window."""
        return max(1, self.count // SHARE)


@dataclass
class _Held:
    window: float  # the window's start, epoch seconds (as the database counts them)
    ends: float  # time.monotonic() when the window ends
    left: int
    refused: bool = False  # this window's allowance ran out: refuse without asking the database


_held: dict[str, _Held] = {}
_lock = threading.Lock()


def hit(sess: Session, key: str, limit: Limit) -> int | None:
    """Count one request against `key`; None when allowed, else seconds until it is allowed.

    Commits when it writes (the caller's session must hold nothing pending).
    """
    key = key[:255]
    if _spend_held(key):
        return None
    wait = _still_refused(key)
    if wait:
        return wait
    n = limit.slice
    count, window, remaining = sess.execute(_RESERVE, {"key": key, "w": limit.window_s,
                                                       "n": n}).one()
    if random.randrange(SWEEP_ONE_IN) == 0:
        _sweep(sess, key, limit)
    sess.commit()
    granted = min(n, limit.count - (count - n))  # what this write took from what was left
    if granted <= 0:
        _hold(key, window, time.monotonic() + remaining, 0, refused=True)
        return max(math.ceil(remaining), 1)
    if granted > 1:
        _hold(key, window, time.monotonic() + remaining, granted - 1)
    return None


def _spend_held(key: str) -> bool:
    with _lock:
        held = _held.get(key)
        if held is None or held.left <= 0 or time.monotonic() >= held.ends:
            return False
        held.left -= 1
        return True


def _still_refused(key: str) -> int | None:
    """Seconds left in the window of a key this process saw refused (the count only grows)."""
    with _lock:
        held = _held.get(key)
        left = held.ends - time.monotonic() if held is not None and held.refused else 0
    return max(math.ceil(left), 1) if left > 0 else None


def _hold(key: str, window: float, ends: float, tokens: int, refused: bool = False) -> None:
    with _lock:
        held = _held.get(key)
        if held is not None and held.window == window and time.monotonic() < held.ends:
            held.left += tokens
            held.refused = held.refused or refused
            return
        if len(_held) >= HELD_KEYS:
            now = time.monotonic()
            for stale in [k for k, h in _held.items() if now >= h.ends] or list(_held)[:1]:
                del _held[stale]
        _held[key] = _Held(window, ends, tokens, refused)


def _sweep(sess: Session, key: str, limit: Limit) -> None:
    # This key's ended windows, and anything a week old (no window is that long); never a window
    # still running, however long it is.
    sess.execute(sa.text(
        "DELETE FROM rate_limits WHERE (key = :key AND window_start < "
        "to_timestamp(floor(extract(epoch FROM now()) / :w) * :w)) "
        "OR window_start < now() - interval '7 days'"), {"key": key, "w": limit.window_s})
