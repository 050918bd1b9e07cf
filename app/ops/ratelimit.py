"""Fixed-window rate limits counted in PostgreSQL, so they hold across processes and machines."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

SWEEP_ONE_IN = 500  # now and then a hit also deletes ended windows

# set_config(..., true) inside the statement makes this transaction's commit asynchronous (a
# counter is not worth an fsync) without a separate round trip.
_HIT = sa.text("""
    WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
    INSERT INTO rate_limits (key, window_start, count)
    SELECT :key, to_timestamp(floor(extract(epoch FROM now()) / :w) * :w), 1 FROM async
    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1
    RETURNING count,
              ceil(extract(epoch FROM window_start + make_interval(secs => :w) - now()))::int
""")


@dataclass(frozen=True)
class Limit:
    count: int
    window_s: int

    @classmethod
    def from_env(cls, name: str, default: str) -> Limit:
        """A limit written "COUNT/SECONDS", e.g. OPENPOST_API_RATE=600/60."""
        text = os.environ.get(name, default)
        try:
            count, window = (int(x) for x in text.split("/"))
        except ValueError as exc:
            raise ValueError(f"{name} must look like 600/60 (requests/seconds), not {text!r}"
                             ) from exc
        return cls(count, window)


def hit(sess: Session, key: str, limit: Limit) -> int | None:
    """Count one request against `key`; None when allowed, else seconds until it is allowed.

    Commits (the caller's session must hold nothing pending).
    """
    count, remaining = sess.execute(_HIT, {"key": key[:255], "w": limit.window_s}).one()
    if random.randrange(SWEEP_ONE_IN) == 0:
        # This key's ended windows, and anything a week old (no window is that long); never a
        # window still running, however long it is.
        sess.execute(sa.text(
            "DELETE FROM rate_limits WHERE (key = :key AND window_start < "
            "to_timestamp(floor(extract(epoch FROM now()) / :w) * :w)) "
            "OR window_start < now() - interval '7 days'"), {"key": key[:255], "w": limit.window_s})
    sess.commit()
    return None if count <= limit.count else max(int(remaining), 1)
