"""Refreshing a channel's tokens: ahead of time (the worker's token-refresh job), and in the
middle of a publish under the channel's row lock, so two workers never spend one refresh token."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.platforms import graph
from app.platforms.base import PublishJob
from app.platforms.bluesky.publisher import BlueskyPublisher
from app.platforms.errors import AuthRevoked
from app.platforms.instagram.publisher import InstagramPublisher
from app.platforms.registry import PUBLISHERS
from app.platforms.threads.publisher import ThreadsPublisher
from app.platforms.x import publisher as x


def _job(platform: str, credentials: dict, settings: dict, save: Callable[[dict], None]) -> PublishJob:
    return PublishJob(post_id="", channel_id="", platform=platform, handle="", settings=settings,
                      credentials=dict(credentials), parts=[], options={}, idempotency_key="",
                      done=[], save_part=lambda _r: None, save_credentials=save)


def window(platform: str, default: float = 0.0) -> float:
    """How long before expiry a platform's tokens are refreshed: the publisher's own
    `refresh_window` (minutes for X, weeks for 60-day Meta tokens), else `default`."""
    return float(getattr(PUBLISHERS.get(platform), "refresh_window", None) or default)


def due(platform: str, credentials: dict, now: float | None = None) -> bool:
    """Whether the stored token should be refreshed now."""
    expires, now = credentials.get("expires_at"), now or time.time()
    if platform == "x":
        return bool(expires and credentials.get("refresh_token")
                    and float(expires) - now < window("x"))
    if platform in ("threads", "instagram"):
        return graph.long_lived_due(expires, now)
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
    elif platform == "instagram":
        InstagramPublisher(client).refresh_if_due(job)
    elif platform == "bluesky":
        BlueskyPublisher(client).renew(job)


def _tokens(credentials: dict) -> tuple:
    return tuple(credentials.get(k) for k in ("access_token", "refresh_token", "access_jwt",
                                              "refresh_jwt"))


def renew_locked(engine: sa.Engine, channel_id, stale: dict,
                 exchange: Callable[[dict], dict]) -> dict:
    """A publisher's refresh, done as the engine's pre-call refresh is: the channel row locked,
    the new credentials committed before anything uses them. When the stored tokens are no
    longer the stale ones, another worker refreshed while this one waited: use its tokens."""
    with Session(engine) as sess, sess.begin():
        channel = sess.scalar(sa.select(Channel).where(Channel.id == channel_id)
                              .with_for_update())
        if channel is None or channel.status != "connected":
            raise AuthRevoked("the channel was disconnected while publishing; reconnect it")
        current = channel.credentials
        if _tokens(current) != _tokens(stale):
            return current
        store(channel, exchange(dict(current)))
        return channel.credentials


def store(channel: Channel, creds: dict) -> None:
    """Store new credentials; their `expires_at` (epoch seconds or ISO 8601) stays in them,
    where the publishers read it, and becomes the channel's token_expires_at."""
    creds, expires_at = dict(creds), creds.get("expires_at")
    if isinstance(expires_at, int | float):
        expires_at = datetime.fromtimestamp(expires_at, UTC)
    elif isinstance(expires_at, str):
        expires_at = datetime.fromisoformat(expires_at)
    if expires_at is not None:
        creds["expires_at"] = expires_at.timestamp()
    channel.credentials = creds
    channel.token_expires_at = expires_at
