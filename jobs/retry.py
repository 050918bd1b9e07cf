"""The retry policy: what to do after a publish error. Branches on the error classes only."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.platforms.errors import PermanentError, PublishError, RateLimited, RetryableError
from jobs.config import EngineConfig


@dataclass
class Decision:
    retry: bool
    code: str
    message: str
    delay: float | None = None     # seconds from now (database clock)
    at: datetime | None = None     # or an absolute time given by the platform
    refund: bool = False           # the attempt does not count against the retries


def backoff(attempt: int, base: float) -> float:
    """Exponential backoff with equal jitter: between half and all of base * 2^(attempt-1)."""
    ceiling: float = base * 2 ** max(attempt - 1, 0)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def decide(error: PublishError, attempts: int, schedule_at: datetime | None,
           cfg: EngineConfig) -> Decision:
    """`attempts` counts this one. Permanent errors fail at once; retryable ones retry
    `cfg.max_retries` times; a rate limit waits for its reset without spending a retry."""
    code, message = error.code, error.message
    if isinstance(error, PermanentError) or not isinstance(error, RetryableError):
        return Decision(False, code, message)
    if isinstance(error, RateLimited):
        if error.retry_at is None:
            return Decision(True, code, message, delay=backoff(attempts, cfg.retry_base_seconds),
                            refund=True)
        window_end = (schedule_at or error.retry_at) + timedelta(
            seconds=cfg.rate_limit_window_seconds)
        if error.retry_at > window_end:
            return Decision(False, code, f"{message} (the limit resets at "
                            f"{error.retry_at.isoformat()}, too late to publish)")
        return Decision(True, code, message, at=error.retry_at, refund=True)
    if attempts > cfg.max_retries:
        return Decision(False, code, f"{message} (gave up after {attempts} attempts)")
    return Decision(True, code, message, delay=backoff(attempts, cfg.retry_base_seconds))
