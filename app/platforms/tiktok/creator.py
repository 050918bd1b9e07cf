"""TikTok's creator_info asked when the composer shows a TikTok channel (as TikTok's content
sharing guidelines require), with the channel's token refreshed first when it is about to
expire."""

from __future__ import annotations

import logging

import httpx
from sqlalchemy.orm import Session

from app.channels.tokens import due, ensure_fresh
from app.config import sandbox_routes
from app.platforms.base import PublishJob
from app.platforms.errors import PublishError
from app.platforms.http import make_client
from app.platforms.tiktok import publisher as tiktok

log = logging.getLogger(__name__)
COMPOSER_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
CREATOR_FIELDS = ("creator_nickname", "privacy_level_options", "comment_disabled",
                  "duet_disabled", "stitch_disabled", "max_video_post_duration_sec")


def _job(channel, credentials: dict) -> PublishJob:
    return PublishJob(post_id="", channel_id=str(channel.id), platform="tiktok",
                      handle=channel.handle, settings=dict(channel.settings or {}),
                      credentials=dict(credentials), parts=[], options={}, idempotency_key="",
                      done=[], save_part=lambda _r: None, save_credentials=lambda _c: None)


def _credentials(sess: Session, channel, client) -> dict:
    """The channel's credentials, refreshed first when they are about to expire, by the one
    locked path (no worker spends the same rotating refresh token)."""
    if not due(channel.platform, channel.credentials):
        return channel.credentials
    creds = ensure_fresh(sess.get_bind(), channel.id, client)
    sess.refresh(channel)
    return creds if creds is not None else channel.credentials


def creator_info(sess: Session, channel) -> tuple[dict, str | None]:
    """(creator_info, None) asked of TikTok now and kept in the channel's settings (schedule-time
    checks read it there), or (what was kept last time, why TikTok could not be asked)."""
    settings = dict(channel.settings or {})
    kept = settings.get("creator_info") or {
        "privacy_level_options": settings.get("privacy_level_options") or []}
    try:
        with make_client() as client, sandbox_routes(settings):
            client.timeout = COMPOSER_TIMEOUT  # someone is waiting for the page
            creds = _credentials(sess, channel, client)
            info = tiktok.TikTokPublisher(client).api(_job(channel, creds),
                                                      "/post/publish/creator_info/query/")
    except PublishError as exc:
        log.info("creator_info of channel %s failed: %s", channel.id, exc.message)
        return kept, f"TikTok could not be asked just now ({exc.message}); these are the " \
                     "options it gave last time"
    info = {k: info.get(k) for k in CREATOR_FIELDS}
    channel.settings = {**settings, "creator_info": info,
                        "privacy_level_options": list(info["privacy_level_options"] or [])}
    sess.commit()
    return info, None
