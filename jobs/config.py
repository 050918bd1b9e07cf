"""Engine settings: each field is read as OPENPOST_<FIELD> by app.config.Settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class EngineConfig:
    concurrency: int = 16            # publish threads per process
    batch: int = 100                 # most posts one claim statement takes
    lease_seconds: float = 30.0      # a crashed worker's posts are reconciled after this
    tick_seconds: float = 1.0        # heartbeat, lease renewal and wake-up period
    # A worker whose liveness lock is free and that has not beaten for this long is dead: its
    # posts are reconciled at once, without waiting for the lease (jobs/liveness.py).
    dead_after_seconds: float = 5.0
    grace_seconds: float = 20.0      # SIGTERM: time given to in-flight posts
    channel_limit: int = 4           # concurrent publishes per channel
    platform_share: float = 0.75     # most threads one platform may hold while others wait
    max_retries: int = 3
    retry_base_seconds: float = 2.0  # backoff: base * 2^(n-1), with jitter
    rate_limit_window_seconds: float = 3600.0  # a 429 reset later than this after schedule fails
    refresh_margin_seconds: float = 300.0      # refresh tokens expiring this soon before use
    http_timeout_seconds: float = 30.0
    maintenance_seconds: float = 15.0  # period of the lease, token and alarm duties (jobs/duties.py)
    retention_days: float = 30.0     # delivered outbox rows, finished webhook deliveries, stopped workers
    idempotency_hours: float = 24.0  # how long an Idempotency-Key's answer is replayed
    retention_seconds: float = 3600.0  # period of the retention duty
    # Recurring rules materialize their posts at least this far ahead of their time.
    recurring_horizon_hours: float = 24.0
    # Outbox duties (webhooks, media renditions; alert emails and audit sealing in the
    # scheduler's holder) and the "nothing is publishing" alarm check. Off only where
    # something else does them (the engine's own tests, the publishing benchmark).
    housekeeping: bool = True

    @classmethod
    def from_env(cls, **overrides: Any) -> EngineConfig:
        from app.config import settings

        values: dict[str, Any] = dict(settings().engine)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def dead_after(self) -> float:
        """Seconds without a heartbeat (liveness lock free) after which a worker is dead: never
        under three ticks, since a live worker beats once a tick."""
        return max(self.dead_after_seconds, 3 * self.tick_seconds)

    @property
    def fence_seconds(self) -> float:
        """How long after its last confirmed beat began a worker may still start a platform
        call: less than `dead_after`, so it stops before anyone can reclaim its posts, and more
        than a tick, so a live worker is never fenced between two beats."""
        return max(self.dead_after - 2 * self.tick_seconds, self.dead_after / 2)
