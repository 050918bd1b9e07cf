"""Keeping a channel's tokens fresh: one locked path, `ensure_fresh`, for the engine's refresh
before a call, a refresh inside a publish (a 401, a token about to expire), the composer's
calls to the platform and the periodic sweep. Each platform declares when its tokens are due
(`refresh_window`, `refresh_due`) and how they are exchanged (`refresh_token`) on its
publisher; the channel's row lock makes sure two workers never spend one refresh token."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.config import sandbox_routes
from app.platforms.base import PublishJob
from app.platforms.errors import AuthRevoked
from app.platforms.registry import PUBLISHERS

log = logging.getLogger(__name__)


def _job(platform: str, credentials: dict, settings: dict, save: Callable[[dict], None],
         channel_id: str = "", handle: str = "") -> PublishJob:
    return PublishJob(post_id="", channel_id=channel_id, platform=platform, handle=handle,
                      settings=settings, credentials=dict(credentials), parts=[], options={},
                      idempotency_key="", done=[], save_part=lambda _r: None,
                      save_credentials=save)


def window(platform: str, default: float = 0.0) -> float:
    """How long before expiry a platform's tokens are refreshed: the publisher's own
    `refresh_window` (minutes for X, weeks for 60-day Meta tokens), else `default`."""
    return float(getattr(PUBLISHERS.get(platform), "refresh_window", None) or default)


def due(platform: str, credentials: dict, now: float | None = None) -> bool:
    """Whether the stored token should be refreshed now, by the platform's own rule."""
    publisher = PUBLISHERS.get(platform)
    return bool(publisher and publisher.refresh_due(credentials, now or time.time()))


def refresh(platform: str, client: httpx.Client, credentials: dict, settings: dict,
            save: Callable[[dict], None]) -> None:
    """Refresh now; `save` receives the new credentials before anything uses them. Raises
    AuthRevoked when the platform refuses (the channel must be reconnected)."""
    PUBLISHERS[platform](client).refresh_token(_job(platform, credentials, settings, save))


def _tokens(credentials: dict) -> tuple:
    return tuple(credentials.get(k) for k in ("access_token", "refresh_token", "access_jwt",
                                              "refresh_jwt"))


def ensure_fresh(bind, channel_id, client: httpx.Client | None = None, *,
                 stale: dict | None = None,
                 exchange: Callable[[dict], dict] | None = None) -> dict | None:
    """The channel's credentials to use, refreshed first where needed: the one token-refresh
    path. Under the channel's row lock, the new credentials committed before anything uses
    them. None: the channel is not connected.

    Without `stale`, the platform's rule decides (`due`) and its exchange runs with `client`.
    With `stale` (the credentials a publish found expired or refused), they are exchanged by
    `exchange` unless another worker already refreshed them while this one waited: then its
    credentials are used and no refresh token is spent twice. `bind`: an engine, or the
    connection of a session in progress (the lock is then taken in a savepoint)."""
    with Session(bind=bind, join_transaction_mode="create_savepoint") as sess, sess.begin():
        channel = sess.scalar(sa.select(Channel).where(Channel.id == channel_id)
                              .with_for_update())
        if channel is None or channel.status != "connected":
            return None
        current = channel.credentials
        if stale is not None:
            if _tokens(current) != _tokens(stale):
                return current
            with sandbox_routes(channel.settings):
                store(channel, exchange(dict(current)))
        elif due(channel.platform, current):
            fresh: dict = {}
            with sandbox_routes(channel.settings):  # a one-click sandbox channel's own fake
                PUBLISHERS[channel.platform](client).refresh_token(
                    _job(channel.platform, current, dict(channel.settings or {}), fresh.update,
                         str(channel.id), channel.handle))
            if not fresh:
                return current
            store(channel, fresh)
        else:
            return current
        log.info("refreshed the token of channel %s", channel_id)
        return channel.credentials


def renew_locked(engine: sa.Engine, channel_id, stale: dict,
                 exchange: Callable[[dict], dict]) -> dict:
    """A publisher's refresh inside a publish (`PublishJob.renew`), through `ensure_fresh`."""
    creds = ensure_fresh(engine, channel_id, stale=stale, exchange=exchange)
    if creds is None:
        raise AuthRevoked("the channel was disconnected while publishing; reconnect it")
    return creds


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
