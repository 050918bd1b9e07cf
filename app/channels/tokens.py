"""Refreshing a channel's tokens ahead of time (for the worker's token-refresh job)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from app.channels import x
from app.channels.base import PublishJob
from app.channels.bluesky import BlueskyPublisher
from app.channels.threads import REFRESH_WITHIN, ThreadsPublisher

# X access tokens last 2 h: refresh in the last 15 min; Threads in its last week.
X_WINDOW = 15 * 60


def _job(platform: str, credentials: dict, settings: dict, save: Callable[[dict], None]) -> PublishJob:
    return PublishJob(post_id="", channel_id="", platform=platform, handle="", settings=settings,
                      credentials=dict(credentials), parts=[], options={}, idempotency_key="",
                      done=[], save_part=lambda _r: None, save_credentials=save)


def due(platform: str, credentials: dict, now: float | None = None) -> bool:
    """Whether the stored token should be refreshed now."""
    expires, now = credentials.get("expires_at"), now or time.time()
    if platform == "x":
        return bool(expires and credentials.get("refresh_token") and float(expires) - now < X_WINDOW)
    if platform == "threads":
        return bool(expires and float(expires) - now < REFRESH_WITHIN)
    return False


def refresh(platform: str, client: httpx.Client, credentials: dict, settings: dict,
            save: Callable[[dict], None]) -> None:
    """Refresh now; `save` receives the new credentials before anything uses them. Raises
    AuthRevoked when the platform refuses (the channel must be reconnected)."""
    job = _job(platform, credentials, settings, save)
    if platform == "x":
        x.refresh(client, job)
    elif platform == "threads":
        ThreadsPublisher(client).refresh_if_due(job)
    elif platform == "bluesky":
        BlueskyPublisher(client).renew(job)
